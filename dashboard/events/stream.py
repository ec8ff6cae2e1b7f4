"""The events process: the official `dingtalk-stream` SDK (0.24.3) kept connected.

``run(app)`` points the SDK at DINGTALK_API_V1_BASE (it reads DINGTALK_OPENAPI_ENDPOINT
once, at import, so the variable is set before the import), subscribes to every EVENT
(contacts, groups, ISV) and to card callbacks, and runs the SDK's own reconnect loop with
a backoff of ours in front of each new connection after a failure (1 s doubling to
EVENTS_MAX_BACKOFF, reset by any frame received).

Each frame is only recorded (``recording.record``: a row per eventId, so a redelivery
with a new messageId changes nothing), handed to the queue (``handle_stream_event``) and
acknowledged: a slow handler never delays the ack. If recording or queueing fails, no ack
is sent and DingTalk delivers the event again (§7.4, §7.6).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import threading
import time
from typing import Any

from flask import Flask

from dashboard.events import state
from dashboard.events.fields import epoch_ms
from dashboard.events.handlers import CARD_TOPIC, protect
from dashboard.events.recording import record
from dashboard.notifications.models import utcnow

log = logging.getLogger(__name__)
PRUNE_EVERY = 3600.0


class _HideTicket(logging.Filter):
    """The SDK logs the connection it opened ("endpoint is {endpoint, ticket}"): keep
    only the endpoint, the ticket is a credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args  # one dict argument: logging keeps the dict itself
        if isinstance(args, tuple) and len(args) == 1:
            args = args[0]
        if isinstance(args, dict) and "ticket" in args:
            record.args = (args.get("endpoint"),)
        return True


#: The logger the SDK writes to.
sdk_log = logging.getLogger("dashboard.events.sdk")
sdk_log.addFilter(_HideTicket())


class StreamNotConfigured(RuntimeError):
    """No credentials usable for Stream mode (an app key, or an ISV suite key)."""


def credentials(app: Flask) -> tuple[str, str]:
    cfg = app.config
    if cfg.get("DINGTALK_SUITE_KEY"):
        key, secret = cfg.get("DINGTALK_SUITE_KEY"), cfg.get("DINGTALK_SUITE_SECRET")
    else:
        key, secret = cfg.get("DINGTALK_APP_KEY"), cfg.get("DINGTALK_APP_SECRET")
    if not key or not secret:
        raise StreamNotConfigured(
            "Stream mode needs DINGTALK_APP_KEY and DINGTALK_APP_SECRET "
            "(or DINGTALK_SUITE_KEY and DINGTALK_SUITE_SECRET in ISV mode)"
        )
    return str(key), str(secret)


def import_sdk(app: Flask):
    """Set the SDK's endpoint from DINGTALK_API_V1_BASE, then import it."""
    os.environ["DINGTALK_OPENAPI_ENDPOINT"] = str(app.config["DINGTALK_API_V1_BASE"]).rstrip("/")
    import dingtalk_stream

    return dingtalk_stream


def accept(
    app: Flask,
    event_id: str,
    event_type: str,
    data: Any,
    *,
    topic: str = "*",
    corp_id: str = "",
    born: Any = None,
) -> bool:
    """Record one frame and queue its handler (first delivery only); True if it was new.

    Raises when it could not be recorded or queued: the caller then sends no ack.
    """
    from dashboard.delivery.tasks import handle_stream_event
    from dashboard.events.models import StreamEvent
    from dashboard.extensions import db

    data = data if isinstance(data, dict) else {"value": data}
    with app.app_context():
        if app.config.get("DINGTALK_SUITE_KEY"):
            data = protect(data)
        row_id, new = record(
            event_id, event_type, data, topic=topic, corp_id=corp_id, born_at=epoch_ms(born)
        )
        if new:
            try:
                handle_stream_event.enqueue(row_id)
            except Exception:
                db.session.rollback()
                db.session.execute(db.delete(StreamEvent).where(StreamEvent.id == row_id))
                db.session.commit()
                raise
        return new


