"""The ``robot`` channel of a Send: the app's robot writing to people (1:1) or in a group.

A robot send's msg is ``{"msgtype": <msgKey>, <msgKey>: <msgParam>}`` (the msgKey
catalogue of reference §3.4, ``dashboard.dingtalk.v1.msgkeys``), plus
``"openConversationId"`` for a group message. 1:1 batches are
``oToMessages/batchSend`` calls of at most DINGTALK_ROBOT_USER_BATCH people
(departments are sent to their members as the directory knows them); a group
message is one ``groupMessages/send`` call. Each batch keeps its processQueryKey
(``SendTask.out_key``) and a result shaped like getsendresult's, so the send's page,
chart and history read it as they read a work notice's:

- ``invalid_user_id_list``: ``invalidStaffIdList``;
- ``forbidden_list``: ``flowControlledStaffIdList`` with the code ``robot.flowControlled``;
- ``read_user_id_list`` / ``unread_user_id_list`` (and ``names``): readStatus.
"""

from __future__ import annotations

import json
import logging
from contextlib import suppress
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from dashboard.attempts import record_call
from dashboard.auth import permissions
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage, InvalidRequest
from dashboard.dingtalk.v1.msgkeys import MSG_KEYS, msg_param_json
from dashboard.dingtalk.v1.robot import READ, read_state, send_state
from dashboard.notifications.channels import ROBOT, Channel
from dashboard.notifications.models import utcnow
from dashboard.services.dingtalk import get_v1_client

log = logging.getLogger(__name__)

FLOW_CONTROLLED = "robot.flowControlled"
CID = "openConversationId"


def robot_msg(msg_key: str, msg_param: dict[str, Any], cid: str | None = None) -> dict[str, Any]:
    """A robot send's msg as the pipeline stores it."""
    msg: dict[str, Any] = {"msgtype": msg_key, msg_key: dict(msg_param)}
    if cid:
        msg[CID] = cid
    return msg


