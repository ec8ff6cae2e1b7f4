"""Schedules under a controlled clock: ``clock.set(...)`` / ``clock.advance(...)``, never sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.schedules import service
from tests.delivery.conftest import (  # noqa: F401  (fixtures of the real consumers)
    emulator,
    redis_prefix,
    redis_server,
    sandbox_process,
    start_worker,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock:
    """The schedules' "now" (naive UTC), moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        """Set to ``moment`` (aware, or naive in Asia/Shanghai)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=SHANGHAI)
        self.now = moment.astimezone(UTC).replace(tzinfo=None)

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """The controlled clock, at 2027-01-15 08:00 in Asia/Shanghai."""
    c = Clock(datetime(2027, 1, 15, 0, 0))
    monkeypatch.setattr(service, "clock", c)
    return c


def shanghai(*args) -> datetime:
    """A wall-clock time in Asia/Shanghai, as naive UTC (what the schedules store)."""
    return datetime(*args, tzinfo=SHANGHAI).astimezone(UTC).replace(tzinfo=None)


def text(content: str) -> dict:
    return {"msgtype": "text", "text": {"content": content}}
