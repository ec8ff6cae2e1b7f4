"""Client-side rate limiting per (app, operation) key.

DingTalk limits each app per API (about 20 QPS on the standard edition, §10 of
the reference), so the client waits before sending rather than collecting
90018s. ``LocalRateLimiter`` keeps its budget in the process;
``RedisRateLimiter`` shares one budget across processes.

``acquire`` blocks: a caller over the budget waits its turn instead of being
refused. The wait is bounded by ``max_wait`` seconds (``None``: unbounded), or
less when the caller has a deadline of its own (``within``); past it
``BudgetWaitExceeded`` (a ``Throttled``, so callers handle it as DingTalk's own
throttling, with ``retry_after``) is raised and nothing is sent. The client does
not retry it: the call already waited as long as it could.

``acquire`` returns the seconds it waited, and adds them to the calling thread's
running total (:func:`thread_budget_wait`, :func:`take_thread_budget_wait`), so
whoever makes a series of calls (a send's batches) can say how long the budget
held it up.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from .errors import Throttled

#: DingTalk's per-app, per-API budget (§10: 20 QPS on the standard edition).
DINGTALK_QPS = 20
#: The governor's default: 5 % under DingTalk's budget. The governor grants slots on
#: its own clock (this process's, or the Redis server's) while DingTalk counts calls
#: on its clock as they arrive; the time between the two (scheduling, the network,
#: TLS) varies from call to call, so calls granted exactly 1 s apart can land 0.98 s
#: apart in DingTalk's window, and a governor at exactly 20/s collects 90018s. One
#: call in twenty of headroom absorbs that jitter and costs 5 % of throughput.
DEFAULT_RATE = 19
#: Default bound of one ``acquire``: far above a normal queue for the budget
#: (32 callers on a 20/s budget wait 1.6 s), below gunicorn's timeout.
DEFAULT_MAX_WAIT = 30.0


class BudgetWaitExceeded(Throttled):
    """The call waited as long as it may for the rate budget and was not sent.

    ``waited`` is how long it waited (already counted in the thread's total).
    """

    def __init__(self, message: str, *, waited: float = 0.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.waited = waited


_THREAD = threading.local()


def thread_budget_wait() -> float:
    """Seconds the calling thread's ``acquire`` calls have waited for the budget so far."""
    return getattr(_THREAD, "waited", 0.0)


def take_thread_budget_wait() -> float:
    """The calling thread's total wait since the last take (then back to zero)."""
    waited = thread_budget_wait()
    _THREAD.waited = 0.0
    return waited


def _count_wait(seconds: float) -> None:
    if seconds > 0:
        _THREAD.waited = thread_budget_wait() + seconds


def _bound(max_wait: float | None, within: float | None) -> float | None:
    """The tighter of the limiter's bound and the caller's (``None`` is no bound)."""
    if within is None:
        return max_wait
    return max(0.0, within) if max_wait is None else max(0.0, min(max_wait, within))


def _acquire(
    try_acquire: Callable[[str], float],
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    key: str,
    max_wait: float | None,
) -> float:
    """Wait for a slot under ``key`` and return the seconds waited; raise
    BudgetWaitExceeded (nothing taken) rather than wait past ``max_wait``."""
    started = clock()
    try:
        while (wait := try_acquire(key)) > 0:
            if max_wait is not None and clock() - started + wait > max_wait:
                path = key.split(":", 1)[-1]
                raise BudgetWaitExceeded(
                    f"{path}: the rate budget stayed full for {max_wait:g}s; not sent",
                    retry_after=wait,
                    path=path if path.startswith("/") else None,
                    waited=clock() - started,
                )
            sleep(wait)
    finally:
        _count_wait(clock() - started)
    return clock() - started


@runtime_checkable
class RateLimiter(Protocol):
    """Blocks until a call under ``key`` is allowed."""

    def acquire(self, key: str, *, within: float | None = None) -> float:
        """Wait until one more call under ``key`` fits in the budget, and take it.

        Waits at most the limiter's ``max_wait``, or ``within`` seconds when that is
        less; returns the seconds waited.
        """
        ...


class LocalRateLimiter:
    """Sliding window of ``rate`` calls per ``per`` seconds for each key, in this process."""

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        per: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_wait: float | None = DEFAULT_MAX_WAIT,
    ) -> None:
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.rate = rate
        self.per = per
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def try_acquire(self, key: str) -> float:
        """Take a slot and return 0.0, or return the seconds to wait before trying again."""
        with self._lock:
            now = self._clock()
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - self.per:
                window.popleft()
            if len(window) < self.rate:
                window.append(now)
                return 0.0
            return max(window[0] + self.per - now, 1e-3)

    def acquire(self, key: str, *, within: float | None = None) -> float:
        bound = _bound(self.max_wait, within)
        return _acquire(self.try_acquire, self._sleep, self._clock, key, bound)

    def __repr__(self) -> str:
        return f"LocalRateLimiter(rate={self.rate}, per={self.per})"


_SLIDING_WINDOW_LUA = """
local key = KEYS[1]
local rate = tonumber(ARGV[1])
local per_us = tonumber(ARGV[2])
local member = ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - per_us)
if redis.call('ZCARD', key) < rate then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(per_us / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + per_us - now
if wait < 1000 then wait = 1000 end
return wait
"""


class RedisRateLimiter:
    """Sliding window of ``rate`` calls per ``per`` seconds per key, shared through Redis.

    One Lua script trims, counts and records atomically using the Redis server
    clock, so every process (gunicorn workers, CLI jobs) draws on one budget.
    """

    def __init__(
        self,
        redis_client: Any,
        rate: float = DEFAULT_RATE,
        per: float = 1.0,
        prefix: str = "dingtalk:ratelimit:",
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        max_wait: float | None = DEFAULT_MAX_WAIT,
    ) -> None:
        if rate < 1 or per <= 0:
            raise ValueError("rate must be >= 1 and per > 0")
        self.redis = redis_client
        self.rate = rate
        self.per = per
        self.prefix = prefix
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._script = redis_client.register_script(_SLIDING_WINDOW_LUA)

    def try_acquire(self, key: str) -> float:
        """Take a slot and return 0.0, or return the seconds to wait before trying again."""
        member = uuid.uuid4().hex
        wait_us = self._script(
            keys=[f"{self.prefix}{key}"],
            args=[self.rate, int(self.per * 1_000_000), member],
        )
        return int(wait_us) / 1_000_000

    def acquire(self, key: str, *, within: float | None = None) -> float:
        bound = _bound(self.max_wait, within)
        return _acquire(self.try_acquire, self._sleep, self._clock, key, bound)

    def __repr__(self) -> str:
        return f"RedisRateLimiter(rate={self.rate}, per={self.per}, prefix={self.prefix!r})"
