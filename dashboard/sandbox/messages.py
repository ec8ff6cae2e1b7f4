"""Work notices: topapi/message/corpconversation/* (§2).

asyncsend_v2 accepts a task and records each recipient's outcome up front:
unknown ids are invalid, duplicates and daily-cap breaches are forbidden
(never API errors), everyone else is delivered. Progress and reading advance
with the sandbox clock.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint

from dashboard.sandbox.clock import china_day
from dashboard.sandbox.errors import (
    EMPTY_RECIPIENTS,
    INVALID_AGENTID,
    LIST_LENGTH,
    MISSING_AGENTID,
    OapiError,
    invalid_param,
    missing_param,
)
from dashboard.sandbox.msgtypes import validate_msg
from dashboard.sandbox.params import to_int
from dashboard.sandbox.routing import OapiCall, oapi_route
from dashboard.sandbox.state import NoticeTask, SandboxState

bp = Blueprint("sandbox_messages", __name__)

PREFIX = "/topapi/message/corpconversation"
DUPLICATE = "143106"
DAILY_CAP = "143105"
# Third-party (ISV) apps get their own variants of the two codes (§2.3).
ISV_CODES = {DUPLICATE: "143206", DAILY_CAP: "143205"}


def require_agent(call: OapiCall) -> int:
    """agent_id must be present (41011) and be this app's agent (40056)."""
    if not call.params.has("agent_id"):
        raise OapiError(MISSING_AGENTID)
    try:
        agent_id = to_int(call.params.raw("agent_id"), "agent_id")
    except OapiError:
        raise OapiError(INVALID_AGENTID) from None
    if agent_id != call.settings.agent_id:
        raise OapiError(INVALID_AGENTID)
    return agent_id


def require_task(call: OapiCall, name: str, max_age: float) -> NoticeTask:
    """A task this app sent no more than `max_age` seconds ago, else the unknown-task errcode.

    Another app's (or another company's) task is unknown to this one.
    """
    task_id = call.params.integer(name, required=True)
    task = call.state.tasks.get(task_id or 0)
    if task is None or task.app_id != (call.app_id or "") or call.now - task.created_at > max_age:
        raise OapiError(call.settings.unknown_task_errcode, f"无效的task_id: {task_id}")
    return task


