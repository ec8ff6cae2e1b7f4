"""Readiness checks for `/readyz`: database, cache, the delivery queue and its consumer,
and the DingTalk token's freshness.

Each check returns a small dict with a ``status`` and nothing secret: failures
name the exception class only (driver messages can hold URLs with passwords),
and the token check reports whether a token is cached and for how long, never
the token. The token check spends no quota: it reads the store, never gettoken.
"""

from __future__ import annotations

import struct
import time
import uuid
from typing import Any

from flask import current_app
from sqlalchemy import text

from dashboard.extensions import cache, db

Check = dict[str, Any]


def check_database() -> Check:
    """`SELECT 1` on the configured database."""
    started = time.perf_counter()
    try:
        db.session.execute(text("SELECT 1")).scalar_one()
    except Exception as exc:
        db.session.rollback()
        return {"status": "error", "error": type(exc).__name__}
    return {
        "status": "ok",
        "backend": db.engine.dialect.name,
        "ms": _elapsed_ms(started),
    }


def check_cache() -> Check:
    """A set/get/delete round trip on the shared cache with a throwaway key."""
    started = time.perf_counter()
    key = f"readyz:{uuid.uuid4().hex}"
    value = uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        echoed = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}
    if echoed != value:
        return {"status": "error", "error": "value not read back"}
    return {
        "status": "ok",
        "backend": current_app.config.get("CACHE_TYPE"),
        "ms": _elapsed_ms(started),
    }


def check_token() -> Check:
    """Whether the internal app's token is cached, and its remaining lifetime when known.

    Informational: a missing token only means the next call fetches one, so
    this check never makes the instance unready.
    """
    from dashboard.services.dingtalk import NotConfigured, get_client

    try:
        client = get_client()
    except NotConfigured:
        return {"status": "not_configured"}
    store = client.token_store
    try:
        cached = store.get(client.token_key) is not None
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}
    result: Check = {"status": "ok", "cached": cached, "store": type(store).__name__}
    if cached:
        prefix = getattr(store, "prefix", None)
        if prefix is not None and getattr(store, "cache", None) is cache:
            result["expires_in"] = cached_lifetime(f"{prefix}{client.token_key}")
    return result


def cached_lifetime(key: str) -> int | None:
    """Seconds left before ``key`` expires in the Flask-Caching backend, None when unknown.

    Reads the backend's own expiry (Redis TTL, the simple cache's table, the
    file cache's header) without touching the value.
    """
    backend = cache.cache
    try:
        if hasattr(backend, "_read_client"):
            prefix = backend.key_prefix() if callable(backend.key_prefix) else backend.key_prefix
            ttl = backend._read_client.ttl(f"{prefix or ''}{key}")
            return int(ttl) if ttl is not None and ttl >= 0 else None
        if hasattr(backend, "_cache"):
            expires = backend._cache.get(key, (None, None))[0]
            return _left(expires)
        if hasattr(backend, "_get_filename"):
            with open(backend._get_filename(key), "rb") as handle:
                return _left(struct.unpack("I", handle.read(4))[0])
    except Exception:
        return None
    return None


def check_delivery_queue() -> Check:
    """The queue's store answers; how many tasks wait in it."""
    from dashboard.delivery.queue import backend_name, get_huey

    backend = backend_name()
    if backend == "immediate":
        return {"status": "ok", "backend": backend}
    try:
        pending = get_huey().pending_count()
    except Exception as exc:
        return {"status": "error", "backend": backend, "error": type(exc).__name__}
    return {"status": "ok", "backend": backend, "pending": pending}


def check_delivery_consumer() -> Check:
    """A queue consumer (the Procfile's `worker:`) wrote its heartbeat within STALE_AFTER seconds.

    Without one, sends are accepted and never go out, so the instance is not ready.
    """
    from dashboard.delivery.queue import STALE_AFTER, backend_name, last_seen

    if backend_name() == "immediate":
        return {"status": "ok", "mode": "immediate"}
    try:
        seen = last_seen()
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}
    if seen is None:
        return {"status": "error", "error": "no delivery consumer has ever been seen"}
    if seen > STALE_AFTER:
        return {
            "status": "error",
            "error": f"no delivery consumer seen for more than {STALE_AFTER} s",
            "last_seen_s": int(seen),
        }
    return {"status": "ok", "last_seen_s": int(seen)}


def check_events() -> Check:
    """The Stream events process (the Procfile's `events:`): its heartbeat within
    STALE_AFTER seconds, its connection state, reconnect count and last event time.

    Required only with DINGTALK_STREAM_ENABLED: without it nothing updates the directory
    or hears card presses and suite tickets over Stream, so the instance is not ready.
    """
    from dashboard.events.state import STALE_AFTER, summary

    if not current_app.config.get("DINGTALK_STREAM_ENABLED"):
        return {"status": "ok", "mode": "disabled"}
    try:
        info = summary()
    except Exception as exc:
        return {"status": "error", "error": type(exc).__name__}
    result: Check = {
        "status": "ok",
        "state": info["state"],
        "reconnects": info["reconnects"],
        "last_event_at": info["last_event_at"],
        "last_seen_s": info["last_seen_s"],
    }
    if info["last_seen_s"] is None:
        result.update(status="error", error="no events process has ever been seen")
    elif not info["alive"]:
        result.update(status="error", error=f"no events process seen for more than {STALE_AFTER} s")
    return result


REQUIRED = ("database", "cache", "delivery_queue", "delivery_consumer", "events")


def readiness() -> tuple[bool, dict[str, Check]]:
    """Run every check; ready when the database, the cache, the queue and a consumer answer."""
    checks = {
        "database": check_database(),
        "cache": check_cache(),
        "delivery_queue": check_delivery_queue(),
        "delivery_consumer": check_delivery_consumer(),
        "events": check_events(),
        "token": check_token(),
    }
    ready = all(checks[name]["status"] == "ok" for name in REQUIRED)
    return ready, checks


def _left(expires: float | None) -> int | None:
    if not expires:
        return None
    return max(0, int(expires - time.time()))


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)
