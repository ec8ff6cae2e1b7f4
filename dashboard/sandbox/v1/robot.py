"""Robot messages (§3, §4): 1:1 batches, group messages, read status, recall, membership.

Read states change over time on the sandbox clock: `sendStatus` is PROCESSING for
`robot_processing_seconds`, then SUCCESS; a deterministic `robot_read_ratio` of the
recipients read within `robot_read_spread` seconds (or when a demo user presses
"read" on the sandbox page, /_sandbox/v1/). Recall and read status only within 24 h.
"""

from __future__ import annotations

import json
from collections import deque
from typing import Any

from flask import Blueprint

from dashboard.sandbox.state import _prune
from dashboard.sandbox.v1.errors import bad_request
from dashboard.sandbox.v1.routing import V1Call, v1_route
from dashboard.sandbox.v1.state import RobotMessage, robot_codes

bp = Blueprint("sandbox_v1_robot", __name__)

#: §3.4: msgKey -> the msgParam keys it needs (all string values).
MSG_KEYS: dict[str, tuple[str, ...]] = {
    "sampleText": ("content",),
    "sampleMarkdown": ("title", "text"),
    "sampleImageMsg": ("photoURL",),
    "sampleLink": ("text", "title", "picUrl", "messageUrl"),
    "sampleActionCard": ("title", "text", "singleTitle", "singleURL"),
    **{
        f"sampleActionCard{n}": (
            "title",
            "text",
            *(f"action{kind}{i}" for i in range(1, n + 1) for kind in ("Title", "URL")),
        )
        for n in (2, 3, 4, 5)
    },
    "sampleActionCard6": (
        "title",
        "text",
        "buttonTitle1",
        "buttonUrl1",
        "buttonTitle2",
        "buttonUrl2",
    ),
    "sampleAudio": ("mediaId", "duration"),
    "sampleFile": ("mediaId", "fileName", "fileType"),
    "sampleVideo": ("duration", "videoMediaId", "videoType", "picMediaId"),
}


def check_robot_code(call: V1Call, unknown: str = "invalidParameter.robotCode.notExsit") -> str:
    """robotCode present and the caller's app's robot."""
    code = call.string("robotCode", required=True, code="invalidParameter.robotCode.empty")
    if code not in robot_codes(call.state, call.app_id):
        raise bad_request(unknown, f"robotCode {code} 不存在或不属于当前应用")
    return code


def read_message(call: V1Call, max_bytes: int) -> tuple[str, dict[str, Any]]:
    """msgKey from the catalogue and msgParam as a JSON string of string values (§10.4)."""
    msg_key = call.string("msgKey", required=True, code="invalidParameter.msgKey.empty")
    if msg_key not in MSG_KEYS:
        raise bad_request("invalidParameter.msgKey.invalid", f"msgKey {msg_key} 不合法")
    raw = call.value("msgParam")
    if raw is None or raw == "":
        raise bad_request("invalidParameter.msgParam.invalid", "msgParam不能为空")
    if not isinstance(raw, str):
        raise bad_request("invalidParameter.msgParam.invalid", "msgParam必须是JSON字符串")
    settings = call.settings
    if len(raw.encode("utf-8")) > max_bytes:
        raise bad_request("invalidParameter.msgParam.tooLong", f"msgParam超过{max_bytes}字节")
    try:
        param = json.loads(raw)
    except ValueError:
        raise bad_request("invalidParameter.msgParam.invalid", "msgParam不是合法的JSON") from None
    if not isinstance(param, dict):
        raise bad_request("invalidParameter.msgParam.invalid", "msgParam必须是JSON对象")
    if settings.robot_msg_param_strict:
        missing = [k for k in MSG_KEYS[msg_key] if not param.get(k)]
        if missing:
            raise bad_request(
                "invalidParameter.msgParam.invalid", f"msgParam缺少 {', '.join(missing)}"
            )
        wrong = [k for k, v in param.items() if not isinstance(v, str)]
        if wrong:
            raise bad_request(
                "invalidParameter.msgParam.invalid", f"msgParam的 {', '.join(wrong)} 必须是字符串"
            )
    return msg_key, param


