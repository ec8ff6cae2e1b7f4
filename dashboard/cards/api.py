"""The cards' JSON API: cardSend, cardUpdate, cardResponses (docs/api.md).

A card send is a Send of the notifications pipeline (``channel="card"``), answered
like robotSend: one batch with its ``outTrackId`` once delivered, else 202 with the
``send_id``. ``cardParamMap`` values go out as strings (``1000`` as ``"1000"``).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api import sends
from dashboard.api.fields import Field, FieldError, is_missing
from dashboard.api.models import SCOPE_READ, SCOPE_SEND
from dashboard.api.operation import CallContext, Operation
from dashboard.api.replies import ApiReply, failure
from dashboard.attempts import DONE
from dashboard.auth import permissions
from dashboard.cards import service
from dashboard.cards.channel import card_msg
from dashboard.notifications import sending
from dashboard.robot.api import USER_IDS, ObjectField

TEMPLATE = Field(
    "cardTemplateId", "string", "cardTemplateId不能为空", _l("The card template's id."),
    example="sandbox-ack.schema",
)  # fmt: skip
PARAMS = ObjectField(
    "cardParamMap", "object", None, _l("The card's values (each sent as a string)."),
    example={"title": "请确认", "amount": 1000},
)  # fmt: skip
CID = Field("openConversationId", "string", None, _l("Or a group the robot is in."))
TRACK = Field("outTrackId", "string", "outTrackId不能为空", _l("The card's outTrackId."))


def _require_target(values) -> None:
    if is_missing(values.get("cardTemplateId")):
        raise FieldError("cardTemplateId不能为空")
    if is_missing(values.get("userIds")) and is_missing(values.get("openConversationId")):
        raise FieldError("userIds不能为空")


def card_send(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    cid = a["openConversationId"] or None
    send = sending.send_work_notice(
        msg=card_msg(a["cardTemplateId"], a["cardParamMap"] or {}, cid),
        userid_list=[] if cid else list(a["userIds"] or []),
        dept_id_list=[],
        to_all_user=False,
        sender=ctx.principal.name,
        source="api",
        api_token_name=ctx.principal.name,
        channel="card",
    )
    if len(send.tasks) != 1 or not sends.wait_for_delivery(send, sends.delivery_wait()):
        return ApiReply(202, {"success": True, "data": sends.accepted(send)})
    task = send.tasks[0]
    if task.state != DONE:
        return failure(
            502 if task.state == "failed" else 504,
            task.errmsg or _("DingTalk did not take the card."),
            data={"send_id": send.id, "state": send.state, "code": task.errcode},
        )
    result = task.result or {}
    return {
        "send_id": send.id,
        "state": send.state,
        "outTrackId": task.out_key,
        "failedUserIds": result.get("failed_user_id_list") or [],
    }


def card_update(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    if not a["cardParamMap"]:
        raise FieldError("cardParamMap不能为空")
    task = service.card_task(a["outTrackId"])  # a sender updates its own sends' cards only
    permissions.check_own(task.send.sender if task is not None else None, "card")
    return service.update_card(a["outTrackId"], a["cardParamMap"], user=ctx.principal.name)


def card_responses(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    rows = service.responses(out_track_id=a["outTrackId"])
    return {"outTrackId": a["outTrackId"], "responses": [r.as_dict() for r in rows]}


OPERATIONS = (
    Operation(
        "cardSend",
        _l("An interactive card to people or a group (recorded, delivered by the queue)."),
        "POST /v1.0/card/instances/createAndDeliver",
        SCOPE_SEND,
        card_send,
        (TEMPLATE, PARAMS, USER_IDS, CID),
        requires=_require_target,
        replies={"202": (sends.ACCEPTED_DESCRIPTION, sends.ACCEPTED_SCHEMA)},
    ),
    Operation(
        "cardUpdate",
        _l("Change a card's values (merged by name)."),
        "PUT /v1.0/card/instances",
        SCOPE_SEND,
        card_update,
        (
            TRACK,
            ObjectField("cardParamMap", "object", "cardParamMap不能为空", _l("The new values.")),
        ),
    ),
    Operation(
        "cardResponses",
        _l("The button presses of a card: who, which action, when."),
        "(the card callbacks the console received)",
        SCOPE_READ,
        card_responses,
        (TRACK,),
    ),
)
