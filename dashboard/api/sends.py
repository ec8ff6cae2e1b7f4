"""Work notices through the API, on the delivery queue.

`send_work_notice` records a send and hands it to the queue (in immediate mode,
and before the queue is wired, it has gone out when it returns). The API then:

* one batch (what the original service could send: at most 100 userids, 20
  departments, or everyone): waits for that batch's outcome, bounded by the
  client's own limits (`delivery_wait`), and answers DingTalk's reply with its
  task_id as before. Waiting, rather than calling DingTalk here, keeps one path
  for every batch (the consumer's, with its exactly-once record) and the budget
  shared with every other send.
* several batches: answers at once, 202, with the send's id; `sendStatus` tells
  how it is going.

Everything here reads the notification models only (Send, SendTask and their
attempt columns), never the queue.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from flask import current_app

from dashboard.attempts import DONE, FAILED, PENDING, UNKNOWN
from dashboard.extensions import db
from dashboard.notifications.models import Send, SendTask
from dashboard.services.dingtalk import current_company

#: Seconds allowed for a queued batch to be picked up by a consumer.
PICKUP_SECONDS = 5.0
#: Task states counted in every sendStatus, even at zero.
TASK_STATES = (DONE, FAILED, UNKNOWN, PENDING)


ACCEPTED_DESCRIPTION = (
    "A send of several batches (more than 100 userids or 20 departments), or one whose single "
    "batch did not go out within the wait: recorded and queued. Follow it with sendStatus."
)
ACCEPTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["send_id", "state", "batches"],
    "properties": {
        "send_id": {"type": "integer"},
        "state": {"type": "string", "example": "queued"},
        "batches": {"type": "integer", "description": "asyncsend_v2 calls the send is made of"},
    },
}
_NULLABLE_INT = {"type": ["integer", "null"]}
_NULLABLE_STR = {"type": ["string", "null"]}
STATUS_DESCRIPTION = "The send's state, its counts and every batch's task, from the record."
STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["send_id", "state", "counts", "tasks"],
    "properties": {
        "send_id": {"type": "integer"},
        "state": {"type": "string"},
        "created_at": {"type": "string", "format": "date-time"},
        "errcode": _NULLABLE_INT,
        "errmsg": _NULLABLE_STR,
        "counts": {
            "type": "object",
            "properties": {
                "recipients": {"type": "integer", "description": "userids named"},
                "departments": {"type": "integer"},
                "to_all_user": {"type": "boolean"},
                "batches": {"type": "integer"},
                **{
                    state: {"type": "integer", "description": f"batches {state}"}
                    for state in ("done", "failed", "unknown", "pending")
                },
            },
            "additionalProperties": {"type": "integer"},
        },
        "tasks": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "batch_no": {"type": "integer"},
                    "task_id": _NULLABLE_INT,
                    "state": {"type": "string", "enum": ["pending", "done", "failed", "unknown"]},
                    "errcode": _NULLABLE_INT,
                    "errmsg": _NULLABLE_STR,
                    "recipients": {"type": "integer"},
                },
            },
        },
    },
}


def delivery_wait() -> float:
    """How long a one-batch send may take: the budget's wait, the call's timeout, the pickup."""
    config = current_app.config
    budget = float(config.get("DINGTALK_RATE_LIMIT_MAX_WAIT") or 30.0)
    timeout = float(config.get("DINGTALK_TIMEOUT") or 10.0)
    return budget + timeout + PICKUP_SECONDS


def delivered(send: Send) -> bool:
    """True once no batch of the send is still to go out or on the wire."""
    return all(task.state != PENDING for task in send.tasks)


def wait_for_delivery(
    send: Send, timeout: float, *, clock=time.monotonic, sleep=time.sleep
) -> bool:
    """Wait until every batch of ``send`` has an outcome; False when ``timeout`` passed first.

    Each look ends the session's transaction first, so the consumer's commits are
    seen (SQLite keeps a reader's snapshot until then).
    """
    deadline = clock() + timeout
    delay = 0.02
    while True:
        if delivered(send):
            return True
        if clock() >= deadline:
            return False
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 1.5, 0.25)
        db.session.commit()  # nothing pending: ends the transaction, expires what was read
        db.session.refresh(send)


def accepted(send: Send) -> dict[str, Any]:
    """The 202 body's data: the send's id, its state, its number of batches."""
    return {"send_id": send.id, "state": send.state, "batches": len(send.tasks)}


def find_api_send(send_id: int) -> Send | None:
    """A send made through the API, for the company acted for (None otherwise)."""
    send = db.session.get(Send, send_id)
    if send is None or send.source != "api" or send.corpid != current_company():
        return None
    return send


def send_status(send: Send) -> dict[str, Any]:
    """sendStatus: the send's state, counts of recipients and batches, and every task."""
    states = Counter(task.state for task in send.tasks)
    counts: dict[str, Any] = {
        "recipients": len(send.userids),
        "departments": len(send.dept_ids),
        "to_all_user": bool(send.to_all_user),
        "batches": len(send.tasks),
    }
    counts.update({state: states.get(state, 0) for state in TASK_STATES})
    counts.update({state: n for state, n in states.items() if state not in TASK_STATES})
    return {
        "send_id": send.id,
        "state": send.state,
        "created_at": send.created_at.isoformat() + "Z",
        "errcode": send.errcode,
        "errmsg": send.errmsg,
        "counts": counts,
        "tasks": [task_status(task) for task in send.tasks],
    }


def task_status(task: SendTask) -> dict[str, Any]:
    return {
        "batch_no": task.batch_no,
        "task_id": task.task_id,
        "state": task.state,
        "errcode": task.errcode,
        "errmsg": task.errmsg,
        "recipients": len(task.userids),
    }
