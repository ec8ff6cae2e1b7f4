"""Work notifications (``topapi/message/corpconversation/*``, all POST JSON)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import InvalidMessage
from ..messages import validate_msg, wire_msg
from .base import BaseAPI, JSONDict, as_int, id_list

ASYNCSEND_V2 = "/topapi/message/corpconversation/asyncsend_v2"
GETSENDPROGRESS = "/topapi/message/corpconversation/getsendprogress"
GETSENDRESULT = "/topapi/message/corpconversation/getsendresult"
RECALL = "/topapi/message/corpconversation/recall"


class WorkNoticeAPI(BaseAPI):
    """``client.messages``: work notices sent as the app's agent."""

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
        users = id_list(userid_list, "userid_list", self._client.max_userid_list)
        depts = id_list(dept_id_list, "dept_id_list", self._client.max_dept_id_list)
        if not (users or depts or to_all_user):
            raise InvalidMessage(
                "userid_list", "give userid_list, dept_id_list or to_all_user=True"
            )
        body: dict[str, Any] = {"agent_id": self._agent_id(), "msg": wire_msg(msg)}
        if users:
            body["userid_list"] = users
        if depts:
            body["dept_id_list"] = depts
        body["to_all_user"] = bool(to_all_user)
        return self._post(ASYNCSEND_V2, body, send=True)

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
