"""Every call ends by its deadline; a governor time-out is never retried (controlled clock)."""

from __future__ import annotations

import pytest

from dashboard.dingtalk import DingTalkClient, LocalRateLimiter, Throttled
from dashboard.dingtalk.client import DEFAULT_CALL_DEADLINE
from dashboard.dingtalk.ratelimit import BudgetWaitExceeded

from .fakes import ScriptedSession

SCOPES = "/auth/scopes"
#: gunicorn.conf.py's worker timeout with the default settings (never under 60 s).
GUNICORN_TIMEOUT = 68


class Clock:
    """Fake monotonic time: sleeps and budget waits advance it; HTTP calls take ``call_s``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FullBudget:
    """A governor whose budget is always taken: every acquire waits as long as allowed."""

    def __init__(self, clock: Clock, max_wait: float = 30.0) -> None:
        self.clock = clock
        self.max_wait = max_wait
        self.calls: list[float | None] = []

    def acquire(self, key: str, *, within: float | None = None) -> float:
        self.calls.append(within)
        bound = self.max_wait if within is None else min(self.max_wait, within)
        self.clock.now += bound
        raise BudgetWaitExceeded("full", retry_after=1.0, waited=bound)


class SlowBudget:
    """A governor that grants every call after ``wait`` seconds (bounded like the real one)."""

    def __init__(self, clock: Clock, wait: float) -> None:
        self.clock, self.wait = clock, wait
        self.calls: list[float | None] = []

    def acquire(self, key: str, *, within: float | None = None) -> float:
        self.calls.append(within)
        if within is not None and self.wait > within:
            self.clock.now += within
            raise BudgetWaitExceeded("full", retry_after=self.wait - within, waited=within)
        self.clock.now += self.wait
        return self.wait


def slow_session(clock: Clock, routes: dict, call_s: float) -> ScriptedSession:
    """A scripted DingTalk whose every answer takes ``call_s`` seconds of fake time."""
    session = ScriptedSession(routes)
    send = session.send

    def timed_send(request, **kwargs):
        clock.now += call_s
        return send(request, **kwargs)

    session.send = timed_send  # type: ignore[method-assign]
    return session


def client_for(session, clock: Clock, limiter, **kw) -> DingTalkClient:
    return DingTalkClient(
        app_key="deadlinekey",
        app_secret="deadline-secret",
        base_url="http://127.0.0.1:9",
        timeout=10.0,
        session=session,
        rate_limiter=limiter,
        sleep=clock.sleep,
        clock=clock,
        jitter=False,
        **kw,
    )


def test_a_governor_time_out_is_not_retried() -> None:
    clock = Clock()
    limiter = FullBudget(clock)
    session = ScriptedSession()
    client = client_for(session, clock, limiter)
    client.token_store.set(client.token_key, "cached-token", 600)
    with pytest.raises(BudgetWaitExceeded):
        client.auth.get_scopes()
    assert len(limiter.calls) == 1  # one wait, then refused: not four
    assert session.count(SCOPES) == 0
    assert clock.now == pytest.approx(30.0)


def test_the_first_wait_leaves_the_attempt_its_timeout() -> None:
    clock = Clock()
    limiter = FullBudget(clock, max_wait=300.0)
    client = client_for(ScriptedSession(), clock, limiter)
    client.token_store.set(client.token_key, "cached-token", 600)
    with pytest.raises(BudgetWaitExceeded):
        client.auth.get_scopes()
    assert limiter.calls == [pytest.approx(DEFAULT_CALL_DEADLINE - 10.0)]
    assert clock.now <= DEFAULT_CALL_DEADLINE


@pytest.mark.parametrize("code", [90018, 90002, -1])
def test_throttled_retries_stop_before_the_deadline(code: int) -> None:
    """DingTalk throttles every attempt, the budget waits 8 s and each answer takes 9 s:
    the retries that would end past the deadline are not made."""
    clock = Clock()
    session = slow_session(clock, {SCOPES: {"errcode": code, "errmsg": "busy"}}, call_s=9.0)
    limiter = SlowBudget(clock, wait=8.0)
    client = client_for(session, clock, limiter, max_retries=3)
    with pytest.raises(Throttled):
        client.auth.get_scopes()
    assert clock.now <= DEFAULT_CALL_DEADLINE < GUNICORN_TIMEOUT
    assert session.count(SCOPES) < 4  # unbounded, it would have made 4 attempts (~70 s)


def test_worst_case_of_a_web_call_is_below_gunicorns_timeout() -> None:
    """No token cached, the budget slow, DingTalk slow and throttling, the token refused
    once: the call still ends within the deadline, far below gunicorn's timeout."""
    clock = Clock()
    answers = iter([{"errcode": 40014, "errmsg": "invalid token"}] + [{"errcode": 90018}] * 10)
    session = slow_session(clock, {SCOPES: lambda request: next(answers)}, call_s=7.0)
    limiter = SlowBudget(clock, wait=2.0)
    client = client_for(session, clock, limiter, max_retries=3)
    with pytest.raises(Throttled):
        client.auth.get_scopes()
    assert clock.now <= DEFAULT_CALL_DEADLINE < GUNICORN_TIMEOUT
    # gettoken 9 s, 40014 at 18 s, gettoken again 27 s, 90018 at 36 s: a retry after 1 s
    # and a 10 s attempt would end at 47 s, so it is not made.
    assert session.count("/gettoken") == 2 and session.count(SCOPES) == 2
    assert clock.now == pytest.approx(36.0)


def test_a_call_that_fits_is_unchanged() -> None:
    clock = Clock()
    answers = iter([{"errcode": 90018}, {"errcode": 0, "errmsg": "ok", "auth_user_field": []}])
    session = slow_session(clock, {SCOPES: lambda request: next(answers)}, call_s=0.1)
    limiter = LocalRateLimiter(rate=1000, clock=clock, sleep=clock.sleep)
    client = client_for(session, clock, limiter)
    assert client.auth.get_scopes()["errcode"] == 0
    assert session.count(SCOPES) == 2


def test_no_deadline_keeps_every_retry() -> None:
    clock = Clock()
    session = slow_session(clock, {SCOPES: {"errcode": 90018}}, call_s=9.0)
    client = client_for(session, clock, SlowBudget(clock, wait=8.0), call_deadline=None)
    with pytest.raises(Throttled) as info:
        client.auth.get_scopes()
    assert session.count(SCOPES) == 4 and info.value.attempts == 4


def test_the_deadline_is_never_shorter_than_one_attempt() -> None:
    clock = Clock()
    client = client_for(ScriptedSession(), clock, SlowBudget(clock, 0.0), call_deadline=1.0)
    assert client.call_deadline == 10.0
    assert client.auth.get_scopes()["errcode"] == 0
