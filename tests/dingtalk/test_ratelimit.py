"""Rate limiters: the local sliding window and the Redis-shared budget."""

from __future__ import annotations

import uuid

import pytest

from dashboard.dingtalk import LocalRateLimiter, RateLimiter, RedisRateLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_local_default_is_20_per_second_per_key() -> None:
    clock = FakeClock()
    limiter = LocalRateLimiter(clock=clock, sleep=clock.sleep)
    assert isinstance(limiter, RateLimiter)
    for _ in range(20):
        limiter.acquire("app:/user/get")
    assert clock.sleeps == []
    limiter.acquire("app:/department/list")  # another operation has its own budget
    assert clock.sleeps == []
    limiter.acquire("app:/user/get")
    assert clock.sleeps == [pytest.approx(1.0)]


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
