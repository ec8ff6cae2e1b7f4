"""The delivery tasks. Enqueue one with ``deliver_send.enqueue(send_id)`` (or
``dashboard.delivery.enqueue("deliver_send", send_id)``) after committing the send.

Arguments travel through the queue: pass ids, never rows or secrets.
"""

from __future__ import annotations

import os
import time

from flask import current_app

from dashboard.delivery.queue import task
from dashboard.extensions import cache, db


@task
def deliver_send(send_id: int):
    """Send out the recorded send ``send_id`` (the notifications service does the work).

    No retries here: each batch's state is recorded before and after its call, and
    the service decides what may go out again.
    """
    from dashboard.notifications.sending import deliver

    return deliver(send_id)


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