def parts(msg: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    """(msgKey, msgParam, openConversationId or None) of a stored robot msg."""
    key = msg.get("msgtype")
    return key, dict(msg.get(key) or {}), msg.get(CID) or None


def validate(msg: dict[str, Any]) -> None:
    """Raise InvalidMessage unless ``msg`` is a complete robot message."""
    if not isinstance(msg, dict) or msg.get("msgtype") not in MSG_KEYS:
        raise InvalidMessage("msgKey", _("Choose one of the robot's message types."))
    key, param, _cid = parts(msg)
    msg_param_json(key, param, max_bytes=current_app.config["DINGTALK_ROBOT_MSG_PARAM_MAX_BYTES"])


def user_batch() -> int:
    return int(current_app.config.get("DINGTALK_ROBOT_USER_BATCH") or 20)


def expand_recipients(userids: list[str], dept_ids: list[int], to_all: bool) -> list[str]:
    """The people a robot 1:1 send names: the userids, then the departments' members
    (sub-departments included) or everyone, as the directory snapshot has them."""
    people = list(userids)
    if dept_ids or to_all:
        from dashboard.directory.snapshot import get_snapshot
        from dashboard.groups.service import members_of

        snapshot = get_snapshot()
        if snapshot is None:
            raise InvalidMessage("dept_id_list", _("The directory is not available yet."))
        if to_all:
            people += list(snapshot.users)
        else:
            people += members_of(snapshot, dept_ids, deep=True)
    return list(dict.fromkeys(people))


def prepare(msg: dict[str, Any], userids, dept_ids, to_all) -> list[str]:
    validate(msg)
    if msg.get(CID):  # a scoped sender: only a group whose members are all in scope
        permissions.check_group_scope(open_conversation_id=msg[CID])
        return []  # one group message: the group is the recipient
    people = expand_recipients(list(userids), list(dept_ids), bool(to_all))
    if not people:
        raise InvalidMessage("dept_id_list", _("These departments have nobody to send to."))
    return people


def send_batch(task, msg: dict[str, Any]) -> None:
    """One batchSend (or groupMessages/send) call on record."""
    client = get_v1_client(task.send.corpid)
    key, param, cid = parts(msg)

    def call() -> dict[str, Any]:
        if cid:
            return client.group_messages.send(cid, key, param)
        return client.robot.batch_send(task.userids, key, param)

    def keep(reply: dict[str, Any]) -> None:
        task.out_key = reply.get("processQueryKey")
        task.status, task.progress = 1, 0
        flow = [str(u) for u in reply.get("flowControlledStaffIdList") or []]
        task.result_json = json.dumps(
            {
                "invalid_user_id_list": list(reply.get("invalidStaffIdList") or []),
                "forbidden_list": [{"userid": u, "code": FLOW_CONTROLLED} for u in flow],
            }
        )

    with suppress(DingTalkError, InvalidMessage):  # recorded on the task
        record_call(task, call, on_success=keep)


def refresh(send) -> None:
    """readStatus (groupMessages/query for a group) of each live batch into its result."""
    from dashboard.notifications import results

    read_log = getattr(results, "_read_log", None)  # the reads-over-time chart's log
    client = get_v1_client(send.corpid)
    cid = send.msg.get(CID)
    for task in send.tasks:
        if not task.out_key or task.recalled_at is not None:
            continue
        try:
            if cid:
                reply = client.group_messages.read_user_ids(cid, task.out_key)
            else:
                reply = client.robot.read_status(task.out_key)
        except DingTalkError as exc:
            log.info("read status of %s unavailable: %s", task.out_key, exc)
            continue
        result = dict(task.result or {})
        if cid:
            result["read_user_id_list"] = list(reply.get("readUserIds") or [])
        else:
            infos = reply.get("messageReadInfoList") or []
            read = [i for i in infos if read_state(i.get("readStatus")) == READ]
            result["read_user_id_list"] = [str(i.get("userId")) for i in read]
            result["unread_user_id_list"] = [
                str(i.get("userId")) for i in infos if read_state(i.get("readStatus")) != READ
            ]
            result["names"] = {str(i.get("userId")): i.get("name") for i in infos}
            result["read_at"] = {
                str(i.get("userId")): i.get("readTimestamp") for i in read if i.get("readTimestamp")
            }
        if read_log is not None:
            result[results.READ_LOG] = read_log(task, len(result["read_user_id_list"]))
        task.result_json = json.dumps(result, ensure_ascii=False)
        task.fetched_at = utcnow()
        done = send_state(reply.get("sendStatus")) in ("SUCCESS", "RECALLED")
        task.status, task.progress = (2, 100) if done else (1, 50)


def recall_task(task, attempt) -> None:
    """One batchRecall (groupMessages/recall) of the batch's processQueryKey on record."""
    client = get_v1_client(task.send.corpid)
    cid = task.send.msg.get(CID)

    def call() -> dict[str, Any]:
        if cid:
            reply = client.group_messages.recall(cid, [task.out_key])
        else:
            reply = client.robot.batch_recall([task.out_key])
        if task.out_key not in (reply.get("successResult") or []):
            reason = (reply.get("failedResult") or {}).get(task.out_key) or "not recalled"
            raise InvalidRequest(f"recall refused: {reason}", errmsg=str(reason))
        return reply

    def keep(reply: dict[str, Any]) -> None:
        task.recalled_at = utcnow()

    with suppress(DingTalkError, InvalidMessage):  # recorded on the attempt
        record_call(attempt, call, on_success=keep)


CHANNEL = Channel(
    name=ROBOT,
    user_batch=user_batch,
    prepare=prepare,
    send_batch=send_batch,
    refresh=refresh,
    recall_task=recall_task,
    client=get_v1_client,
    reasons={
        FLOW_CONTROLLED: lambda: _(
            "Flow-controlled: this person received too many robot messages; "
            "send to them again later."
        )
    },
)
