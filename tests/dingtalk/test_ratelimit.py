"""Rate limiters: the local sliding window and the Redis-shared budget."""

from __future__ import annotations

import threading
import uuid

import pytest

from dashboard.dingtalk import LocalRateLimiter, RateLimiter, RedisRateLimiter
from dashboard.dingtalk.ratelimit import (
    DEFAULT_RATE,
    DINGTALK_QPS,
    BudgetWaitExceeded,
    take_thread_budget_wait,
    thread_budget_wait,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_local_default_is_19_per_second_per_key_under_dingtalks_20() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock=clock, sleep=clock.sleep)
    assert isinstance(limiter, RateLimiter)
    assert DEFAULT_RATE == 19 < DINGTALK_QPS == 20
    for _ in range(19):
        assert limiter.acquire("app:/user/get") == 0.0
    assert clock.sleeps == []
    limiter.acquire("app:/department/list")  # another operation has its own budget
    assert clock.sleeps == []
    assert limiter.acquire("app:/user/get") == pytest.approx(1.0)
    assert clock.sleeps == [pytest.approx(1.0)]


def test_acquire_reports_its_wait_and_adds_it_to_the_threads_total() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(rate=2, per=1.0, clock=clock, sleep=clock.sleep)
    take_thread_budget_wait()
    waits = [limiter.acquire("k") for _ in range(5)]
    assert waits == [0.0, 0.0, pytest.approx(1.0), 0.0, pytest.approx(1.0)]
    assert thread_budget_wait() == pytest.approx(2.0)
    assert take_thread_budget_wait() == pytest.approx(2.0)
    assert thread_budget_wait() == 0.0


def test_each_thread_has_its_own_total() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(rate=1, per=1.0, clock=clock, sleep=clock.sleep)
    take_thread_budget_wait()
    limiter.acquire("k")
    other: list[float] = []

    def in_another_thread() -> None:
        limiter.acquire("k")  # waits 1 s on the fake clock
        other.append(take_thread_budget_wait())

    thread = threading.Thread(target=in_another_thread)
    thread.start()
    thread.join()
    assert other == [pytest.approx(1.0)]
    assert thread_budget_wait() == 0.0


def test_budget_wait_exceeded_after_max_wait_counts_what_it_waited() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(rate=1, per=10.0, clock=clock, sleep=clock.sleep, max_wait=5.0)
    take_thread_budget_wait()
    limiter.acquire("k")
    with pytest.raises(BudgetWaitExceeded) as info:
        limiter.acquire("k")
    assert clock.sleeps == []  # a 10 s wait never starts under a 5 s bound
    assert info.value.retry_after == pytest.approx(10.0) and info.value.waited == 0.0
    clock.now = 6.0  # 4 s left: within the bound
    assert limiter.acquire("k") == pytest.approx(4.0)
    assert take_thread_budget_wait() == pytest.approx(4.0)


def test_within_tightens_the_bound_for_one_call() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(rate=1, per=1.0, clock=clock, sleep=clock.sleep, max_wait=30.0)
    limiter.acquire("k")
    with pytest.raises(BudgetWaitExceeded):
        limiter.acquire("k", within=0.5)
    assert limiter.acquire("k", within=2.0) == pytest.approx(1.0)
    unbounded = LocalRateLimiter(rate=1, per=100.0, clock=clock, sleep=clock.sleep, max_wait=None)
    unbounded.acquire("k")
    assert unbounded.acquire("k") == pytest.approx(100.0)
    with pytest.raises(BudgetWaitExceeded):
        unbounded.acquire("k", within=99.0)


def test_local_window_slides() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(rate=2, per=1.0, clock=clock, sleep=clock.sleep)
    assert limiter.try_acquire("k") == 0
    clock.now = 0.5
    assert limiter.try_acquire("k") == 0
    assert limiter.try_acquire("k") == pytest.approx(0.5)
    clock.now = 1.0
    assert limiter.try_acquire("k") == 0
    assert limiter.try_acquire("k") == pytest.approx(0.5)


def test_local_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        LocalRateLimiter(rate=0)


@pytest.fixture
def redis_client():
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis at 127.0.0.1:6379 is unreachable ({exc}); RedisRateLimiter not tested")
    yield client
    client.close()


def test_redis_limiter_shares_one_budget_across_processes(redis_client) -> None:
    prefix = f"test:dingtalk:rl:{uuid.uuid4().hex}:"
    other_connection = type(redis_client)(host="127.0.0.1", port=6379)
    worker_a = RedisRateLimiter(redis_client, rate=5, per=60.0, prefix=prefix)
    worker_b = RedisRateLimiter(other_connection, rate=5, per=60.0, prefix=prefix)
    try:
        assert isinstance(worker_a, RateLimiter)
        granted = [worker_a.try_acquire("app:/user/get") for _ in range(3)]
        granted += [worker_b.try_acquire("app:/user/get") for _ in range(2)]
        assert granted == [0.0] * 5
        wait_a = worker_a.try_acquire("app:/user/get")
        wait_b = worker_b.try_acquire("app:/user/get")
        assert 0 < wait_a <= 60.0 and 0 < wait_b <= 60.0
        assert worker_b.try_acquire("app:/department/get") == 0.0
        assert redis_client.ttl(f"{prefix}app:/user/get") > 0
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)
        other_connection.close()


def test_redis_limiter_acquire_sleeps_for_the_reported_wait(redis_client) -> None:
    prefix = f"test:dingtalk:rl:{uuid.uuid4().hex}:"
    sleeps: list[float] = []
    limiter = RedisRateLimiter(redis_client, rate=1, per=60.0, prefix=prefix, sleep=sleeps.append)
    try:
        limiter.acquire("k")
        assert sleeps == []
        calls = iter([0.25, 0.0])
        limiter.try_acquire = lambda key: next(calls)  # type: ignore[method-assign]
        limiter.acquire("k")
        assert sleeps == [0.25]
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)


def test_redis_limiter_reports_its_wait_on_its_clock(redis_client) -> None:
    prefix = f"test:dingtalk:rl:{uuid.uuid4().hex}:"
    clock = FakeClock()
    limiter = RedisRateLimiter(
        redis_client, rate=1, per=60.0, prefix=prefix, sleep=clock.sleep, clock=clock
    )
    try:
        calls = iter([0.5, 0.25, 0.0])
        limiter.try_acquire = lambda key: next(calls)  # type: ignore[method-assign]
        take_thread_budget_wait()
        assert limiter.acquire("k") == pytest.approx(0.75)
        assert take_thread_budget_wait() == pytest.approx(0.75)
        limiter.try_acquire = lambda key: 40.0  # type: ignore[method-assign]
        with pytest.raises(BudgetWaitExceeded):
            limiter.acquire("k", within=10.0)
    finally:
        for key in redis_client.scan_iter(f"{prefix}*"):
            redis_client.delete(key)