def build_client(app: Flask, stop: threading.Event | None = None):
    """The SDK client with the console's handlers and connection bookkeeping."""
    sdk = import_sdk(app)
    key, secret = credentials(app)
    max_backoff = float(app.config.get("EVENTS_MAX_BACKOFF") or 60.0)
    stop = stop or threading.Event()

    class ConsoleStreamClient(sdk.DingTalkStreamClient):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.opened = 0
            self.failures = 0
            self.frames = 0

        def open_connection(self):
            if self.opened and not self.frames:
                self.failures += 1  # a connection that carried nothing counts as a failure
            if self.failures:
                delay = min(2 ** (self.failures - 1), max_backoff) + random.uniform(0, 0.5)
                log.info("events: reconnecting in %.1f s", delay)
                if stop.wait(delay):  # shutting down: no new connection
                    return None
            with app.app_context():
                state.update_state(state="connecting", since=_now())
            result = super().open_connection()
            if not result or not result.get("endpoint"):
                self.failures += 1
                with app.app_context():
                    state.update_state(state="disconnected", since=_now())
                return None
            self.opened += 1
            self.frames = 0
            with app.app_context():
                state.update_state(
                    state="connected", since=_now(), reconnects=max(0, self.opened - 1)
                )
            log.info("events: connected (%d reconnects)", self.opened - 1)
            return result

        async def route_message(self, json_message):
            self.frames += 1
            self.failures = 0
            return await super().route_message(json_message)

    class Events(sdk.EventHandler):
        async def process(self, event):
            h = event.headers
            event_id = h.event_id or f"msg:{h.message_id}"
            accept(
                app,
                event_id,
                h.event_type or "",
                event.data,
                corp_id=h.event_corp_id or "",
                born=h.event_born_time,
            )
            return sdk.AckMessage.STATUS_OK, "OK"

    class Cards(sdk.CallbackHandler):
        async def process(self, callback):
            data = callback.data if isinstance(callback.data, dict) else {}
            accept(
                app,
                f"cb:{callback.headers.message_id}",
                "card_callback",
                data,
                topic=CARD_TOPIC,
                corp_id=str(data.get("corpId") or ""),
            )
            # As the HTTP callback: the card is not changed by the press itself.
            return sdk.AckMessage.STATUS_OK, {}

    client = ConsoleStreamClient(sdk.Credential(key, secret), logger=sdk_log)
    client.register_all_event_handler(Events())
    client.register_callback_handler(CARD_TOPIC, Cards())
    return client


def _now() -> str:
    return utcnow().isoformat(timespec="seconds") + "Z"


def _housekeeping(app: Flask, stop: threading.Event) -> None:
    """The heartbeat every HEARTBEAT_INTERVAL s, and the events log pruned hourly."""
    from dashboard.events.recording import prune

    last_prune = 0.0
    while not stop.is_set():
        with app.app_context():
            try:
                state.beat()
                if time.monotonic() - last_prune > PRUNE_EVERY:
                    prune()
                    last_prune = time.monotonic()
            except Exception as exc:  # the next beat tries again
                log.warning("events heartbeat not written: %s", type(exc).__name__)
        stop.wait(state.HEARTBEAT_INTERVAL)


async def _serve(client, stop: threading.Event) -> None:
    """Run the SDK's loop until SIGTERM / SIGINT, then close the socket and its tasks.

    The SDK's loop catches CancelledError once (it then sleeps 10 s): its tasks are
    cancelled twice, so the process stops within seconds.
    """
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: (stop.set(), stopping.set()))
    sdk_task = asyncio.create_task(client.start())
    waiter = asyncio.create_task(stopping.wait())
    await asyncio.wait({sdk_task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if client.websocket is not None:
        with contextlib.suppress(Exception):  # closing anyway
            await asyncio.wait_for(client.websocket.close(), 2)
    current = asyncio.current_task()
    for _ in range(2):
        tasks = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
        if not tasks:
            break
        for task in tasks:
            task.cancel()
        await asyncio.wait(tasks, timeout=1)


def run(app: Flask) -> None:
    """Connect and handle events until SIGTERM / Ctrl-C."""
    stop = threading.Event()
    enabled = bool(app.config.get("DINGTALK_STREAM_ENABLED"))
    with app.app_context():
        state.update_state(
            state="connecting" if enabled else "disabled", since=_now(), reconnects=0
        )
    threading.Thread(target=_housekeeping, args=(app, stop), daemon=True).start()
    try:
        if not enabled:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda signum, frame: stop.set())
            log.info("events: DINGTALK_STREAM_ENABLED is off; idle")
            while not stop.wait(3600):
                pass
            return
        client = build_client(app, stop)
        log.info("events: Stream mode at %s", os.environ["DINGTALK_OPENAPI_ENDPOINT"])
        asyncio.run(_serve(client, stop))
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        with app.app_context():
            state.update_state(state="stopped", since=_now())
        log.info("events: stopped")