def send_status(message: RobotMessage, call: V1Call) -> str:
    success, processing, recalled = (list(call.settings.robot_send_status_values) + ["", "", ""])[
        :3
    ]
    if message.recalled_at is not None:
        return recalled
    if call.now < message.sent_at + call.settings.robot_processing_seconds:
        return processing
    return success


def flow_controlled(call: V1Call, user_ids: list[str]) -> list[str]:
    """Users over the per-user minute cap (unverified) or listed in the knob."""
    settings = call.settings
    forced = set(settings.robot_flow_controlled_users)
    result = []
    for userid in user_ids:
        window: deque = call.v1.user_sends[userid]
        _prune(window, call.now - 60.0)
        over = 0 < settings.robot_user_minute_cap <= len(window)
        if userid in forced or over:
            result.append(userid)
        else:
            window.append(call.now)
    return result


def find_message(call: V1Call, key: str, kind: str, robot_code: str) -> RobotMessage:
    message = call.v1.messages.get(key)
    if message is None or message.kind != kind or message.robot_code != robot_code:
        raise bad_request(call.settings.robot_unknown_key_code, "processQueryKey不存在")
    return message


def within_window(call: V1Call, message: RobotMessage) -> bool:
    return call.now - message.sent_at <= call.settings.robot_window_seconds


# -- 1:1 ---------------------------------------------------------------------------------


@v1_route(bp, "/v1.0/robot/oToMessages/batchSend", "POST")
def oto_batch_send(call: V1Call) -> dict[str, Any]:
    """§3.1: ≤ 20 userIds; unknown users listed in invalidStaffIdList, throttled ones in
    flowControlledStaffIdList, inside an HTTP 200."""
    robot_code = check_robot_code(call)
    user_ids = call.string_list("userIds", required=True, code="invalidParameter.userIds.empty")
    limit = call.settings.robot_user_ids_max
    if len(user_ids) > limit:
        raise bad_request("invalidParameter.userIds.overMax", f"userIds超过最大限制{limit}")
    msg_key, param = read_message(call, call.settings.robot_oto_msg_param_max_bytes)
    users = call.company.users
    unique = list(dict.fromkeys(user_ids))
    invalid = [u for u in unique if u not in users]
    valid = [u for u in unique if u in users]
    throttled = flow_controlled(call, valid)
    if throttled and call.settings.robot_flow_control_code:
        raise bad_request(call.settings.robot_flow_control_code, "发送太快")
    delivered = [u for u in valid if u not in throttled]
    message = call.v1.add_message(
        RobotMessage(
            key=call.v1.new_key(f"oto:{robot_code}"),
            kind="oto",
            robot_code=robot_code,
            app_id=call.app_id or "",
            sent_at=call.now,
            recipients=delivered,
            msg_key=msg_key,
            msg_param=param,
        )
    )
    reply: dict[str, Any] = {
        "processQueryKey": message.key,
        "invalidStaffIdList": invalid,
        "flowControlledStaffIdList": throttled,
    }
    if call.settings.robot_filtered_list:
        reply["filteredStaffIdList"] = []
    return reply


def read_status_value(call: V1Call, read: bool) -> str:
    value = "READ" if read else "UNREAD"
    return value if call.settings.robot_read_status_upper else value.lower()


