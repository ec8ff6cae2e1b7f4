"""The robot's JSON API: robotSend, robotReadStatus, robotRecall, robotGroupSend,
robotGroupReadStatus (docs/api.md).

A robot send is a Send of the notifications pipeline (``channel="robot"``): recorded,
delivered by the queue, in the history. One batch (at most DINGTALK_ROBOT_USER_BATCH
people, or one group) answers DingTalk's reply once delivered, with its ``send_id``;
more batches answer 202 with the ``send_id`` at once, as asyncsend_v2 does
(``sendStatus`` follows it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api import sends
from dashboard.api.fields import INT64_MAX, Field, FieldError, is_missing
from dashboard.api.models import SCOPE_READ, SCOPE_SEND
from dashboard.api.operation import CallContext, Operation
from dashboard.api.replies import ApiReply, failure
from dashboard.attempts import DONE
from dashboard.auth import permissions
from dashboard.dingtalk.v1.msgkeys import MSG_KEYS
from dashboard.extensions import db
from dashboard.groups.api import GROUP_IDS
from dashboard.notifications import results, sending
from dashboard.notifications.models import Send, SendTask
from dashboard.robot.channel import CID, robot_msg
from dashboard.services.dingtalk import get_v1_client

API_SOURCE = "api"


@dataclass(frozen=True)
class ObjectField(Field):
    """A JSON object (or a JSON string of one, as DingTalk's own msgParam is)."""

    def _parse_object(self, raw: Any) -> dict[str, Any]:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = None
        if not isinstance(raw, dict):
            raise FieldError(_("%(field)s must be a JSON object", field=self.name))
        return raw


USER_IDS = Field("userIds", "idlist", None, _l("userIds of the people (an array)."))
USERID_LIST = Field("userid_list", "idlist", None, _l("Or userids as asyncsend_v2 takes them."))
DEPT_ID_LIST = Field(
    "dept_id_list", "idlist", None, _l("Departments: each member gets it."), numeric_items=True
)
TO_ALL_USER = Field("to_all_user", "boolean", None, _l("Everyone in the directory (true/false)."))
MSG_KEY = Field(
    "msgKey",
    "string",
    "msgKey不能为空",
    _l("The robot's message template (sampleText, sampleMarkdown, …)."),
    choices=tuple(MSG_KEYS),
    example="sampleMarkdown",
)
MSG_PARAM = ObjectField(
    "msgParam",
    "object",
    "msgParam不能为空",
    _l("The template's values: an object, or a JSON string of one as DingTalk takes it."),
    example={"title": "周报", "text": "## 本周"},
)
CID_FIELD = Field(
    "openConversationId", "string", "openConversationId不能为空", _l("The group's id.")
)
SEND_ID = Field(
    "send_id", "integer", None, _l("The console's send id."), minimum=1, maximum=INT64_MAX
)
KEY = Field("processQueryKey", "string", None, _l("The processQueryKey DingTalk returned."))
KEYS = Field("processQueryKeys", "idlist", None, _l("Several processQueryKeys (an array)."))


def _require_people(values: Mapping[str, Any]) -> None:
    lists = ("userIds", "userid_list", "dept_id_list", "group_ids")
    if all(is_missing(values.get(k)) for k in lists) and values.get("to_all_user") not in (
        True, "true", 1, "1"
    ):  # fmt: skip
        raise FieldError("userIds不能为空")


def _require_one(*names: str):
    def check(values: Mapping[str, Any]) -> None:
        if all(is_missing(values.get(n)) for n in names):
            raise FieldError(f"{names[0]}不能为空")

    return check


def _sent_reply(send: Send) -> dict[str, Any] | ApiReply:
    """DingTalk's reply of a one-batch robot send, or 202 (queued), or the failure."""
    if len(send.tasks) != 1 or not sends.wait_for_delivery(send, sends.delivery_wait()):
        return ApiReply(202, {"success": True, "data": sends.accepted(send)})
    task = send.tasks[0]
    if task.state != DONE:
        return failure(
            502 if task.state == "failed" else 504,
            task.errmsg or _("DingTalk did not take the message."),
            data={"send_id": send.id, "state": send.state, "code": task.errcode},
        )
    result = task.result or {}
    flow = [i["userid"] for i in result.get("forbidden_list") or []]
    body = {"send_id": send.id, "state": send.state, "processQueryKey": task.out_key}
    if not send.msg.get(CID):
        body["invalidStaffIdList"] = result.get("invalid_user_id_list") or []
        body["flowControlledStaffIdList"] = flow
    return body


def robot_send(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    from dashboard.groups.service import GroupError
    from dashboard.msgtemplates.sends import prepare_send

    try:  # recipient groups resolved now, recorded in the send's origin (as asyncsend_v2)
        prepared = prepare_send(
            msg=robot_msg(a["msgKey"], a["msgParam"]),
            userid_list=list(a["userIds"] or []) + list(a["userid_list"] or []),
            dept_id_list=[int(d) for d in a["dept_id_list"] or []],
            to_all_user=bool(a["to_all_user"]),
            group_ids=[int(g) for g in a["group_ids"] or []],
            when=datetime.now(UTC),
        )
    except GroupError as exc:
        raise FieldError(str(exc)) from None
    send = sending.send_work_notice(
        **prepared.send_kwargs(),
        sender=ctx.principal.name,
        source=API_SOURCE,
        api_token_name=ctx.principal.name,
        channel="robot",
    )
    return _sent_reply(send)


def robot_group_send(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    send = sending.send_work_notice(
        msg=robot_msg(a["msgKey"], a["msgParam"], a["openConversationId"]),
        userid_list=[],
        dept_id_list=[],
        to_all_user=False,
        sender=ctx.principal.name,
        source=API_SOURCE,
        api_token_name=ctx.principal.name,
        channel="robot",
    )
    return _sent_reply(send)


def _api_send(send_id: int, channel: str) -> Send | None:
    send = sends.find_api_send(send_id)
    return send if send is not None and send.channel == channel else None


def _task_of_key(key: str) -> SendTask | None:
    task = db.session.execute(db.select(SendTask).filter_by(out_key=key)).scalar_one_or_none()
    return task if task is not None and task.send.channel == "robot" else None


def read_info(send: Send) -> dict[str, Any]:
    """Per person: read or not (with names and times), invalid and flow-controlled ones."""
    people: list[dict[str, Any]] = []
    for task in send.tasks:
        result = task.result or {}
        names = result.get("names") or {}
        read_at = result.get("read_at") or {}
        for user in result.get("read_user_id_list") or []:
            people.append(
                {"userId": user, "name": names.get(user), "readStatus": "READ",
                 "readTimestamp": read_at.get(user)}
            )  # fmt: skip
        for user in result.get("unread_user_id_list") or []:
            people.append({"userId": user, "name": names.get(user), "readStatus": "UNREAD"})
    merged = results.outcome(send)
    return {
        "send_id": send.id,
        "state": send.state,
        "processQueryKeys": [t.out_key for t in send.tasks if t.out_key],
        "messageReadInfoList": people,
        "invalidStaffIdList": merged.invalid_users,
        "flowControlledStaffIdList": [
            {"userId": f["userid"], "reason": f["reason"]} for f in merged.forbidden
        ],
    }


def robot_read_status(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    if a["send_id"] is not None:
        send = _api_send(a["send_id"], "robot")
        if send is None:
            return failure(
                404, _("No robot send %(id)s was made through the API.", id=a["send_id"])
            )
        results.refresh_progress(send)
        return read_info(send)
    return get_v1_client().robot.read_status(a["processQueryKey"])


def robot_recall(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    if a["send_id"] is not None:
        send = _api_send(a["send_id"], "robot")
        if send is None:
            return failure(
                404, _("No robot send %(id)s was made through the API.", id=a["send_id"])
            )
        permissions.check_own(send.sender)  # a sender recalls its own sends only
        attempts = sending.recall(send, ctx.principal.name)
        return {
            "send_id": send.id,
            "state": send.state,
            "recalls": [{"state": x.state, "errmsg": x.errmsg} for x in attempts],
        }
    keys = list(a["processQueryKeys"] or []) + (
        [a["processQueryKey"]] if a["processQueryKey"] else []
    )
    own = {k: _task_of_key(k) for k in keys}
    if all(own.values()) and len({t.send_id for t in own.values()}) == 1:
        send = next(iter(own.values())).send  # the console's send: recalled on record
        permissions.check_own(send.sender)
        sending.recall(send, ctx.principal.name)
        db.session.expire_all()
        tasks = [_task_of_key(k) for k in keys]
        return {
            "successResult": [t.out_key for t in tasks if t.recalled_at],
            "failedResult": {t.out_key: "not recalled" for t in tasks if not t.recalled_at},
            "send_id": send.id,
        }
    permissions.check_own(None)  # keys the console did not send: admins and owners only
    return get_v1_client().robot.recall(keys)


def robot_group_read_status(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    return get_v1_client().group_messages.read_user_ids(
        a["openConversationId"], a["processQueryKey"]
    )


_SENT = {
    "type": "object",
    "properties": {
        "send_id": {"type": "integer"},
        "state": {"type": "string"},
        "processQueryKey": {"type": "string"},
        "invalidStaffIdList": {"type": "array", "items": {"type": "string"}},
        "flowControlledStaffIdList": {"type": "array", "items": {"type": "string"}},
    },
}
_ACCEPTED = {"202": (sends.ACCEPTED_DESCRIPTION, sends.ACCEPTED_SCHEMA)}

OPERATIONS = (
    Operation(
        "robotSend",
        _l("A robot message to people, one by one (recorded, delivered by the queue)."),
        "POST /v1.0/robot/oToMessages/batchSend",
        SCOPE_SEND,
        robot_send,
        (USER_IDS, MSG_KEY, MSG_PARAM, USERID_LIST, DEPT_ID_LIST, TO_ALL_USER, GROUP_IDS),
        requires=lambda v: (
            _require_people(v),
            _require_one("msgKey")(v),
            _require_one("msgParam")(v),
        ),
        example={"userIds": ["manager01"], "msgKey": "sampleText", "msgParam": {"content": "hi"}},
        replies={"200": ("One batch, delivered.", _SENT), **_ACCEPTED},
    ),
    Operation(
        "robotReadStatus",
        _l("Who read a robot message: per person, with names."),
        "GET /v1.0/robot/oToMessages/readStatus",
        SCOPE_READ,
        robot_read_status,
        (KEY, SEND_ID),
        requires=_require_one("processQueryKey", "send_id"),
    ),
    Operation(
        "robotRecall",
        _l("Recall robot messages (within 24 hours)."),
        "POST /v1.0/robot/otoMessages/batchRecall",
        SCOPE_SEND,
        robot_recall,
        (KEY, KEYS, SEND_ID),
        requires=_require_one("processQueryKey", "processQueryKeys", "send_id"),
    ),
    Operation(
        "robotGroupSend",
        _l("A robot message in a group the robot is in (recorded, delivered by the queue)."),
        "POST /v1.0/robot/groupMessages/send",
        SCOPE_SEND,
        robot_group_send,
        (CID_FIELD, MSG_KEY, MSG_PARAM),
        replies={"200": ("Delivered.", _SENT), **_ACCEPTED},
    ),
    Operation(
        "robotGroupReadStatus",
        _l("Who in the group read a robot message (every page)."),
        "POST /v1.0/robot/groupMessages/query",
        SCOPE_READ,
        robot_group_read_status,
        (
            CID_FIELD,
            Field(
                "processQueryKey",
                "string",
                "processQueryKey不能为空",
                _l("The message's processQueryKey."),
            ),
        ),
    ),
)
