"""Writing the audit log, in one place: :func:`record`, and the hook after each request.

Views that know best what they did call ``audit.record(action, ...)`` (sign-in, users,
tokens). Everything else is recorded by :func:`after_request` from one table,
:data:`ENDPOINT_ACTIONS` (a changing request of an endpoint not in the table is
recorded under the endpoint's name, so a new area is audited before it names its
actions), and for the JSON API by the operation (:data:`API_READS_UNRECORDED` are the
reads left out). A request already recorded explicitly is not recorded twice; a 403 is
always recorded as ``forbidden``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, has_request_context, request
from flask_login import current_user

from dashboard.audit.models import AuditEvent
from dashboard.auth.models import utcnow
from dashboard.extensions import db

log = logging.getLogger("dashboard.audit")

DETAIL_MAX = 2000

#: endpoint -> (action, type of the object its URL or answer names)
ENDPOINT_ACTIONS: dict[str, tuple[str, str | None]] = {
    "notifications.compose": ("send.create", "send"),
    "notifications.resend_unknown": ("send.create", "send"),
    "notifications.cancel": ("send.cancel", "send"),
    "notifications.pause": ("send.pause", "send"),
    "notifications.resume": ("send.resume", "send"),
    "notifications.recall": ("send.recall", "send"),
    "chats.new": ("chat.create", "chat"),
    "chats.show": ("chat.message", "chat"),
    "api.revoke": ("token.revoke", "token"),
    "isv.select": ("company.switch", "company"),
    "isv.add_company": ("company.add", "company"),
    "isv.refresh_company": ("company.refresh", "company"),
    "directory.refresh": ("directory.refresh", None),
    "msgtemplates.new": ("template.change", "template"),
    "msgtemplates.edit": ("template.change", "template"),
    "msgtemplates.duplicate": ("template.change", "template"),
    "msgtemplates.delete": ("template.change", "template"),
    "groups.new": ("group.change", "group"),
    "groups.edit": ("group.change", "group"),
    "groups.delete": ("group.change", "group"),
    "schedules.edit": ("schedule.change", "schedule"),
    "schedules.pause": ("schedule.change", "schedule"),
    "schedules.resume": ("schedule.change", "schedule"),
    "schedules.run_now": ("schedule.run", "schedule"),
    "schedules.delete": ("schedule.change", "schedule"),
    "robot.compose": ("robot.send", "robot"),
    "cards.compose": ("card.send", "send"),
    "cards.update": ("card.update", "send"),
    "events.retry": ("event.retry", "event"),
}
#: Changing requests that change nothing worth a row (previews, the language, pushes).
UNRECORDED = frozenset(
    {
        "main.set_language",
        "notifications.preview",
        "chats.preview",
        "isv.callback",
        "cards.callback",
        "isv.debug_signature",
        "auth.login",
        "auth.logout",
        "auth.dingtalk_login",
        "auth.dingtalk_callback",
        "api.tokens",  # recorded by the view when a token is made
        "api.openapi",
        "static",
    }
)
#: Where a form's "success" is a redirect, not a page again (its errors, its warnings).
REDIRECT_MEANS_DONE = frozenset(
    {
        "notifications.compose",
        "notifications.resend_unknown",
        "chats.new",
        "chats.show",
        "robot.compose",
        "cards.compose",
        "msgtemplates.new",
        "msgtemplates.edit",
        "groups.new",
        "groups.edit",
        "schedules.edit",
    }
)
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ACTIONS = (
    "signin.success",
    "signin.failure",
    "signin.locked",
    "signout",
    "send.create",
    "send.refused",
    "send.cancel",
    "send.pause",
    "send.resume",
    "send.recall",
    "chat.create",
    "chat.message",
    "schedule.create",
    "schedule.update",
    "schedule.pause",
    "schedule.resume",
    "schedule.delete",
    "schedule.run_now",
    "schedule.change",
    "schedule.run",
    "robot.send",
    "card.send",
    "card.update",
    "template.change",
    "group.change",
    "token.create",
    "token.revoke",
    "user.create",
    "user.update",
    "user.password",
    "user.disable",
    "user.enable",
    "user.sessions_ended",
    "company.switch",
    "company.add",
    "company.refresh",
    "directory.refresh",
    "event.retry",
    "settings.change",
    "forbidden",
)


def zone() -> ZoneInfo:
    name = current_app.config.get("BABEL_DEFAULT_TIMEZONE") if has_request_context() else None
    return ZoneInfo(name or "Asia/Shanghai")


def local_time(value: datetime) -> datetime:
    """A stored UTC time in the console's time zone (Asia/Shanghai unless configured)."""
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone())