def content_key(msg: dict[str, Any]) -> str:
    """A digest of the message content, for the same-content-same-day rule."""
    text = json.dumps(msg, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@oapi_route(bp, f"{PREFIX}/asyncsend_v2", "POST")
def asyncsend_v2(call: OapiCall) -> dict[str, Any]:
    """Accept a work notice and return its task_id (§2.1)."""
    settings = call.settings
    params = call.params
    agent_id = require_agent(call)
    shape = "any" if settings.loose_id_lists else "comma"
    userids = params.string_list("userid_list", shape) or []
    dept_texts = params.string_list("dept_id_list", shape) or []
    to_all = params.boolean("to_all_user")
    if not to_all and not userids and not dept_texts:
        raise OapiError(EMPTY_RECIPIENTS)
    if len(userids) > settings.userid_list_max:
        raise OapiError(LIST_LENGTH, f"userid_list 最多 {settings.userid_list_max} 个")
    if len(dept_texts) > settings.dept_id_list_max:
        raise OapiError(LIST_LENGTH, f"dept_id_list 最多 {settings.dept_id_list_max} 个")
    dept_ids = [to_int(text, "dept_id_list") for text in dept_texts]
    msg = params.obj("msg")
    if msg is None:
        raise missing_param("msg")
    validate_msg(msg, settings.msg_max_bytes)
    task = deliver(call.state, call.app_id or "", agent_id, msg, userids, dept_ids, to_all)
    return {"task_id": task.task_id}


def deliver(
    state: SandboxState,
    app_id: str,
    agent_id: int,
    msg: dict[str, Any],
    userids: list[str],
    dept_ids: list[int],
    to_all: bool,
) -> NoticeTask:
    """Expand recipients and record every per-recipient outcome in a new task."""
    company = state.company_of(app_id)
    settings = state.settings
    now = state.clock.now()
    day = china_day(now)
    recipients: dict[str, None] = {}
    invalid_users: list[str] = []
    invalid_depts: list[int] = []
    for userid in dict.fromkeys(userids):
        if userid in company.users:
            recipients[userid] = None
        else:
            invalid_users.append(userid)
    for dept_id in dict.fromkeys(dept_ids):
        if dept_id in company.departments:
            recipients.update((u.userid, None) for u in company.members_deep(dept_id))
        else:
            invalid_depts.append(dept_id)
    all_forbidden = False
    if to_all:
        recipients.update((userid, None) for userid in company.users)
        if state.to_all_counts[(app_id, day)] >= settings.to_all_user_daily_max:
            all_forbidden = True
        else:
            state.to_all_counts[(app_id, day)] += 1
    key = content_key(msg)
    isv = app_id not in (settings.app_key, settings.corp_id)
    daily_cap = settings.isv_daily_per_user_cap if isv else settings.daily_per_user_cap
    delivered: list[str] = []
    forbidden: list[dict[str, Any]] = []
    for userid in recipients:
        if all_forbidden:
            code, count = settings.to_all_user_forbidden_code, settings.to_all_user_daily_max
        elif (app_id, userid, day, key) in state.delivered:
            code, count = DUPLICATE, 1
        elif state.daily_counts[(app_id, userid, day)] >= daily_cap:
            code, count = DAILY_CAP, daily_cap
        else:
            state.delivered.add((app_id, userid, day, key))
            state.daily_counts[(app_id, userid, day)] += 1
            delivered.append(userid)
            continue
        if isv:
            code = ISV_CODES.get(code, code)
        forbidden.append({"code": code, "count": count, "userid": userid})
    task = NoticeTask(
        task_id=state.next_task_id(),
        agent_id=agent_id,
        app_id=app_id,
        created_at=now,
        msg=msg,
        recipients=delivered,
        invalid_user_ids=invalid_users,
        invalid_dept_ids=invalid_depts,
        forbidden=forbidden,
    )
    state.tasks[task.task_id] = task
    return task


@oapi_route(bp, f"{PREFIX}/getsendprogress", "POST")
def getsendprogress(call: OapiCall) -> dict[str, Any]:
    """Status 0 -> 1 -> 2 and percent 0..100 as the sandbox clock advances (§2.2)."""
    require_agent(call)
    task = require_task(call, "task_id", call.settings.task_retention_seconds)
    status, percent = task.progress(call.now, call.settings)
    return {"progress": {"progress_in_percent": percent, "status": status}}


@oapi_route(bp, f"{PREFIX}/getsendresult", "POST")
def getsendresult(call: OapiCall) -> dict[str, Any]:
    """Invalid, forbidden, read and unread recipients of a task (§2.3)."""
    require_agent(call)
    task = require_task(call, "task_id", call.settings.task_retention_seconds)
    read = [u for u in task.recipients if task.has_read(u, call.now, call.settings)]
    read_set = set(read)
    return {
        "send_result": {
            "invalid_user_id_list": list(task.invalid_user_ids),
            "forbidden_user_id_list": [f["userid"] for f in task.forbidden],
            "failed_user_id_list": [],
            "read_user_id_list": read,
            "unread_user_id_list": [u for u in task.recipients if u not in read_set],
            "invalid_dept_id_list": list(task.invalid_dept_ids),
            "forbidden_list": [dict(f) for f in task.forbidden],
        }
    }


@oapi_route(bp, f"{PREFIX}/recall", "POST")
def recall(call: OapiCall) -> dict[str, Any]:
    """Recall a notice sent in the last 24 h (§2.4)."""
    require_agent(call)
    task = require_task(call, "msg_task_id", call.settings.recall_window_seconds)
    task.recalled = True
    return {}


@oapi_route(bp, f"{PREFIX}/status_bar/update", "POST")
def status_bar_update(call: OapiCall) -> dict[str, Any]:
    """Update the status bar of an OA notice sent in the last 7 days (§2.4)."""
    require_agent(call)
    task = require_task(call, "task_id", call.settings.status_bar_window_seconds)
    status_value = call.params.string("status_value", required=True)
    status_bg = call.params.string("status_bg")
    oa = task.msg.get("oa") if task.msg.get("msgtype") == "oa" else None
    if not isinstance(oa, dict) or not isinstance(oa.get("status_bar"), dict):
        raise invalid_param("task is not an OA message with a status_bar")
    oa["status_bar"]["status_value"] = status_value
    if status_bg:
        oa["status_bar"]["status_bg"] = status_bg
    return {}
