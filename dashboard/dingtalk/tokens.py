"""Access-token stores: where a client caches its token, and how refreshes are single-flighted.

A store maps a key (one per app: the appkey or corpid) to a token with a TTL.
``refresh_lock(key)`` is held by whoever fetches a new token, so concurrent
callers that find no token trigger exactly one ``gettoken``; after entering it,
callers re-read the store. Tokens are never logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger("dashboard.dingtalk")

#: Prefix of a v1.0 (api.dingtalk.com) token's key beside the classic key of the same app.
V1_KEY_PREFIX = "v1:"


def v1_token_key(key: str) -> str:
    """Key of an app's v1.0 token in the same store as its classic token (``key``)."""
    return f"{V1_KEY_PREFIX}{key}"


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

    def refresh_lock(
        self, key: str, stale: str | None = None
    ) -> contextlib.AbstractContextManager[Any]:
        """Context manager held while fetching a new token for ``key`` (single flight).

        ``stale`` is the token being replaced: a waiter stops waiting once the
        store holds a token other than it.
        """
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
    def refresh_lock(self, key: str, stale: str | None = None) -> Iterator[bool]:
        with self._locks.get(key):
            yield True

    def __repr__(self) -> str:
        return f"MemoryTokenStore(keys={len(self._data)})"


class CacheTokenStore:
    """Token store over a cache object with ``get/set(timeout=)/delete/add``.

    Works with Flask-Caching's ``cache`` and with cachelib caches. The refresh
    lock is cross-process:

    - on a file cache (cachelib's ``FileSystemCache``, whose ``add`` is a
      check-then-write) it is an ``flock`` on a lock file in the cache
      directory: exclusive across the processes of the host, and released by
      the kernel the moment a holder dies;
    - on any other backend with an atomic ``add`` (Redis ``SET NX``,
      Memcached) it is the key ``<prefix>lock:<key>`` holding the owner's id
      with a ``lock_timeout`` TTL that the holder renews while it fetches, so a
      slow gettoken keeps its lock, and a dead holder's lock expires within
      ``lock_timeout``. Only the owner removes it.

    Waiters poll the store for the new token and take over a lock that was
    released without one, for at most ``lock_wait`` seconds; then they fetch
    anyway (logged). Without ``add`` (or with ``atomic_add=False``) the lock
    is process-local only.
    """

    def __init__(
        self,
        cache: Any,
        prefix: str = "dingtalk:token:",
        *,
        lock_timeout: int = 10,
        lock_wait: float = 30.0,
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
    def refresh_lock(self, key: str, stale: str | None = None) -> Iterator[bool]:
        """Hold the refresh lock; yields True when held, False when another holder stored
        a token other than ``stale`` meanwhile, or after a bounded wait."""
        with self._local_locks.get(key):
            if not self.atomic_add:
                yield True
                return
            directory = _file_cache_dir(self.cache)
            lock: _FileLock | _CacheLock
            if directory is not None:
                lock = _FileLock(_lock_file_path(directory, self._lock_key(key)))
            else:
                lock = _CacheLock(self.cache, self._lock_key(key), self.lock_timeout)
            acquired = self._wait_for_lock(key, lock, stale)
            try:
                yield acquired
            finally:
                if acquired:
                    lock.release()

    def _wait_for_lock(self, key: str, lock: _FileLock | _CacheLock, stale: str | None) -> bool:
        deadline = self._clock() + self.lock_wait
        while True:
            if lock.try_acquire():
                return True
            if self.get(key) not in (None, stale):
                return False
            if self._clock() >= deadline:
                logger.warning("token refresh lock %s still held after %.1fs", key, self.lock_wait)
                return False
            self._sleep(self.poll_interval)

    def __repr__(self) -> str:
        return f"CacheTokenStore({type(self.cache).__name__}, prefix={self.prefix!r})"


class _CacheLock:
    """A lock key set with ``add``, renewed by its owner while held, removed only by its owner."""

    def __init__(self, cache: Any, lock_key: str, timeout: int) -> None:
        self.cache = cache
        self.lock_key = lock_key
        self.timeout = max(1, int(timeout))
        self.owner = uuid.uuid4().hex
        self._released = threading.Event()
        self._renewer: threading.Thread | None = None

    def try_acquire(self) -> bool:
        if not self.cache.add(self.lock_key, self.owner, timeout=self.timeout):
            self.cache.get(self.lock_key)  # lets caches that expire lazily drop a stale lock
            return False
        self._renewer = threading.Thread(target=self._renew, name="token-lock-renewer", daemon=True)
        self._renewer.start()
        return True

    def _renew(self) -> None:
        """Push the lock's expiry back every third of its timeout while the fetch runs."""
        while not self._released.wait(self.timeout / 3):
            try:
                if self.cache.get(self.lock_key) != self.owner:
                    return
                self.cache.set(self.lock_key, self.owner, timeout=self.timeout)
            except Exception:  # a cache outage: the lock then simply expires
                logger.warning("could not renew the token refresh lock", exc_info=True)
                return

    def release(self) -> None:
        self._released.set()
        if self._renewer is not None:
            self._renewer.join()
        if self.cache.get(self.lock_key) == self.owner:
            self.cache.delete(self.lock_key)


class _FileLock:
    """An exclusive ``flock`` on a file: across processes, and gone when its holder dies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        import fcntl

        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _file_cache_dir(cache: Any) -> str | None:
    """The directory of a cachelib ``FileSystemCache`` (directly or behind Flask-Caching), else None."""
    try:
        from cachelib import FileSystemCache
    except ImportError:  # pragma: no cover - cachelib ships with Flask-Caching
        return None
    backend = cache
    if not isinstance(backend, FileSystemCache):
        try:
            backend = getattr(cache, "cache", None)  # Flask-Caching's Cache (needs an app context)
        except RuntimeError:
            return None
    if isinstance(backend, FileSystemCache) and os.name == "posix":
        return backend._path
    return None


def _lock_file_path(directory: str, lock_key: str) -> str:
    """A lock file beside the cache entries that cachelib never counts, prunes or reads.

    cachelib treats names ending in its transaction suffix as its own temporary
    files and leaves them out of its listing.
    """
    digest = hashlib.sha256(lock_key.encode()).hexdigest()
    return os.path.join(directory, f"dingtalk-token-lock-{digest}.__wz_cache")