@v1_route(bp, "/v1.0/robot/oToMessages/readStatus", "GET")
def oto_read_status(call: V1Call) -> dict[str, Any]:
    """§3.2: GET with robotCode and processQueryKey; per receiver READ/UNREAD, within 24 h."""
    robot_code = check_robot_code(call)
    key = call.string("processQueryKey", required=True)
    message = find_message(call, key, "oto", robot_code)
    if not within_window(call, message):
        raise bad_request(call.settings.robot_unknown_key_code, "消息已超过24小时，无法查询")
    users = call.company.users
    infos = []
    for userid in message.recipients:
        when = message.read_time(userid, call.settings)
        read = when is not None and when <= call.now
        info: dict[str, Any] = {
            "name": users[userid].name if userid in users else "",
            "userId": userid,
            "readStatus": read_status_value(call, read),
        }
        if read:
            info["readTimestamp"] = int(when * 1000)
        infos.append(info)
    return {"sendStatus": send_status(message, call), "messageReadInfoList": infos}


def recall(call: V1Call, kind: str, robot_code: str, failure: str) -> dict[str, Any]:
    keys = call.string_list("processQueryKeys", required=True)
    if len(keys) > call.settings.robot_recall_keys_max:
        raise bad_request(
            "invalidParameter.processQueryKeys.overMax",
            f"processQueryKeys超过最大限制{call.settings.robot_recall_keys_max}",
        )
    cid = call.string("openConversationId") if kind == "group" else ""
    success: list[str] = []
    failed: dict[str, str] = {}
    for key in dict.fromkeys(keys):
        message = call.v1.messages.get(key)
        ok = (
            message is not None
            and message.kind == kind
            and message.robot_code == robot_code
            and (kind != "group" or message.open_conversation_id == cid)
            and within_window(call, message)
        )
        if ok:
            if message.recalled_at is None:
                message.recalled_at = call.now
            success.append(key)
        else:
            failed[key] = failure
    return {"successResult": success, "failedResult": failed}


@v1_route(bp, "/v1.0/robot/otoMessages/batchRecall", "POST")
def oto_batch_recall(call: V1Call) -> dict[str, Any]:
    """§3.3 (note `oto`): ≤ 20 keys, within 24 h."""
    robot_code = check_robot_code(call)
    return recall(call, "oto", robot_code, call.settings.robot_oto_recall_failure)


# -- groups ------------------------------------------------------------------------------


def robot_group(call: V1Call, robot_code: str):
    """The chat of openConversationId, with the robot among its members."""
    cid = call.string("openConversationId", required=True, code="invalid.openConversationId")
    chat = next((c for c in call.state.chats.values() if c.open_conversation_id == cid), None)
    if chat is None or chat.status != 1:
        raise bad_request("invalid.openConversationId", "openConversationId不合法")
    if not call.v1.robot_in_group(cid, robot_code, call.now):
        raise bad_request("resource.unavailable", "机器人不在该群中或已被停用")
    return chat


@v1_route(bp, "/v1.0/robot/groupMessages/send", "POST")
def group_send(call: V1Call) -> dict[str, Any]:
    """§4.1: the robot must be in the group; msgParam ≤ 15 000 bytes."""
    robot_code = check_robot_code(call, unknown="invalidParameter.robotCode.auth")
    msg_key, param = read_message(call, call.settings.robot_msg_param_max_bytes)
    chat = robot_group(call, robot_code)
    message = call.v1.add_message(
        RobotMessage(
            key=call.v1.new_key(f"group:{chat.open_conversation_id}"),
            kind="group",
            robot_code=robot_code,
            app_id=call.app_id or "",
            sent_at=call.now,
            recipients=list(chat.members),
            msg_key=msg_key,
            msg_param=param,
            open_conversation_id=chat.open_conversation_id,
        )
    )
    return {"processQueryKey": message.key}


