"""Access-token stores: where a client caches its token, and how refreshes are single-flighted.

A store maps a key (one per app: the appkey or corpid) to a token with a TTL.
``refresh_lock(key)`` is held by whoever fetches a new token, so concurrent
callers that find no token trigger exactly one ``gettoken``; after entering it,
callers re-read the store. Tokens are never logged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger("dashboard.dingtalk")


@runtime_checkable
class TokenStore(Protocol):
    """Where access tokens live between calls (and, for shared stores, between processes)."""

    def get(self, key: str) -> str | None:
        """Return the cached token for ``key``, or None when absent or expired."""
        ...

    def set(self, key: str, token: str, ttl: int) -> None:
        """Cache ``token`` for ``ttl`` seconds."""
        ...

    def delete(self, key: str) -> None:
        """Drop the cached token for ``key``."""
        ...

    def refresh_lock(self, key: str) -> contextlib.AbstractContextManager[Any]:
        """Context manager held while fetching a new token for ``key`` (single flight)."""
        ...


class _KeyedLocks:
    """One ``threading.Lock`` per key, created on demand."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key: str) -> threading.Lock:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock


class MemoryTokenStore:
    """In-process token store, safe across threads (not shared between processes)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._data: dict[str, tuple[str, float]] = {}
        self._guard = threading.Lock()
        self._locks = _KeyedLocks()

    def get(self, key: str) -> str | None:
        with self._guard:
            entry = self._data.get(key)
            if entry is None:
                return None
            token, expires_at = entry
            if self._clock() >= expires_at:
                del self._data[key]
                return None
            return token

    def set(self, key: str, token: str, ttl: int) -> None:
        with self._guard:
            self._data[key] = (token, self._clock() + ttl)

    def delete(self, key: str) -> None:
        with self._guard:
            self._data.pop(key, None)

    @contextlib.contextmanager
    def refresh_lock(self, key: str) -> Iterator[bool]:
        with self._locks.get(key):
            yield True

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._data)})"


class CacheTokenStore:
    """Token store over a cache object with ``get/set(timeout=)/delete/add``.

    Works with Flask-Caching's ``cache`` and with cachelib caches. The refresh
    lock is cross-process when the backend has an atomic ``add`` (Redis,
    Memcached, cachelib's file and simple caches): the holder sets
    ``<prefix>lock:<key>`` with a timeout; others poll the store for the new
    token for at most ``lock_wait`` seconds, then fetch anyway. Without ``add``
    (or with ``atomic_add=False``) the lock is process-local only.
    """

    def __init__(
        self,
        cache: Any,
        prefix: str = "dingtalk:token:",
        *,
        lock_timeout: int = 10,
        lock_wait: float = 10.0,
        poll_interval: float = 0.05,
        atomic_add: bool | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.prefix = prefix
        self.lock_timeout = lock_timeout
        self.lock_wait = lock_wait
        self.poll_interval = poll_interval
        self.atomic_add = (
            callable(getattr(cache, "add", None)) if atomic_add is None else atomic_add
        )
        self._sleep = sleep
        self._clock = clock
        self._local_locks = _KeyedLocks()

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self.prefix}lock:{key}"

    def get(self, key: str) -> str | None:
        value = self.cache.get(self._key(key))
        return value if isinstance(value, str) and value else None

    def set(self, key: str, token: str, ttl: int) -> None:
        self.cache.set(self._key(key), token, timeout=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        self.cache.delete(self._key(key))

    @contextlib.contextmanager
    def refresh_lock(self, key: str) -> Iterator[bool]:
        """Hold the refresh lock; yields True when held, False after a bounded wait."""
        with self._local_locks.get(key):
            if not self.atomic_add:
                yield True
                return
            lock_key = self._lock_key(key)
            owner = uuid.uuid4().hex
            acquired = self._wait_for_lock(key, lock_key, owner)
            try:
                yield acquired
            finally:
                if acquired and self.cache.get(lock_key) == owner:
                    self.cache.delete(lock_key)

    def _wait_for_lock(self, key: str, lock_key: str, owner: str) -> bool:
        deadline = self._clock() + self.lock_wait
        while True:
            if self.cache.add(lock_key, owner, timeout=self.lock_timeout):
                return True
            if self.get(key) is not None:
                return False
            if self._clock() >= deadline:
                logger.warning("token refresh lock %s still held after %.1fs", key, self.lock_wait)
                return False
            self.cache.get(lock_key)  # lets caches that expire lazily drop a stale lock
            self._sleep(self.poll_interval)

    def __repr__(self) -> str:
        return f"CacheTokenStore({type(self.cache).__name__}, prefix={self.prefix!r})"