def _actor() -> tuple[str, str, str | None]:
    principal = g.get("api_principal")
    if principal is not None:
        return "token", principal.name, principal.role
    if current_user and current_user.is_authenticated:
        return "user", current_user.username, current_user.role
    return "anonymous", "-", None


def record(
    action: str,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    outcome: str = "success",
    detail: Any = None,
    actor: str | None = None,
    actor_kind: str | None = None,
) -> AuditEvent | None:
    """Append one row for the current request's actor (or the one named), and commit.

    It commits the session: call it once what it records is done. A failure to write
    is logged and swallowed (the action itself has happened).
    """
    kind, name, role = _actor() if has_request_context() else ("system", "-", None)
    if actor is not None:
        name, kind = actor, actor_kind or kind
    if isinstance(detail, str):
        detail = {"message": detail[:DETAIL_MAX]}
    event = AuditEvent(
        at=utcnow(),
        actor_kind=kind,
        actor=str(name)[:80],
        role=role,
        action=action[:40],
        outcome=outcome,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:120],
        ip=(request.remote_addr if has_request_context() else None),
        corpid=_corpid(),
        detail=detail,
    )
    try:
        db.session.add(event)
        db.session.commit()
    except Exception:  # noqa: BLE001 - the audit must not turn a done action into a 500
        db.session.rollback()
        log.exception("could not write the audit event %s", action)
        return None
    if has_request_context():
        g.audit_recorded = True
    return event


def _corpid() -> str | None:
    try:
        from dashboard.services.dingtalk import current_company

        return current_company()
    except Exception:  # noqa: BLE001 - outside a configured app
        return None


_ID_IN_PATH = re.compile(r"/(\d+)(?:/|$)")


def _object_id(response) -> str | None:
    args = request.view_args or {}
    for key in (
        "send_id",
        "token_id",
        "user_id",
        "chatid",
        "corpid",
        "template_id",
        "group_id",
        "schedule_id",
    ):
        if args.get(key) is not None:
            return str(args[key])
    if args:
        return ",".join(str(v) for v in args.values())
    if response.status_code in (301, 302, 303) and response.location:
        match = _ID_IN_PATH.search(response.location)
        if match:
            return match.group(1)
    if request.endpoint == "isv.select":
        return request.form.get("corpid")
    return None


def after_request(response):
    """Record what the request did, unless it is recorded already or changes nothing."""
    try:
        _after(response)
    except Exception:  # noqa: BLE001
        db.session.rollback()
        log.exception("audit hook failed")
    return response


