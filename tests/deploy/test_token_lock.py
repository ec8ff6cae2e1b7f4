"""The cross-process token refresh lock, on the real Redis and on the file cache.

What a deployment relies on: a gettoken slower than the lock's timeout keeps
its lock (no second fetch), a dead holder does not block the others for long,
only the owner removes the lock, and on the single-host file cache the lock
is as exclusive across processes as on Redis.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from cachelib import FileSystemCache, RedisCache

from dashboard.dingtalk import CacheTokenStore
from tests.deploy.conftest import ROOT, wait_until

HOLD_AND_DIE = """
import os, sys, time
from cachelib import FileSystemCache, RedisCache
from dashboard.dingtalk import CacheTokenStore
kind, where, prefix = sys.argv[1:4]
cache = FileSystemCache(where) if kind == "file" else RedisCache(
    host="127.0.0.1", port=6379, key_prefix=where
)
store = CacheTokenStore(cache, prefix=prefix, lock_timeout=2)
with store.refresh_lock("app") as held:
    print("held" if held else "not held", flush=True)
    time.sleep(60)  # killed here, in the middle of its "gettoken"
"""


@pytest.fixture(params=["redis", "file"])
def backend(request, redis_server, redis_prefix, tmp_path):
    """(kind, where, a factory of caches as separate processes would each build them)."""
    if request.param == "redis":
        where = f"{redis_prefix}lock-{uuid.uuid4().hex[:8]}:"
        return "redis", where, lambda: RedisCache(host="127.0.0.1", port=6379, key_prefix=where)
    where = str(tmp_path / "cache")
    return "file", where, lambda: FileSystemCache(where)


def test_a_gettoken_slower_than_the_lock_timeout_keeps_its_lock(backend):
    """The holder fetches for longer than lock_timeout: the waiter never holds the lock meanwhile."""
    _, _, make_cache = backend
    holder = CacheTokenStore(make_cache(), prefix="t:", lock_timeout=1)
    waiter = CacheTokenStore(make_cache(), prefix="t:", lock_timeout=1, lock_wait=30)
    holding = threading.Event()
    fetch_done = threading.Event()

    def slow_fetch() -> None:
        with holder.refresh_lock("app") as held:
            assert held
            holding.set()
            time.sleep(3)  # three lock timeouts
            fetch_done.set()  # before the token appears: the waiter may leave on seeing it
            holder.set("app", "fresh-token", 7200)

    thread = threading.Thread(target=slow_fetch)
    thread.start()
    holding.wait(10)
    with waiter.refresh_lock("app"):
        fetched_before_waiter_got_in = fetch_done.is_set()
        token = waiter.get("app")
    thread.join()

    assert fetched_before_waiter_got_in, "a second worker got in while the first was fetching"
    assert token == "fresh-token"


def test_a_dead_holder_does_not_block_the_refresh(backend):
    """A worker killed during its gettoken: another takes the lock within the lock's timeout."""
    kind, where, make_cache = backend
    prefix = f"t{uuid.uuid4().hex[:6]}:"
    dying = subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_DIE, kind, where, prefix],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert dying.stdout.readline().strip() == "held"
        dying.kill()
        dying.wait(10)
        waiter = CacheTokenStore(make_cache(), prefix=prefix, lock_timeout=2, lock_wait=15)
        with waiter.refresh_lock("app") as held:
            assert held is True, "the waiter gave up instead of taking over the dead holder's lock"
    finally:
        if dying.poll() is None:
            dying.kill()
            dying.wait()


def test_only_the_owner_removes_the_lock(redis_server, redis_prefix):
    """A holder whose lock was taken over (it expired) leaves the new owner's lock in place."""
    where = f"{redis_prefix}owner-{uuid.uuid4().hex[:8]}:"
    cache = RedisCache(host="127.0.0.1", port=6379, key_prefix=where)
    first = CacheTokenStore(cache, prefix="t:", lock_timeout=5)
    second = CacheTokenStore(
        RedisCache(host="127.0.0.1", port=6379, key_prefix=where), prefix="t:", lock_wait=5
    )
    with first.refresh_lock("app") as held:
        assert held
        cache.delete("t:lock:app")  # as if it had expired
        with second.refresh_lock("app") as second_held:
            assert second_held
            owner = cache.get("t:lock:app")
    assert owner is not None
    # the first holder left after the second had taken the lock; the second released its own
    assert cache.get("t:lock:app") is None


def test_the_file_lock_is_exclusive_across_processes(tmp_path):
    """Eight processes on one FileSystemCache directory, started together: one 'gettoken'."""
    cache_dir = tmp_path / "cache"
    fetches = tmp_path / "fetches"
    go = tmp_path / "go"
    script = f"""
import os, time
from cachelib import FileSystemCache
from dashboard.dingtalk import CacheTokenStore
store = CacheTokenStore(FileSystemCache({str(cache_dir)!r}))
while not os.path.exists({str(go)!r}):
    time.sleep(0.001)
if store.get("app") is None:
    with store.refresh_lock("app"):
        if store.get("app") is None:
            with open({str(fetches)!r}, "a") as out:
                out.write("fetch\\n")
            time.sleep(0.3)
            store.set("app", "the-token", 7200)
print(store.get("app"), flush=True)
"""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    wait_until(lambda: cache_dir.exists(), 30, "the processes")
    time.sleep(1)  # let every process reach its start line
    Path(go).touch()
    outputs = [proc.communicate(timeout=60)[0].strip() for proc in procs]

    assert outputs == ["the-token"] * 8
    assert fetches.read_text().splitlines() == ["fetch"]


def test_the_lock_file_is_invisible_to_the_file_cache(tmp_path):
    """The lock file is never counted, pruned or read as a cache entry by cachelib."""
    cache = FileSystemCache(str(tmp_path), threshold=2)
    store = CacheTokenStore(cache, prefix="t:")
    with store.refresh_lock("app") as held:
        assert held
        for n in range(5):
            cache.set(f"k{n}", n)  # over the threshold: cachelib prunes
        assert len(list(cache._list_dir())) <= 5
        assert not any("dingtalk-token-lock" in name for name in cache._list_dir())
    with store.refresh_lock("app") as held:
        assert held
