"""The events process's state, shared through the cache: connection state, reconnect
count, last event time and a heartbeat (read by /readyz and the settings pages)."""

from __future__ import annotations

import time
from typing import Any

from dashboard.extensions import cache

STATE_KEY = "events:stream:state"
HEARTBEAT_KEY = "events:stream:last_seen"
HEARTBEAT_INTERVAL = 10
STALE_AFTER = 60

#: connecting, connected, disconnected (retrying), stopped
STATES = ("connecting", "connected", "disconnected", "stopped")

clock = time.time


def read_state() -> dict[str, Any]:
    value = cache.get(STATE_KEY)
    return dict(value) if isinstance(value, dict) else {}


def update_state(**changes: Any) -> dict[str, Any]:
    """Merge `changes` into the shared state (one writer: the events process)."""
    state = read_state()
    state.update(changes)
    cache.set(STATE_KEY, state, timeout=0)
    return state


def beat() -> None:
    cache.set(HEARTBEAT_KEY, clock(), timeout=STALE_AFTER * 10)


def last_seen() -> float | None:
    """Seconds since the events process last wrote its heartbeat; None if never."""
    seen = cache.get(HEARTBEAT_KEY)
    return None if seen is None else max(0.0, clock() - float(seen))


def summary() -> dict[str, Any]:
    """What /readyz and the pages show: state, since, reconnects, last event, heartbeat age."""
    state = read_state()
    seen = last_seen()
    alive = seen is not None and seen <= STALE_AFTER
    return {
        "state": state.get("state", "stopped") if alive else "stopped",
        "since": state.get("since"),
        "reconnects": int(state.get("reconnects", 0)),
        "last_event_at": state.get("last_event_at"),
        "last_seen_s": None if seen is None else int(seen),
        "alive": alive,
    }
