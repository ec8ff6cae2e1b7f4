"""The replies of the API, in the shape the original Koa service gave.

success → 200 {"success": true, "data": <DingTalk's body>};
bad input → 400 {"success": false, "msg": ...};
DingTalk error → {"success": false, "msg", "errcode", "data"} with a fitting status.

A work notice goes through the notifications service, which records it and
never raises DingTalk's errors: `work_notice_reply` turns the recorded Send
back into DingTalk's body, or into `SendFailed` carrying DingTalk's envelope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.dingtalk.errors import (
    ApiError,
    DingTalkError,
    HTTPStatusError,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RequestTimeout,
    Throttled,
    TransportError,
    error_from_body,
)

ASYNCSEND_V2_PATH = "/topapi/message/corpconversation/asyncsend_v2"

SEND_FAILED = _l("The send failed.")
SEND_PARTIAL = _l("Some batches were sent (see task_ids); the others failed.")


@dataclass
class ApiReply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


def failure(status: int, msg: str, **extra: Any) -> ApiReply:
    return ApiReply(status, {"success": False, "msg": msg, **extra})


class SendFailed(Exception):
    """A recorded send that DingTalk refused (or whose outcome is unknown).

    `error` classifies it like the client would have; `data` is what the
    caller gets back (DingTalk's envelope plus the batches that did go out);
    `note` says what became of the send when DingTalk gave no errmsg to show.
    """

    def __init__(self, error: DingTalkError, data: dict[str, Any], note: Any = None) -> None:
        self.error = error
        self.data = data
        self.note = note
        super().__init__(str(error))


def status_for(error: DingTalkError) -> int:
    """HTTP status for a DingTalk error: 4xx for the caller's fault, 5xx for upstream trouble."""
    if isinstance(error, Throttled):
        return 503
    if isinstance(error, RequestTimeout):
        return 504
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, InvalidRequest):
        return 400
    return 502


def dingtalk_failure(
    error: DingTalkError, *, data: dict[str, Any] | None = None, note: Any = None
) -> ApiReply:
    """The original error shape: msg = DingTalk's errmsg, errcode, data = DingTalk's body.

    Without an envelope (HTTP 500, a block page, no answer) errcode and data stay
    null as documented, and msg says what happened, with `note` (what became of a
    send) after it.
    """
    status = status_for(error)
    if isinstance(error, ApiError):
        envelope = {
            key: value
            for key, value in (
                ("errcode", error.errcode),
                ("errmsg", error.errmsg),
                ("sub_code", error.sub_code),
                ("sub_msg", error.sub_msg),
                ("request_id", error.request_id),
            )
            if value is not None
        }
        msg = error.errmsg or error.sub_msg or _("DingTalk answered an error.")
        body_data: dict[str, Any] | None = envelope | (data or {})
    else:
        msg = transport_message(error)
        if note and not isinstance(error, RequestTimeout):
            msg = _("%(problem)s %(outcome)s", problem=msg, outcome=note)
        body_data = data
    reply = failure(status, msg, errcode=error.errcode, data=body_data)
    if isinstance(error, Throttled):
        reply.headers["Retry-After"] = str(max(1, math.ceil(error.retry_after or 1)))
    return reply


def transport_message(error: DingTalkError) -> str:
    """What happened when DingTalk answered no errcode envelope (never "errcode None")."""
    if isinstance(error, RequestTimeout):
        if error.outcome_unknown:
            return _(
                "DingTalk did not answer in time; the request may still have been carried out. "
                "Check before retrying."
            )
        return _("DingTalk did not answer in time.")
    if isinstance(error, HTTPStatusError) and error.status_code:
        return _(
            "DingTalk did not answer with a result (HTTP %(status)s).", status=error.status_code
        )
    if isinstance(error, InvalidResponse):
        return _("DingTalk did not answer with a result (its reply was a page or other text).")
    if isinstance(error, TransportError):
        return _("DingTalk could not be reached.")
    return _("DingTalk did not answer with a result.")


# --- work notices: a recorded Send back into DingTalk's body ----------------------------


def work_notice_reply(send: Any) -> dict[str, Any]:
    """DingTalk's body for a recorded send (see docs/api.md), or raise `SendFailed`.

    One batch: DingTalk's body as is. Several batches (more than 100 users or
    20 departments): the first body plus `task_ids` of every batch sent.
    """
    sent = [t for t in send.tasks if t.task_id is not None]
    base = {"send_id": send.id, "state": send.state}
    if send.state in ("failed", "partial", "unknown") or not sent:
        note = SEND_PARTIAL if sent else SEND_FAILED
        raise SendFailed(_send_error(send), _failure_data(send, sent, base), note)
    first = sent[0]
    body: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "task_id": first.task_id}
    if first.request_id:
        body["request_id"] = first.request_id
    if len(send.tasks) > 1:
        body["task_ids"] = [t.task_id for t in sent]
    return body | base


def _original_error(send: Any) -> DingTalkError | None:
    """The error DingTalk answered this request's first failed batch with, if kept.

    `dashboard.attempts.Attempt.recorded_error`: kept on the task by the process that
    made the call, else rebuilt from what the task recorded (`error_detail`).
    """
    for task in send.tasks:
        error = task.recorded_error()
        if error is not None:
            return error
    return None


def _send_error(send: Any) -> DingTalkError:
    """The typed error of a failed send: DingTalk's own, else rebuilt from its errcode."""
    original = _original_error(send)
    if original is not None:
        return original
    failed = [t for t in send.tasks if t.errcode is not None or t.state in ("failed", "unknown")]
    code = send.errcode
    message = send.errmsg
    if code is None and failed:
        code, message = failed[0].errcode, failed[0].errmsg
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
    if send.errcode is not None and _original_error(send) is None:
        data["errcode"] = send.errcode
        data["errmsg"] = send.errmsg
    if sent:
        data["task_ids"] = [t.task_id for t in sent]
    return data