@v1_route(bp, "/v1.0/robot/groupMessages/query", "POST")
def group_query(call: V1Call) -> dict[str, Any]:
    """§4.2: who read it, ≤ 200 per page with nextToken/hasMore."""
    key = call.string("processQueryKey", required=True)
    robot_code = call.string("robotCode") or next(iter(robot_codes(call.state, call.app_id)))
    message = find_message(call, key, "group", robot_code)
    cid = call.string("openConversationId")
    if cid and cid != message.open_conversation_id:
        raise bad_request("invalid.openConversationId", "openConversationId不合法")
    max_results = call.value("maxResults")
    if max_results is None:
        max_results = 200
    if (
        isinstance(max_results, bool)
        or not isinstance(max_results, int)
        or not 1 <= max_results <= 200
    ):
        raise bad_request("invalidParameter.maxResults.invalid", "maxResults取值范围为1-200")
    token = call.string("nextToken")
    try:
        offset = int(token) if token else 0
    except ValueError:
        raise bad_request("invalidParameter.nextToken.invalid", "nextToken不合法") from None
    readers = []
    for userid in message.recipients:
        when = message.read_time(userid, call.settings)
        if when is not None and when <= call.now:
            readers.append((when, userid))
    readers.sort()
    page = [userid for _, userid in readers[offset : offset + max_results]]
    has_more = offset + max_results < len(readers)
    users = call.company.users
    reply: dict[str, Any] = {"sendStatus": send_status(message, call), "readUserIds": page}
    if call.settings.robot_group_read_users:
        reply["readUsers"] = [
            {"userId": u, "unionId": users[u].unionid if u in users else ""} for u in page
        ]
    reply["hasMore"] = has_more
    if has_more:
        reply["nextToken"] = str(offset + max_results)
    return reply


@v1_route(bp, "/v1.0/robot/groupMessages/recall", "POST")
def group_recall(call: V1Call) -> dict[str, Any]:
    """§4.3: openConversationId, robotCode and processQueryKeys, all required."""
    robot_code = check_robot_code(call, unknown="invalidParameter.robotCode.auth")
    call.string("openConversationId", required=True, code="invalid.openConversationId")
    return recall(call, "group", robot_code, call.settings.robot_group_recall_failure)


@v1_route(bp, "/v1.0/robot/installed/groups/query", "POST")
def installed_groups(call: V1Call) -> dict[str, Any]:
    """§4.4: the groups the robot is in, paged by maxResult/nextToken."""
    robot_code = check_robot_code(call)
    size = call.value("maxResult") or 100
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise bad_request("parameter.invalid", "maxResult不合法")
    token = call.string("nextToken")
    offset = int(token) if token.isdigit() else 0
    cids = [
        c.open_conversation_id
        for c in call.state.chats.values()
        if c.status == 1 and call.v1.robot_in_group(c.open_conversation_id, robot_code, call.now)
    ]
    page = cids[offset : offset + size]
    reply: dict[str, Any] = {"openConversationIds": page, "hasMore": offset + size < len(cids)}
    if reply["hasMore"]:
        reply["nextToken"] = str(offset + size)
    return reply


@v1_route(bp, "/v1.0/robot/groups/robots/query", "POST")
def group_robots(call: V1Call) -> dict[str, Any]:
    """§4.4: the robots in a group."""
    cid = call.string("openConversationId", required=True)
    if not any(c.open_conversation_id == cid for c in call.state.chats.values()):
        raise bad_request("invalid.openConversationId", "openConversationId不合法")
    return {
        "chatbotInstanceVOList": [
            {"robotCode": code, "name": "云帆助手", "downloadIconURL": "", "openRobotType": 1}
            for code in sorted(call.v1.robot_groups.get(cid, set()))
        ]
    }


@v1_route(bp, "/v1.0/robot/groups/orgRobots/add", "POST")
def add_org_robot(call: V1Call) -> dict[str, Any]:
    """§4.4 (preconditions unverified): put the app's robot into a group."""
    robot_code = check_robot_code(call)
    cid = call.string("openConversationId", required=True)
    if not any(c.open_conversation_id == cid and c.status == 1 for c in call.state.chats.values()):
        raise bad_request("invalid.openConversationId", "openConversationId不合法")
    call.v1.robot_groups[cid].add(robot_code)
    return {"result": True}
