"""The queue's consumer: `flask --app app delivery worker` (the Procfile's `worker:` line).

It builds the app once, like the web process (same `.env`, DATABASE_URL, CACHE_*,
DELIVERY_*), and runs Huey's consumer with DELIVERY_WORKERS threads; each task
runs in an app context of its own. SIGTERM (and Ctrl-C) lets the running tasks
finish, then the process exits 0; a second signal stops it at once. Every
HEARTBEAT_INTERVAL seconds it writes "last seen" into the shared cache, which
`/readyz` reads.

At start it queues again every send a stopped consumer left unfinished (one scan,
``sending.resume_unfinished``), so a SIGKILL mid-send resumes, and every chat message
still pending (``chats.service.resume_pending_messages``). :func:`stopping`
tells a running delivery that SIGTERM came: it finishes its current call, stops,
and queues the rest for the next consumer.
"""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import Flask, current_app
from huey.consumer import Consumer

from dashboard.delivery import bp
from dashboard.delivery.queue import HEARTBEAT_INTERVAL, backend_name, beat, get_huey

logger = logging.getLogger(__name__)

#: Set when this process's consumer is asked to stop (SIGTERM, Ctrl-C).
_STOPPING = threading.Event()


def stopping() -> bool:
    """True once the consumer of this process was asked to stop: deliveries stop between calls."""
    return _STOPPING.is_set()


class DeliveryConsumer(Consumer):
    """Huey's consumer plus the heartbeat, with Ctrl-C as graceful as SIGTERM."""

    def __init__(self, app: Flask, workers: int, **options):
        options.setdefault("graceful_signal", "TERM")
        options.setdefault("health_check_interval", HEARTBEAT_INTERVAL)
        # An idle SQLite queue is polled at least once a second, not every 10 s.
        options.setdefault("max_delay", 1.0)
        super().__init__(get_huey(app), workers=workers, worker_type="thread", **options)
        self.app = app
        # Ctrl-C in a terminal finishes the current call too, as SIGTERM does. When SIGINT
        # is ignored (a background job of a script: `make run`), it stays ignored, and
        # the script's SIGTERM is the only, graceful, signal.
        if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
            del self._signal_actions[signal.SIGINT]
        else:
            self._signal_actions[signal.SIGINT] = (False, True)

    def start(self):
        _STOPPING.clear()
        self.beat()
        self.resume_unfinished()
        super().start()

    def _handle_signal(self, signum, frame):
        _STOPPING.set()
        super()._handle_signal(signum, frame)

    def resume_unfinished(self) -> None:
        """Queue again every send left with batches to go and every chat message still
        pending (one scan, before the workers start)."""
        from dashboard.chats.service import resume_pending_messages
        from dashboard.notifications.sending import resume_unfinished

        try:
            with self.app.app_context():
                ids = resume_unfinished()
                messages = resume_pending_messages()
        except Exception:  # a database down at start must not keep the queue from running
            logger.exception("unfinished sends not re-queued")
            return
        logger.info(
            "delivery consumer re-queued %d unfinished send(s), %d chat message(s)",
            len(ids),
            len(messages),
        )

    def check_worker_health(self):
        healthy = super().check_worker_health()
        self.beat()
        return healthy

    def beat(self) -> None:
        try:
            with self.app.app_context():
                beat(self.workers)
        except Exception as exc:  # the cache being down must not stop deliveries
            logger.warning("delivery heartbeat not written: %s", type(exc).__name__)


@bp.cli.command("worker")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker threads (default: DELIVERY_WORKERS).",
)
def worker_command(workers: int | None) -> None:
    """Run the delivery queue's consumer until SIGTERM."""
    app = current_app._get_current_object()
    if app.config.get("DELIVERY_IMMEDIATE"):
        raise click.UsageError("DELIVERY_IMMEDIATE is on: tasks run in the web process, no worker.")
    count = workers or int(app.config.get("DELIVERY_WORKERS") or 1)
    logger.info("delivery consumer starting: %s worker thread(s) on %s", count, backend_name(app))
    DeliveryConsumer(app, count).run()
    logger.info("delivery consumer stopped")