def _after(response) -> None:
    endpoint = request.endpoint
    if endpoint is None or g.get("audit_recorded"):
        return
    status = response.status_code
    if status == 403:
        record("forbidden", object_type="endpoint", object_id=endpoint, outcome="denied",
               detail={"method": request.method, "path": request.path})  # fmt: skip
        return
    if endpoint == "auth.login" and status == 429:
        record("signin.locked", object_type="user", outcome="denied",
               actor=(request.form.get("username") or "-").strip()[:80],
               actor_kind="anonymous")  # fmt: skip
        return
    if endpoint == "api.dingtalkserve":
        _after_api(response)
        return
    if request.method in READ_METHODS or endpoint in UNRECORDED or status >= 400:
        return
    if endpoint in REDIRECT_MEANS_DONE and status not in (301, 302, 303):
        return
    action, object_type = ENDPOINT_ACTIONS.get(endpoint, (endpoint, None))
    if "/schedules/" in (response.location or "") and object_type == "send":
        action, object_type = "schedule.create", "schedule"  # the composer saved a schedule
    record(action, object_type=object_type or endpoint.partition(".")[0],
           object_id=_object_id(response), detail={"method": request.method})  # fmt: skip


#: API reads not worth a row each; every other operation (sends, chats) is recorded.
API_READS_UNRECORDED = True


def _after_api(response) -> None:
    from dashboard.api.operations import OPERATIONS

    if g.get("api_principal") is None:
        return  # no valid token: not an actor
    op = OPERATIONS.get((request.view_args or {}).get("operation", ""))
    if op is None or (API_READS_UNRECORDED and op.scope == "read"):
        return
    data = response.get_json(silent=True) or {}
    reply = data.get("data") if isinstance(data.get("data"), dict) else {}
    object_id = reply.get("send_id") or reply.get("task_id") or reply.get("chatid")
    record(f"api.{op.name}"[:40], object_type="operation", object_id=object_id or op.name,
           outcome="success" if response.status_code < 400 else "failure",
           detail={"operation": op.name, "status": response.status_code})  # fmt: skip


# --- reading it ------------------------------------------------------------------------------


@dataclass
class AuditFilter:
    actor: str | None = None
    action: str | None = None
    object: str | None = None
    date_from: str | None = None
    date_to: str | None = None

    @classmethod
    def from_mapping(cls, values) -> AuditFilter:
        def get(name):
            value = values.get(name)
            value = str(value).strip() if value is not None else ""
            return value[:120] or None

        return cls(get("actor"), get("action"), get("object"), get("from"), get("to"))


class BadDate(ValueError):
    pass


def _day_start(day: str) -> datetime:
    try:
        start = datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=zone())
        return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    except (ValueError, OverflowError):
        raise BadDate(day) from None


def audit_query(filters: AuditFilter):
    """Events newest first, narrowed by the filters (dates are days in Asia/Shanghai)."""
    query = db.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if filters.actor:
        query = query.where(AuditEvent.actor.contains(filters.actor, autoescape=True))
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.object:
        needle = filters.object
        kind, sep, ident = needle.partition(":")
        if sep:
            query = query.where(AuditEvent.object_type == kind, AuditEvent.object_id == ident)
        else:
            query = query.where(
                AuditEvent.object_id.contains(needle, autoescape=True)
                | (AuditEvent.object_type == needle)
            )
    if filters.date_from:
        query = query.where(AuditEvent.at >= _day_start(filters.date_from))
    if filters.date_to:
        try:
            end = _day_start(filters.date_to) + timedelta(days=1)
        except OverflowError:
            raise BadDate(filters.date_to) from None
        query = query.where(AuditEvent.at < end)
    return query


CSV_COLUMNS = (
    "id", "at", "actor_kind", "actor", "role", "action", "outcome",
    "object_type", "object_id", "ip", "corpid", "detail",
)  # fmt: skip


def csv_rows(query):
    """The CSV export, a line at a time (header first), in the console's time zone."""
    import csv
    import io
    import json

    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    buffer.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
    writer.writerow(CSV_COLUMNS)
    yield flush()
    for event in db.session.execute(query.execution_options(yield_per=500)).scalars():
        row = event.as_dict()
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False) if row["detail"] else ""
        writer.writerow([_csv_safe(row[c]) for c in CSV_COLUMNS])
        yield flush()


def _csv_safe(value) -> str:
    """No spreadsheet formula from a cell someone typed (=, +, -, @ at the start)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
