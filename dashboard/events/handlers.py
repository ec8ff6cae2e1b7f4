"""What each recorded event does (run by the queue's ``handle_stream_event`` task).

Contacts: the changed people and departments are read again and patched into the
directory snapshot (``patch_snapshot``), leavers and removed departments dropped.
Groups: a chat the console knows has its members changed. Cards: the press is recorded
as the HTTP callback records it. ISV: the suite ticket and authorisations go through the
HTTP callback's ``handle_event``. Every handler is idempotent; the row's outcome says
whether it ran, so a duplicate task does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import current_app

from dashboard.events.fields import dept_ids, field, id_list, user_ids
from dashboard.events.models import StreamEvent
from dashboard.extensions import db
from dashboard.notifications.models import utcnow

log = logging.getLogger(__name__)

CARD_TOPIC = "/v1.0/card/instances/callback"
USER_EVENTS = ("user_add_org", "user_modify_org", "user_active_org")
DEPT_EVENTS = ("org_dept_create", "org_dept_modify")
CHAT_EVENTS = ("chat_add_member", "chat_remove_member", "chat_quit", "chat_disband")
#: Stream names of the ISV events (§7.9, unverified) -> the HTTP callback's EventType.
ISV_EVENTS = {
    "suite_ticket": "suite_ticket",
    "org_suite_auth": "tmp_auth_code",
    "org_suite_change": "change_auth",
    "org_suite_relieve": "suite_relieve",
    "tmp_auth_code": "tmp_auth_code",
    "change_auth": "change_auth",
    "suite_relieve": "suite_relieve",
}


class Ignored(Exception):
    """Nothing to do for this event (the reason is the message)."""


def _describe(changes: dict[str, list] | None) -> str:
    if changes is None:
        raise Ignored("no directory snapshot yet: the next one reads everything")
    parts = [f"{k}: {', '.join(map(str, v))}" for k, v in changes.items() if v]
    return "; ".join(parts) or "nothing changed"


def _in_company(corp_id: str, fn: Callable[[], Any]) -> Any:
    """Run `fn` for the event's company (ISV mode: its own client and snapshot)."""
    from dashboard.services.dingtalk import act_for_company, isv_mode

    if not isv_mode():
        return fn()
    with current_app.test_request_context("/"):
        act_for_company(corp_id or None)
        return fn()


def contacts(row: StreamEvent) -> str:
    from dashboard.directory.snapshot import patch_snapshot

    data, kind = row.data, row.event_type
    if kind == "user_leave_org":
        changes = _in_company(row.corp_id, lambda: patch_snapshot(removed_users=user_ids(data)))
    elif kind in USER_EVENTS:
        changes = _in_company(row.corp_id, lambda: patch_snapshot(users=user_ids(data)))
    elif kind == "org_dept_remove":
        ids = dept_ids(data)
        changes = _in_company(row.corp_id, lambda: patch_snapshot(removed_departments=ids))
    else:
        changes = _in_company(row.corp_id, lambda: patch_snapshot(departments=dept_ids(data)))
    return _describe(changes)


def chat(row: StreamEvent) -> str:
    from dashboard.chats.models import Chat

    data = row.data
    key = str(field(data, "chatId", "openConversationId", "ChatId") or "")
    conv = str(field(data, "openConversationId", "OpenConversationId") or "")
    found = db.session.execute(
        db.select(Chat).where((Chat.chatid == key) | (Chat.open_conversation_id == (conv or key)))
    ).scalar_one_or_none()
    if found is None:
        raise Ignored(f"chat {key} is not one of the console's")
    people = user_ids(data) or id_list(field(data, "operator"))
    members = list(found.members or [])
    if row.event_type == "chat_add_member":
        changed = [u for u in people if u not in members]
        members.extend(changed)
    elif row.event_type == "chat_disband":
        changed = members
        members = []
    else:
        changed = [u for u in people if u in members]
        members = [m for m in members if m not in changed]
    found.members = members
    db.session.commit()
    return f"{found.chatid}: {row.event_type} {', '.join(changed) or '-'}"


def card(row: StreamEvent) -> str:
    from dashboard.cards.service import record_press
    from dashboard.dingtalk.v1.card_callbacks import parse_callback

    press = parse_callback(row.data)
    response = record_press(press)
    return f"{press.out_track_id}: {press.user_id} {response.action}"


TICKET_KEYS = ("suiteTicket", "SuiteTicket", "suite_ticket")
ENCRYPTED_TICKET = "suiteTicketEncrypted"


def protect(data: dict[str, Any]) -> dict[str, Any]:
    """The data as the events log keeps it: a suite ticket only encrypted (as the ISV
    tables keep it), never in clear text at rest."""
    ticket = field(data, *TICKET_KEYS)
    if not ticket:
        return data
    from dashboard.isv.service import encrypt_secret

    kept = {k: v for k, v in data.items() if str(k).lower() != "suiteticket"}
    return {**kept, ENCRYPTED_TICKET: encrypt_secret(str(ticket))}


def _ticket(data: dict[str, Any]) -> str:
    if data.get(ENCRYPTED_TICKET):
        from dashboard.isv.service import decrypt_secret

        return decrypt_secret(data[ENCRYPTED_TICKET]) or ""
    return str(field(data, *TICKET_KEYS) or "")


def isv(row: StreamEvent) -> str:
    from dashboard.isv.callback import handle_event

    data = row.data
    corp = str(field(data, "authCorpId", "AuthCorpId", "corpId") or row.corp_id or "")
    event = {
        "EventType": ISV_EVENTS[row.event_type],
        "SuiteTicket": _ticket(data),
        "AuthCorpId": corp,
        "PermanentCode": field(data, "permanentCode", "PermanentCode") or "",
    }
    if event["EventType"] == "suite_ticket" and not event["SuiteTicket"]:
        raise Ignored("no suiteTicket in the event")
    handle_event(event)
    return f"{event['EventType']} {corp}".strip() if corp else event["EventType"]


def handler_for(row: StreamEvent) -> Callable[[StreamEvent], str] | None:
    if row.topic == CARD_TOPIC:
        return card
    kind = row.event_type
    if kind in (*USER_EVENTS, "user_leave_org", *DEPT_EVENTS, "org_dept_remove"):
        return contacts
    if kind in CHAT_EVENTS:
        return chat
    if kind in ISV_EVENTS:
        return isv
    return None


def handle(row_id: int) -> str:
    """Run the handler of a recorded event once; returns its outcome."""
    row = db.session.get(StreamEvent, row_id)
    if row is None or row.outcome != "queued":
        return row.outcome if row is not None else "missing"
    handler = handler_for(row)
    try:
        if handler is None:
            raise Ignored(f"no handler for {row.event_type or row.topic}")
        detail, outcome = handler(row), "done"
    except Ignored as exc:
        db.session.rollback()
        detail, outcome = str(exc), "ignored"
    except Exception as exc:  # recorded on the row: the log page shows it
        db.session.rollback()
        log.warning("event %s (%s) failed: %s", row_id, row.event_type, type(exc).__name__)
        detail, outcome = f"{type(exc).__name__}: {exc}"[:500], "failed"
    row = db.session.get(StreamEvent, row_id)
    row.outcome, row.detail, row.handled_at = outcome, detail[:2000], utcnow()
    db.session.commit()
    return outcome
