"""Single-flight token fetches and client-side rate limiting, against the sandbox."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from cachelib import FileSystemCache

from dashboard.dingtalk import CacheTokenStore, DingTalkClient, LocalRateLimiter, MemoryTokenStore

THREADS = 20
CALLS_PER_THREAD = 10


def run_in_threads(work, threads: int = THREADS) -> list:
    barrier = threading.Barrier(threads)

    def start(i: int):
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(start, range(threads)))


def test_many_sequential_calls_fetch_one_token(dingtalk: DingTalkClient, sandbox) -> None:
    for _ in range(30):
        dingtalk.auth.get_scopes()
    stats = sandbox.stats()
    assert stats["gettoken"] == 1
    assert stats["calls"]["/auth/scopes"] == 30


def test_concurrent_threads_fetch_one_token(dingtalk: DingTalkClient, sandbox) -> None:
    """20 threads x 10 calls on a cold client: exactly one gettoken (recorded in the report)."""
    sandbox.set_knobs(qps_limit=0, qpm_limit=0)

    def work(i: int) -> int:
        for _ in range(CALLS_PER_THREAD):
            dingtalk.users.get_user(f"u{i + 1:04d}")
        return CALLS_PER_THREAD

    assert sum(run_in_threads(work)) == THREADS * CALLS_PER_THREAD
    stats = sandbox.stats()
    assert stats["gettoken"] == 1
    assert stats["calls"]["/user/get"] == THREADS * CALLS_PER_THREAD
    assert stats["errors"] == {}


def test_concurrent_refresh_after_revocation_fetches_one_token(
    dingtalk: DingTalkClient, sandbox
) -> None:
    sandbox.set_knobs(qps_limit=0, qpm_limit=0)
    dingtalk.get_access_token()
    sandbox.revoke_tokens()
    run_in_threads(lambda i: [dingtalk.auth.get_scopes() for _ in range(CALLS_PER_THREAD)])
    stats = sandbox.stats()
    assert stats["gettoken"] == 2
    assert stats["calls"]["/auth/scopes"] <= THREADS * CALLS_PER_THREAD + THREADS


def test_clients_sharing_a_cache_store_fetch_one_token(make_dingtalk, sandbox, tmp_path) -> None:
    """Separate clients and stores over one file cache, as separate workers would be."""
    sandbox.set_knobs(qps_limit=0, qpm_limit=0)
    clients = [
        make_dingtalk(token_store=CacheTokenStore(FileSystemCache(str(tmp_path)))) for _ in range(8)
    ]
    run_in_threads(lambda i: clients[i].auth.get_scopes(), threads=len(clients))
    assert sandbox.stats()["gettoken"] == 1


def test_two_apps_keep_separate_tokens(make_dingtalk, sandbox) -> None:
    app = make_dingtalk(token_store=MemoryTokenStore())
    corp = make_dingtalk(
        app_key=None,
        app_secret=None,
        corp_id=sandbox.corp_id,
        corp_secret=sandbox.corp_secret,
        token_store=app.token_store,
    )
    assert app.get_access_token() != corp.get_access_token()
    assert sandbox.stats()["gettoken"] == 2


def test_client_rate_limit_keeps_the_sandbox_from_throttling(make_dingtalk, sandbox) -> None:
    """A client budget of half the server's, as in production (20/s against 40/s).

    Half, because both windows slide and network jitter shifts arrivals: bursts
    exactly one window apart can land in the same server window.
    """
    sandbox.set_knobs(qps_limit=6)
    client = make_dingtalk(rate_limiter=LocalRateLimiter(rate=2, per=0.5))
    client.get_access_token()
    run_in_threads(lambda i: client.auth.get_scopes(), threads=10)
    stats = sandbox.stats()
    assert stats["calls"]["/auth/scopes"] == 10
    assert 90018 not in stats["errors"]


def test_without_a_client_budget_the_sandbox_throttles_and_backoff_recovers(
    make_dingtalk, sandbox, fake_sleep
) -> None:
    sandbox.set_knobs(qps_limit=5)
    client = make_dingtalk(max_retries=50, backoff_base=0.05, backoff_max=0.05)
    client.get_access_token()
    real_sleep = __import__("time").sleep
    client._sleep = lambda seconds: (fake_sleep(seconds), real_sleep(0.05))
    run_in_threads(lambda i: client.auth.get_scopes(), threads=10)
    stats = sandbox.stats()
    assert stats["errors"].get(90018, 0) > 0
    assert stats["calls"]["/auth/scopes"] == 10 + stats["errors"][90018]
