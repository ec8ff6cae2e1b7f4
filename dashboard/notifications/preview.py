"""The requests a send would make, for the composer's live preview.

Temporary home: the composer (``dashboard/composer/preview.py``) replaces it.
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app

from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.api.work_notices import ASYNCSEND_V2
from dashboard.notifications.batches import Batch, batch_limits, plan_batches
from dashboard.services.dingtalk import NotConfigured, get_client


def pretty_json(value: Any) -> str:
    """JSON as the admin should read it: key order kept, Chinese unescaped, indented."""
    return json.dumps(value, ensure_ascii=False, indent=2)


def acting_agent_id() -> int | None:
    """The AgentId the send would go out with: the acting client's (in ISV mode the
    selected company's), else the configured DINGTALK_AGENT_ID."""
    try:
        agent_id = get_client().agent_id
    except NotConfigured:  # no credentials, or no company chosen yet: the preview still renders
        agent_id = current_app.config.get("DINGTALK_AGENT_ID")
    return int(agent_id) if agent_id else None


def request_body(msg: dict[str, Any], batch: Batch, agent_id: int | None = None) -> dict[str, Any]:
    """The asyncsend_v2 JSON body for one batch, as the client sends it."""
    body: dict[str, Any] = {"agent_id": agent_id, "msg": dtmsg.wire_msg(msg)}
    if batch.userids:
        body["userid_list"] = ",".join(batch.userids)
    if batch.dept_ids:
        body["dept_id_list"] = ",".join(str(d) for d in batch.dept_ids)
    body["to_all_user"] = batch.to_all_user
    return body


def preview_requests(
    msg: dict[str, Any], userids: list[str], dept_ids: list[int], to_all_user: bool, limit: int = 3
) -> dict[str, Any]:
    """The requests a send would make, token redacted: ``{requests, calls, more}``."""
    batches = plan_batches(userids, dept_ids, to_all_user, *batch_limits())
    base = current_app.config["DINGTALK_API_BASE"].rstrip("/")
    line = f"POST {base}{ASYNCSEND_V2}?access_token=***"
    shown = batches[:limit] or [Batch()]
    agent_id = acting_agent_id()
    return {
        "requests": [
            {
                "line": line,
                "body": request_body(msg, b, agent_id),
                "body_text": pretty_json(request_body(msg, b, agent_id)),
            }
            for b in shown
        ],
        "calls": len(batches),
        "more": max(0, len(batches) - limit),
    }
