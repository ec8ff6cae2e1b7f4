"""The delivery queue: one Huey instance per app, built from the app's configuration.

Where the queue lives is a URL, like the database's (``DELIVERY_QUEUE_URL``):

* ``sqlite:///<path>``: Huey's SqliteStorage, a file of its own (the default is
  ``instance/queue.db``), no server: the web and the worker on one host share it.
* ``redis://...`` / ``rediss://...``: Huey's RedisStorage, for several hosts. Its keys
  sit under ``CACHE_KEY_PREFIX`` (``dashboard:delivery:queue`` ...) beside the
  cache's. Unset, the URL is the cache's Redis when the cache is Redis (every host
  already shares it, as the rate budget and the API limit do), else SQLite.

``DELIVERY_IMMEDIATE`` runs every task in the caller at once (Huey's immediate
mode, in memory): for in-process tests, and a console without a worker.

Tasks are plain functions decorated with :func:`task` (``dashboard/delivery/tasks.py``);
each app's Huey registers them when it is first used, and runs each one inside an
app context of its own, so a task uses ``db.session``, ``cache`` and the DingTalk
client as a request does. The Huey is built lazily: an app that never enqueues never
opens the queue (and a preloaded gunicorn master never holds its connections).
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app
from huey import Huey
from huey.api import Result
from huey.storage import RedisStorage, SqliteStorage

from dashboard.extensions import cache

EXTENSION_KEY = "delivery"
QUEUE_NAME = "delivery"
# The consumer writes "last seen" this often; /readyz calls it missing after STALE_AFTER.
HEARTBEAT_KEY = "delivery:consumer:last_seen"
HEARTBEAT_INTERVAL = 10
STALE_AFTER = 60

_TASKS: dict[str, tuple[Callable, dict[str, Any]]] = {}


class QueueConfigError(ValueError):
    """DELIVERY_QUEUE_URL names a store the queue cannot use."""


def task(fn: Callable | None = None, *, name: str | None = None, **options):
    """Declare ``fn`` a delivery task (``@task`` or ``@task(retries=..., ...)``).

    The function stays callable as it is (it runs here and now); ``fn.enqueue(*args)``
    hands it to the queue, as ``enqueue(name, *args)`` does. ``options`` are Huey's
    task options (retries, retry_delay, expires, ...).
    """

    def register(func: Callable) -> Callable:
        task_name = name or func.__name__
        if task_name in _TASKS and _TASKS[task_name][0] is not func:
            raise ValueError(f"a delivery task named {task_name!r} already exists")
        _TASKS[task_name] = (func, options)
        func.enqueue = functools.partial(enqueue, task_name)  # type: ignore[attr-defined]
        func.task_name = task_name  # type: ignore[attr-defined]
        return func

    return register(fn) if fn is not None else register


def enqueue(name: str, *args, **kwargs) -> Result | None:
    """Hand the task ``name`` to the current app's queue; answers at once with Huey's Result.

    Commit what the task will read first: the consumer is another process. In
    immediate mode the task has run when this returns.
    """
    return _queue_of(current_app).task_wrapper(name)(*args, **kwargs)


def get_huey(app: Flask | None = None) -> Huey:
    """The app's Huey instance (built on first use)."""
    return _queue_of(app or current_app).huey


def resolve_settings(app: Flask) -> None:
    """Fill in the default DELIVERY_QUEUE_URL (see the module's docstring)."""
    if app.config.get("DELIVERY_QUEUE_URL"):
        return
    redis_cache = str(app.config.get("CACHE_TYPE", "")).lower().endswith("rediscache")
    shared = app.config.get("CACHE_REDIS_URL") if redis_cache else None
    app.config["DELIVERY_QUEUE_URL"] = (
        shared or f"sqlite:///{os.path.join(app.instance_path, 'queue.db')}"
    )


