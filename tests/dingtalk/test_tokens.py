"""Token stores: TTL, per-key isolation and the single-flight refresh lock."""

from __future__ import annotations

import threading

import pytest
from cachelib import FileSystemCache, SimpleCache

from dashboard.dingtalk import CacheTokenStore, MemoryTokenStore, TokenStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class NoAddCache:
    """A cache without ``add`` (no atomic primitive): the store falls back to a local lock."""

    def __init__(self) -> None:
        self.data: dict[str, object] = {}

    def get(self, key: str) -> object:
        return self.data.get(key)

    def set(self, key: str, value: object, timeout: int | None = None) -> bool:
        self.data[key] = value
        return True

    def delete(self, key: str) -> bool:
        return self.data.pop(key, None) is not None


@pytest.fixture(params=["memory", "simple", "filesystem"])
def store(request, tmp_path) -> TokenStore:
    if request.param == "memory":
        return MemoryTokenStore()
    if request.param == "simple":
        return CacheTokenStore(SimpleCache())
    return CacheTokenStore(FileSystemCache(str(tmp_path)))


def test_store_roundtrip_and_isolation(store: TokenStore) -> None:
    assert isinstance(store, TokenStore)
    assert store.get("app-a") is None
    store.set("app-a", "token-a", 7200)
    store.set("app-b", "token-b", 7200)
    assert store.get("app-a") == "token-a"
    assert store.get("app-b") == "token-b"
    store.delete("app-a")
    assert store.get("app-a") is None
    assert store.get("app-b") == "token-b"
    store.delete("missing")
    with store.refresh_lock("app-a") as held:
        assert held is True


def test_memory_store_expires_with_ttl() -> None:
    clock = FakeClock()
    store = MemoryTokenStore(clock=clock)
    store.set("app", "tok", 60)
    clock.now += 59
    assert store.get("app") == "tok"
    clock.now += 1
    assert store.get("app") is None


def test_cache_store_uses_prefix_and_timeout() -> None:
    cache = SimpleCache()
    store = CacheTokenStore(cache, prefix="dt:")
    store.set("app", "tok", 6900)
    assert cache.get("dt:app") == "tok"
    assert store.get("other") is None
    assert "tok" not in repr(store)


def test_cache_store_lock_is_released_and_reusable() -> None:
    cache = SimpleCache()
    store = CacheTokenStore(cache, prefix="dt:")
    with store.refresh_lock("app") as held:
        assert held is True
        assert cache.get("dt:lock:app") is not None
    assert cache.get("dt:lock:app") is None
    with store.refresh_lock("app") as held:
        assert held is True


def test_lock_held_elsewhere_waits_for_the_token(tmp_path) -> None:
    """Two 'processes' sharing one file cache: the second sees the first's token."""
    clock = FakeClock()
    other_process = CacheTokenStore(FileSystemCache(str(tmp_path)))
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 3:
            other_process.set("app", "fresh-token", 7200)
        clock.sleep(seconds)

    store = CacheTokenStore(FileSystemCache(str(tmp_path)), sleep=sleep, clock=clock)
    with other_process.refresh_lock("app"), store.refresh_lock("app") as held:
        assert held is False
        assert store.get("app") == "fresh-token"
    assert len(polls) == 3


def test_lock_wait_is_bounded_then_fetches_anyway() -> None:
    clock = FakeClock()
    cache = SimpleCache()
    holder = CacheTokenStore(cache)
    waiter = CacheTokenStore(
        cache, lock_wait=2.0, poll_interval=0.5, sleep=clock.sleep, clock=clock
    )
    with holder.refresh_lock("app"):
        start = clock.now
        with waiter.refresh_lock("app") as held:
            assert held is False
        assert clock.now - start == pytest.approx(2.0)


def test_backend_without_add_falls_back_to_a_local_lock() -> None:
    store = CacheTokenStore(NoAddCache())
    assert store.atomic_add is False
    inside = threading.Event()
    release = threading.Event()
    order: list[str] = []

    def first() -> None:
        with store.refresh_lock("app"):
            inside.set()
            release.wait(5)
            order.append("first")

    thread = threading.Thread(target=first)
    thread.start()
    inside.wait(5)
    release.set()
    with store.refresh_lock("app"):
        order.append("second")
    thread.join()
    assert order == ["first", "second"]
    store.set("app", "tok", 10)
    assert store.get("app") == "tok"


def test_memory_lock_serialises_threads_per_key() -> None:
    store = MemoryTokenStore()
    fetches: list[str] = []
    barrier = threading.Barrier(10)

    def worker() -> None:
        barrier.wait()
        if store.get("app"):
            return
        with store.refresh_lock("app"):
            if store.get("app") is None:
                fetches.append("fetch")
                store.set("app", "tok", 100)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fetches == ["fetch"]


def test_a_waiter_replacing_a_stale_token_waits_for_the_holders_fresh_one():
    """Two workers both saw token T1 rejected: the second must wait for T2, not fetch T3.

    With T1 still cached while the first fetches, "a token is cached" is not a
    reason to stop waiting; only a token other than the stale one is.
    """
    cache = SimpleCache()
    first = CacheTokenStore(cache, prefix="t:", lock_wait=10)
    second = CacheTokenStore(cache, prefix="t:", lock_wait=10)
    first.set("app", "T1", 7200)
    holding, seen = threading.Event(), []

    def refresh() -> None:
        with first.refresh_lock("app", stale="T1") as held:
            assert held
            holding.set()
            threading.Event().wait(0.5)
            first.set("app", "T2", 7200)

    thread = threading.Thread(target=refresh)
    thread.start()
    holding.wait(5)
    with second.refresh_lock("app", stale="T1"):
        seen.append(second.get("app"))
    thread.join()
    assert seen == ["T2"]  # the client then uses T2 instead of fetching
