"""The pace of a send: the time its calls waited for DingTalk's budget, and an ETA at that budget.

Each batch's call waits in the rate governor (``dashboard.dingtalk.ratelimit``) for a
slot of DingTalk's per-app budget, shared by every process. The governor adds every
wait to the calling thread's total; the listeners below take that total when a batch
is started (the waits before it belong to someone else) and again when its outcome is
recorded, and add the second to ``Send.budget_wait_s`` (an UPDATE in the same commit
as the outcome). The record of a batch (``dashboard.attempts``) stays as it is: this module
only listens to it. It is imported by the notifications views, so every process that
builds the app (web and worker) listens.

:func:`delivery_counts` is the send's live progress (``sending.delivery_counts``) with
``budget_wait_s`` and an ETA at the budget's rate.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import current_app
from sqlalchemy import event, update
from sqlalchemy.orm import object_session

from dashboard.dingtalk.ratelimit import DEFAULT_RATE, take_thread_budget_wait
from dashboard.notifications import sending
from dashboard.notifications.models import Send, SendTask

#: Whether this thread started a batch whose outcome is not yet recorded.
_THREAD = threading.local()


@event.listens_for(SendTask.attempted_at, "set")
def _batch_started(task: SendTask, value: Any, old: Any, initiator: Any) -> None:
    if value is not None:
        take_thread_budget_wait()  # waits before this batch are not its own
        _THREAD.started = True


@event.listens_for(SendTask.finished_at, "set")
def _batch_finished(task: SendTask, value: Any, old: Any, initiator: Any) -> None:
    if value is None or not getattr(_THREAD, "started", False):
        return  # cleared by a start, or settled without a call (interrupted, cancelled)
    _THREAD.started = False
    waited = take_thread_budget_wait()
    session = object_session(task)
    if waited <= 0 or session is None or task.send_id is None:
        return
    # One UPDATE in the outcome's transaction, without loading the Send (its recipient
    # list can be 100,000 userids long, and this runs after every batch).
    with session.no_autoflush:
        session.execute(
            update(Send)
            .where(Send.id == task.send_id)
            .values(budget_wait_s=Send.budget_wait_s + waited)
            .execution_options(synchronize_session=False)
        )


def budget_rate() -> float:
    """Calls per second the governor allows one operation (DINGTALK_RATE_LIMIT)."""
    return float(current_app.config.get("DINGTALK_RATE_LIMIT") or DEFAULT_RATE)


def delivery_counts(send: Send) -> dict[str, Any]:
    """The send's live progress, with the seconds waited for the budget and an ETA that
    takes the budget's rate as the fastest pace (the first batches of a send go out at
    once and would make the rate seen so far look higher than DingTalk allows)."""
    counts = sending.delivery_counts(send)
    counts["budget_wait_s"] = round(send.budget_wait_s or 0.0, 1)
    counts["budget_rate_per_s"] = budget_rate()
    if counts["batches_left"] and send.state in ("queued", "sending"):
        seen = counts.get("rate_per_s")
        rate = min(seen, budget_rate()) if seen else budget_rate()
        counts["eta_s"] = round(counts["batches_left"] / rate, 1)
    return counts