def backend_name(app: Flask | None = None) -> str:
    """``immediate``, ``sqlite`` or ``redis``: where tasks wait, without the URL (it can hold a password)."""
    app = app or current_app
    if app.config.get("DELIVERY_IMMEDIATE"):
        return "immediate"
    scheme = urlsplit(str(app.config.get("DELIVERY_QUEUE_URL") or "")).scheme
    return "redis" if scheme in ("redis", "rediss", "unix") else scheme


# --- the heartbeat ---------------------------------------------------------------------


def beat(workers: int) -> None:
    """Record in the shared cache that a consumer runs (called by the consumer, in an app context)."""
    cache.set(
        HEARTBEAT_KEY,
        {"at": time.time(), "host": socket.gethostname(), "pid": os.getpid(), "workers": workers},
        timeout=24 * 3600,
    )


def last_seen() -> float | None:
    """Seconds since any consumer last wrote its heartbeat; None when none ever did."""
    value = cache.get(HEARTBEAT_KEY)
    if not isinstance(value, dict) or "at" not in value:
        return None
    return max(0.0, time.time() - float(value["at"]))


# --- building the Huey -----------------------------------------------------------------


class PrefixedRedisStorage(RedisStorage):
    """Huey's RedisStorage with its keys under the app's key prefix (``dashboard:delivery:...``)."""

    def __init__(self, name: str = QUEUE_NAME, key_prefix: str = "", **kwargs):
        super().__init__(name, **kwargs)
        base = f"{key_prefix}{name}:"
        self.queue_key = f"{base}queue"
        self.schedule_key = f"{base}schedule"
        self.result_key = f"{base}results"
        self.counter_key = f"{base}counters"
        self.notify_prefix = f"{base}notify:"


class _Queue:
    def __init__(self, app: Flask):
        self.app = app
        self.lock = threading.Lock()
        self._huey: Huey | None = None
        self.tasks: dict[str, Any] = {}

    @property
    def huey(self) -> Huey:
        if self._huey is None:
            with self.lock:
                if self._huey is None:
                    self._huey = self._build()
        return self._huey

    def task_wrapper(self, name: str):
        self.huey  # noqa: B018  (building it registers the tasks)
        try:
            return self.tasks[name]
        except KeyError:
            raise KeyError(f"no delivery task named {name!r}") from None

    def _build(self) -> Huey:
        import dashboard.delivery.tasks  # noqa: F401  (registers the tasks)

        huey = Huey(QUEUE_NAME, **storage_options(self.app))
        for task_name, (func, options) in _TASKS.items():
            self.tasks[task_name] = huey.task(name=task_name, **options)(
                in_app_context(self.app, func)
            )
        return huey


def storage_options(app: Flask) -> dict[str, Any]:
    """Huey's constructor arguments for the app's DELIVERY_* settings."""
    if app.config.get("DELIVERY_IMMEDIATE"):
        return {"immediate": True}  # Huey keeps the queue in memory then
    url = str(app.config.get("DELIVERY_QUEUE_URL") or "")
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise QueueConfigError("DELIVERY_QUEUE_URL: give a file, sqlite:///path/to/queue.db")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return {"storage_class": SqliteStorage, "filename": path}
    if parts.scheme in ("redis", "rediss", "unix"):
        return {
            "storage_class": PrefixedRedisStorage,
            "url": url,
            "key_prefix": app.config.get("CACHE_KEY_PREFIX") or "",
        }
    raise QueueConfigError(
        f"DELIVERY_QUEUE_URL: unsupported scheme {parts.scheme or '(none)'!r}; "
        "use sqlite:///path/to/queue.db or redis://host:port/db"
    )


def in_app_context(app: Flask, func: Callable) -> Callable:
    """``func`` run inside a fresh app context of ``app`` (its own db session, removed after)."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        with app.app_context():
            return func(*args, **kwargs)

    return run


def init_app(app: Flask) -> None:
    resolve_settings(app)
    if not app.config.get("DELIVERY_IMMEDIATE"):
        storage_options(app)  # a wrong URL fails at start, not at the first send
    app.extensions[EXTENSION_KEY] = _Queue(app)


def _queue_of(app: Flask) -> _Queue:
    try:
        return app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError("the delivery queue is not initialised on this app") from None
