"""Work notifications (``topapi/message/corpconversation/*``, all POST JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidMessage
from ..messages import validate_msg, wire_msg
from .base import BaseAPI, JSONDict, Request, as_int, id_list

ASYNCSEND_V2 = "/topapi/message/corpconversation/asyncsend_v2"
GETSENDPROGRESS = "/topapi/message/corpconversation/getsendprogress"
GETSENDRESULT = "/topapi/message/corpconversation/getsendresult"
RECALL = "/topapi/message/corpconversation/recall"


#: Recipients per asyncsend_v2 call (§2.1); a client may be configured lower.
MAX_USERID_LIST = 100
MAX_DEPT_ID_LIST = 20


def work_notice_request(
    msg: Mapping[str, Any],
    *,
    agent_id: int | None,
    userid_list: Iterable[str] | str | None = None,
    dept_id_list: Iterable[int | str] | str | None = None,
    to_all_user: bool = False,
    max_userid_list: int = MAX_USERID_LIST,
    max_dept_id_list: int = MAX_DEPT_ID_LIST,
) -> Request:
    """The asyncsend_v2 call for ``msg`` and one batch of recipients, as it is sent.

    ``send_work_notice`` posts exactly this; a preview may build it without a client
    (then ``agent_id`` is whatever the preview knows). The msg is not validated here
    (a preview shows a message still being typed); raises ``InvalidMessage`` when a
    list has more entries than one call takes.
    """
    users = id_list(userid_list, "userid_list", max_userid_list)
    depts = id_list(dept_id_list, "dept_id_list", max_dept_id_list)
    body: dict[str, Any] = {"agent_id": agent_id, "msg": wire_msg(msg)}
    if users:
        body["userid_list"] = users
    if depts:
        body["dept_id_list"] = depts
    body["to_all_user"] = bool(to_all_user)
    return Request("POST", ASYNCSEND_V2, body)


class WorkNoticeAPI(BaseAPI):
    """``client.messages``: work notices sent as the app's agent."""

    def work_notice_request(
        self,
        msg: Mapping[str, Any],
        *,
        userid_list: Iterable[str] | str | None = None,
        dept_id_list: Iterable[int | str] | str | None = None,
        to_all_user: bool = False,
    ) -> Request:
        """The asyncsend_v2 call ``send_work_notice`` would make (this client's agent and limits)."""
        return work_notice_request(
            msg,
            agent_id=self._client.agent_id,
            userid_list=userid_list,
            dept_id_list=dept_id_list,
            to_all_user=to_all_user,
            max_userid_list=self._client.max_userid_list,
            max_dept_id_list=self._client.max_dept_id_list,
        )

    def send_work_notice(
        self,
        msg: Mapping[str, Any],
        *,
        userid_list: Iterable[str] | str | None = None,
        dept_id_list: Iterable[int | str] | str | None = None,
        to_all_user: bool = False,
    ) -> JSONDict:
        """POST /topapi/message/corpconversation/asyncsend_v2: returns ``task_id``.

        The send is asynchronous; success only means the task was accepted. A
        timeout raises ``RequestTimeout(outcome_unknown=True)`` and is never re-sent.
        """
        validate_msg(msg)
        request = self.work_notice_request(
            msg, userid_list=userid_list, dept_id_list=dept_id_list, to_all_user=to_all_user
        )
        body = request.body
        if not (body.get("userid_list") or body.get("dept_id_list") or body["to_all_user"]):
            raise InvalidMessage(
                "userid_list", "give userid_list, dept_id_list or to_all_user=True"
            )
        self._agent_id()  # raises InvalidMessage without one
        return self._call(request, send=True)

    def get_send_progress(self, task_id: int | str) -> JSONDict:
        """POST /topapi/message/corpconversation/getsendprogress: ``progress`` {percent, status}."""
        return self._post(
            GETSENDPROGRESS, {"agent_id": self._agent_id(), "task_id": as_int(task_id, "task_id")}
        )

    def get_send_result(self, task_id: int | str) -> JSONDict:
        """POST /topapi/message/corpconversation/getsendresult: per-recipient ``send_result``."""
        return self._post(
            GETSENDRESULT, {"agent_id": self._agent_id(), "task_id": as_int(task_id, "task_id")}
        )

    def recall_work_notice(self, task_id: int | str) -> JSONDict:
        """POST /topapi/message/corpconversation/recall: withdraw a notice (last 24 h)."""
        body = {"agent_id": self._agent_id(), "msg_task_id": as_int(task_id, "task_id")}
        return self._post(RECALL, body, send=True)
