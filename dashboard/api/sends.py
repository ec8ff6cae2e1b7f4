"""Sending operations of the API, routed through the services the pages use.

Work notices go through the notifications service so API sends land in the
same history (marked with the token's name); chats go through the chats
service so API-created chats and messages are remembered too.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from dashboard.dingtalk.errors import DingTalkError, RequestTimeout, error_from_body

if TYPE_CHECKING:
    from dashboard.api.auth import ApiPrincipal
    from dashboard.api.operations import CallContext

ASYNCSEND_V2_PATH = "/topapi/message/corpconversation/asyncsend_v2"
API_SOURCE = "api"

log = logging.getLogger("dashboard.chats.service")


class SendFailed(Exception):
    """A recorded send that DingTalk refused (or whose outcome is unknown).

    `error` classifies it like the client would have; `data` is what the
    caller gets back (DingTalk's envelope plus the batches that did go out).
    """

    def __init__(self, error: DingTalkError, data: dict[str, Any]) -> None:
        self.error = error
        self.data = data
        super().__init__(str(error))


def send_work_notice_via_history(
    *,
    msg: dict[str, Any],
    userid_list: list[str] | None,
    dept_id_list: list[str] | None,
    to_all_user: bool,
    principal: ApiPrincipal,
) -> dict[str, Any]:
    """Send through the notifications service; return DingTalk's body (see docs/api.md).

    One batch: DingTalk's body as is. Several batches (more than 100 users or
    20 departments): the first body plus `task_ids` of every batch.
    """
    from dashboard.notifications.service import send_work_notice

    send = send_work_notice(
        msg=msg,
        userid_list=userid_list or [],
        dept_id_list=[int(d) for d in dept_id_list or []],
        to_all_user=to_all_user,
        sender=principal.name,
        source=API_SOURCE,
        api_token_name=principal.name,
    )
    sent = [t for t in send.tasks if t.task_id is not None]
    base = {"send_id": send.id, "state": send.state}
    if send.state in ("failed", "partial", "unknown") or not sent:
        raise SendFailed(_send_error(send), _failure_data(send, sent, base))
    first = sent[0]
    body: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "task_id": first.task_id}
    if first.request_id:
        body["request_id"] = first.request_id
    if len(send.tasks) > 1:
        body["task_ids"] = [t.task_id for t in sent]
    return body | base


def _original_error(send: Any) -> DingTalkError | None:
    """The error DingTalk answered this request's first failed batch with, if kept."""
    for task in send.tasks:
        error = getattr(task, "dingtalk_error", None)
        if error is not None:
            return error
    return None


def _send_error(send: Any) -> DingTalkError:
    """The typed error of a failed send: DingTalk's own, else rebuilt from its errcode."""
    original = _original_error(send)
    if original is not None:
        return original
    failed = [t for t in send.tasks if t.error_code is not None or t.state in ("failed", "unknown")]
    code = send.error_code
    message = send.error_message
    if code is None and failed:
        code, message = failed[0].error_code, failed[0].error_message
    if send.state == "unknown" or (failed and failed[0].state == "unknown" and code is None):
        return RequestTimeout(
            "asyncsend_v2: no answer in time; the notice may have been delivered",
            path=ASYNCSEND_V2_PATH,
            outcome_unknown=True,
        )
    if code is None or code == 0:
        return DingTalkError(message or "asyncsend_v2 failed", path=ASYNCSEND_V2_PATH)
    return error_from_body({"errcode": code, "errmsg": message or ""}, ASYNCSEND_V2_PATH)


def _failure_data(send: Any, sent: list[Any], base: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = dict(base)
    if send.error_code is not None and _original_error(send) is None:
        data["errcode"] = send.error_code
        data["errmsg"] = send.error_message
    if sent:
        data["task_ids"] = [t.task_id for t in sent]
    return data


def create_chat(
    ctx: CallContext,
    *,
    name: str,
    owner: str,
    useridlist: list[str],
    settings: dict[str, int],
) -> dict[str, Any]:
    """chat/create through the chats service (remembered like a page's chat); DingTalk's body."""
    from dashboard.chats import service as chats

    chat = chats.create_chat(
        name=name,
        owner=owner,
        useridlist=useridlist,
        settings=settings,
        created_by=ctx.principal.name,
    )
    return chat.dingtalk_reply


def send_chat_message(ctx: CallContext, *, chatid: str, msg: dict[str, Any]) -> dict[str, Any]:
    """chat/send through the chats service (recorded like a page's message); DingTalk's body."""
    from dashboard.chats import service as chats

    return chats.send_chat_message(chatid=chatid, msg=msg, sender=ctx.principal.name).dingtalk_reply
