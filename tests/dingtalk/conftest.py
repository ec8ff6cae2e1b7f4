"""Fixtures for the client tests: a DingTalkClient on the sandbox emulator over real HTTP."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from dashboard.dingtalk import DingTalkClient, LocalRateLimiter


class RecordingSleep:
    """Stands in for ``time.sleep`` in backoff: records each delay and returns at once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def fake_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def make_dingtalk(sandbox, fake_sleep) -> Callable[..., DingTalkClient]:
    """Build clients on the sandbox; keyword arguments override the defaults."""

    def make(**overrides) -> DingTalkClient:
        options = {
            "app_key": sandbox.app_key,
            "app_secret": sandbox.app_secret,
            "agent_id": sandbox.agent_id,
            "base_url": sandbox.base_url,
            "timeout": 5.0,
            "sleep": fake_sleep,
            "rate_limiter": LocalRateLimiter(rate=1000),
        }
        options.update(overrides)
        return DingTalkClient(**options)

    return make


@pytest.fixture
def dingtalk(make_dingtalk) -> DingTalkClient:
    """A DingTalkClient (appkey/appsecret) on a freshly reset sandbox, with a fast fake sleep."""
    return make_dingtalk()
