"""The ``card`` channel of a Send: an interactive card from a card template (reference §6).

A card send's msg is ``{"msgtype": "card", "card": {"cardTemplateId", "cardParamMap"},
"openConversationId"?}``. Each batch is one ``card/instances/createAndDeliver`` with
its own outTrackId (``SendTask.out_key``): to a group (one batch), or to people in
their chat with the robot (DINGTALK_ROBOT_USER_BATCH people a card). Cards are made
with ``callbackType`` HTTP and the console's route key once the console registered
its callback (``dashboard.cards.service.ensure_callback``), else STREAM. A person
whose space DingTalk refused (``deliverResults[].success`` false) is kept as
``failed_user_id_list``; each press is a ``CardResponse``.
"""

from __future__ import annotations

import json
import secrets
from contextlib import suppress
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from dashboard.attempts import record_call
from dashboard.auth import permissions
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.dingtalk.v1.base import text_field
from dashboard.dingtalk.v1.cards import card_param_map
from dashboard.notifications.channels import CARD, Channel
from dashboard.robot.channel import expand_recipients, user_batch
from dashboard.services.dingtalk import get_v1_client

CID = "openConversationId"


def card_msg(
    template_id: str, params: dict[str, Any] | None, cid: str | None = None
) -> dict[str, Any]:
    """A card send's msg as the pipeline stores it (values as strings, as they go out)."""
    msg: dict[str, Any] = {
        "msgtype": "card",
        "card": {"cardTemplateId": template_id, "cardParamMap": card_param_map(params or {})},
    }
    title = msg["card"]["cardParamMap"].get("title")
    if title:
        msg["card"]["title"] = title  # the history's one-line summary
    if cid:
        msg[CID] = cid
    return msg


def validate(msg: dict[str, Any]) -> None:
    card = msg.get("card") if isinstance(msg, dict) else None
    if msg.get("msgtype") != "card" or not isinstance(card, dict):
        raise InvalidMessage("cardTemplateId", _("A card needs its card template id."))
    text_field(card.get("cardTemplateId"), "cardTemplateId")
    card_param_map(card.get("cardParamMap"))


def prepare(msg: dict[str, Any], userids, dept_ids, to_all) -> list[str]:
    validate(msg)
    if msg.get(CID):  # a scoped sender: only a group whose members are all in scope
        permissions.check_group_scope(open_conversation_id=msg[CID])
        return []
    people = expand_recipients(list(userids), list(dept_ids), bool(to_all))
    if not people:
        raise InvalidMessage("userIds", _("Name at least one person or a group."))
    return people


def out_track_id(task) -> str:
    """Unique per batch, within DingTalk's 64 characters."""
    return f"dash-{task.send_id}-{task.batch_no}-{secrets.token_hex(6)}"


def send_batch(task, msg: dict[str, Any]) -> None:
    from dashboard.cards.service import callback_options

    client = get_v1_client(task.send.corpid)
    card = msg["card"]
    cid = msg.get(CID)
    track = task.out_key or out_track_id(task)
    options = callback_options(client)

    def call() -> dict[str, Any]:
        template, params = card["cardTemplateId"], card.get("cardParamMap") or {}
        if cid:
            return client.cards.send_to_group(template, track, params, cid, **options)
        return client.cards.send_to_users(template, track, params, task.userids, **options)

    def keep(reply: dict[str, Any]) -> None:
        task.out_key = track
        results = (reply.get("result") or {}).get("deliverResults") or []
        failed = [str(r.get("spaceId")) for r in results if r.get("success") is False]
        errors = {str(r.get("spaceId")): r.get("errorMsg") for r in results if r.get("errorMsg")}
        task.status, task.progress = 2, 100
        task.result_json = json.dumps(
            {
                "failed_user_id_list": [] if cid else failed,
                "unread_user_id_list": [] if cid else [u for u in task.userids if u not in failed],
                "deliver_errors": errors,
            },
            ensure_ascii=False,
        )

    with suppress(DingTalkError, InvalidMessage):  # recorded on the task
        record_call(task, call, on_success=keep)


def refresh(send) -> None:
    """Cards have no read states; their presses come by callback."""


def recall_task(task, attempt) -> None:
    """Cards are not recalled: update them instead (recorded as refused, nothing sent)."""
    attempt.refuse(InvalidMessage("send", _("A card cannot be recalled: update it instead.")))


def max_users() -> int:
    return min(user_batch(), int(current_app.config.get("DINGTALK_CARD_USER_BATCH") or 20))


CHANNEL = Channel(
    name=CARD,
    user_batch=max_users,
    prepare=prepare,
    send_batch=send_batch,
    refresh=refresh,
    recall_task=recall_task,
    client=get_v1_client,
)
