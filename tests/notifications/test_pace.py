"""The pace of a send: its calls' waits for DingTalk's budget on record, and an ETA at the
budget's rate (a fake clock for the governor: nothing sleeps)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dashboard.dingtalk.ratelimit import LocalRateLimiter, take_thread_budget_wait
from dashboard.extensions import db
from dashboard.notifications import pace
from dashboard.notifications.models import Send, SendTask, utcnow
from dashboard.services.dingtalk import EXTENSION_KEY


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def slow_budget(app, rate: int = 1) -> LocalRateLimiter:
    """The app's governor on a fake clock: past ``rate`` calls a second, each waits 1 s."""
    clock = FakeClock()
    limiter = LocalRateLimiter(rate=rate, per=1.0, clock=clock, sleep=clock.sleep)
    state = app.extensions[EXTENSION_KEY]
    state["limiter"], state["internal"] = limiter, None
    return limiter


def a_send(batches: int, state: str = "sending") -> Send:
    send = Send(sender="admin", msgtype="text", msg_json="{}", content_hash="x", state=state)
    send.tasks = [SendTask(batch_no=n, userid_list=f"u{n}") for n in range(1, batches + 1)]
    db.session.add(send)
    db.session.commit()
    return send


@pytest.fixture
def history(bare_app):
    db.create_all()
    yield bare_app
    db.session.remove()


def test_each_batch_adds_the_wait_of_its_own_call(history):
    limiter = LocalRateLimiter(rate=1, per=1.0, clock=(clock := FakeClock()), sleep=clock.sleep)
    send = a_send(3)
    first, second, third = send.tasks
    limiter.acquire("k")
    limiter.acquire("k")  # 1 s waited before any batch started: someone else's
    first.start()
    limiter.acquire("k")  # this batch's call waits 1 s
    first.succeed({"errcode": 0})
    db.session.commit()
    assert send.budget_wait_s == pytest.approx(1.0)
    second.start()
    second.succeed({"errcode": 0})  # no wait
    third.give_up()  # never called: nothing to add
    db.session.commit()
    db.session.refresh(send)
    assert send.budget_wait_s == pytest.approx(1.0)
    assert take_thread_budget_wait() == 0.0


def test_the_eta_takes_the_budget_as_the_fastest_pace(history):
    history.config["DINGTALK_RATE_LIMIT"] = 19.0
    send = a_send(100)
    send.started_at = utcnow() - timedelta(seconds=0.5)
    for task in send.tasks[:19]:  # the first 19 went out at once: 38 calls/s seen
        task.start()
        task.succeed({"errcode": 0})
    db.session.commit()
    counts = pace.delivery_counts(send)
    assert counts["batches_left"] == 81 and counts["rate_per_s"] > 19
    assert counts["eta_s"] == pytest.approx(81 / 19, abs=0.1)
    assert counts["budget_rate_per_s"] == 19.0 and counts["budget_wait_s"] == 0.0


def test_a_queued_send_has_an_eta_at_the_budget(history):
    history.config["DINGTALK_RATE_LIMIT"] = 20.0
    counts = pace.delivery_counts(a_send(1000, state="queued"))
    assert counts["eta_s"] == pytest.approx(50.0)


def test_the_send_page_and_its_status_say_how_long_the_budget_held_it(client, auth, app):
    app.config["DINGTALK_USERID_BATCH"] = 2
    slow_budget(app)
    auth.login()
    client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "日报 pace", "userid_list": "u0001,u0002,u0003,u0004,u0005",
              "nonce": "pace-1"},
    )  # fmt: skip
    send = db.session.execute(db.select(Send).order_by(Send.id.desc())).scalars().first()
    assert len(send.tasks) == 3 and send.state == "submitted"
    # batch 1 goes out at once; batches 2 and 3 each wait 1 s for the budget (gettoken has its own)
    status = client.get(f"/notifications/{send.id}/status").get_json()
    assert status["delivery"]["budget_wait_s"] == pytest.approx(2.0)
    assert "等待钉钉调用额度共 2 秒" in status["delivery_text"]
    page = client.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert "等待钉钉调用额度共 2 秒" in page
