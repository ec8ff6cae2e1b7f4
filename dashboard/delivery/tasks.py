"""The delivery tasks. Enqueue one with ``deliver_send.enqueue(send_id)`` (or
``dashboard.delivery.enqueue("deliver_send", send_id)``) after committing the send.

Arguments travel through the queue: pass ids, never rows or secrets.
"""

from __future__ import annotations

import os
import time

from flask import current_app
from huey import crontab
from huey.api import PeriodicTask

from dashboard.delivery.queue import _queue_of, task
from dashboard.extensions import cache, db

_EVERY_MINUTE = crontab()


@task
def deliver_send(send_id: int):
    """Send out the recorded send ``send_id`` (``dashboard.notifications.sending.deliver``).

    No retries here: each batch's state is recorded before and after its call, and
    the service decides what may go out again. Running it twice is harmless: the
    second run finds nothing left, or the send claimed by the first.
    """
    from dashboard.notifications.sending import deliver

    return deliver(send_id)


@task
def recall_send(send_id: int):
    """Make the recorded, not yet started recall attempts of ``send_id``
    (``dashboard.notifications.sending.run_recalls``)."""
    from dashboard.notifications.sending import run_recalls

    return run_recalls(send_id)


@task
def deliver_chat_message(message_id: int):
    """Send the recorded chat message ``message_id`` (``dashboard.chats.service.deliver_message``).

    One chat/send call, started by one atomic update: a duplicate of the task finds
    it taken; a call interrupted mid-flight becomes ``unknown``, never sent again.
    """
    from dashboard.chats.service import deliver_message

    return deliver_message(message_id)


@task
def refresh_send_progress(send_id: int):
    """Ask DingTalk for the progress of the send's unfinished tasks, and settle it
    (``dashboard.notifications.results.refresh_progress``): a poll of a large send
    leaves this to the queue rather than waiting for DingTalk's budget itself."""
    from dashboard.notifications.models import Send
    from dashboard.notifications.results import refresh_progress

    try:
        send = db.session.get(Send, send_id)
        if send is not None:
            refresh_progress(send)
    finally:  # the next poll may queue the next refresh
        cache.delete(f"progress-refresh:{send_id}")
    return send_id


@task(task_base=PeriodicTask, validate_datetime=lambda self, timestamp: _EVERY_MINUTE(timestamp))
def fire_schedules():
    """Fire the schedules that are due (``dashboard.schedules.service.fire_due``).

    Periodic: every consumer queues it each minute; each due time is claimed in the
    database, so two consumers never fire the same run twice.
    """
    from dashboard.schedules.service import fire_due

    return fire_due()


@task
def handle_stream_event(event_row_id: int):
    """Act on one event recorded by the Stream process (``dashboard.events.handlers.handle``).

    The SDK's handler only records the event and enqueues this, then acknowledges: a
    slow handler never delays the ack. Runs once per event: the row's outcome says so.
    """
    from dashboard.events.handlers import handle

    return handle(event_row_id)


def deliver_later(send_id: int, delay: float, task: str = "deliver_send") -> None:
    """Queue ``task(send_id)`` (a send's or a chat message's id) in ``delay`` seconds (Huey's schedule).

    For a send another consumer holds: should that one die, its claim runs out and
    this run takes over. Immediate mode has no schedule: nothing is queued.
    """
    if current_app.config.get("DELIVERY_IMMEDIATE"):
        return
    _queue_of(current_app).task_wrapper(task).schedule(args=(send_id,), delay=delay)


@task
def ping(token: str, hold_until: str | None = None, timeout: float = 30.0) -> dict:
    """Answer with where it ran: proves a consumer runs tasks inside an app context.

    With ``hold_until`` (a cache key), first mark ``delivery:ping:<token>:started``
    in the cache, then wait, at most ``timeout`` seconds, for that key to appear:
    a task that is demonstrably running, for the shutdown tests.
    """
    held = False
    if hold_until:
        cache.set(f"delivery:ping:{token}:started", os.getpid(), timeout=300)
        deadline = time.monotonic() + timeout
        while not (held := bool(cache.get(hold_until))) and time.monotonic() < deadline:
            time.sleep(0.05)
    return {
        "token": token,
        "pid": os.getpid(),
        "app": current_app.import_name,
        "database": db.engine.dialect.name,
        "released": held,
    }
