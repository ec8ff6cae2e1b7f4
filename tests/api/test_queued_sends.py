"""API sends on the delivery queue, sendStatus, the directory cache behind reads, the budget's wait."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.api import operations, sends
from dashboard.attempts import DONE, PENDING
from dashboard.dingtalk.ratelimit import BudgetWaitExceeded, LocalRateLimiter
from dashboard.extensions import db
from dashboard.notifications.models import Send, SendTask

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


# --- one batch: the reply waits for the queue ----------------------------------------------


def record_only(app, deliver_after: float | None):
    """A send_work_notice that records a one-batch send and leaves it to "a consumer":
    a thread that, after ``deliver_after`` seconds, records the batch done (None: never)."""

    def fake(**kwargs):
        send = Send(
            sender=kwargs["sender"],
            source=kwargs["source"],
            api_token_name=kwargs["api_token_name"],
            userid_list=",".join(kwargs["userid_list"]),
            msgtype="text",
            msg_json='{"msgtype": "text", "text": {"content": "x"}}',
            content_hash="0" * 64,
            state="submitting",
        )
        send.tasks.append(SendTask(batch_no=1, userid_list=send.userid_list, state=PENDING))
        db.session.add(send)
        db.session.commit()
        if deliver_after is not None:
            threading.Thread(target=consumer, args=(send.id,), daemon=True).start()
        return send

    def consumer(send_id: int) -> None:
        time.sleep(deliver_after)
        with app.app_context():
            task = db.session.execute(db.select(SendTask).filter_by(send_id=send_id)).scalar_one()
            task.state, task.task_id, task.request_id = DONE, 777, "req-777"
            task.send.state = "submitted"
            db.session.commit()
            db.session.remove()

    return fake


def test_a_one_batch_send_waits_for_the_consumer_and_answers_dingtalks_reply(
    app, api, sandbox, monkeypatch
):
    monkeypatch.setattr(operations, "send_work_notice", record_only(app, deliver_after=0.3))
    response = api("asyncsend_v2", {"userid_list": "u0002,u0003", "msg": "hi"})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()["data"]
    assert (data["task_id"], data["request_id"], data["errcode"]) == (777, "req-777", 0)
    assert data["state"] == "submitted"


def test_a_one_batch_send_not_delivered_within_the_wait_is_accepted(app, api, sandbox, monkeypatch):
    monkeypatch.setattr(operations, "send_work_notice", record_only(app, deliver_after=None))
    monkeypatch.setattr(sends, "delivery_wait", lambda: 0.2)
    response = api("asyncsend_v2", {"userid_list": "u0002", "msg": "hi"})
    assert response.status_code == 202
    data = response.get_json()["data"]
    assert data["state"] == "submitting" and data["batches"] == 1
    status = api("sendStatus", {"send_id": data["send_id"]}).get_json()["data"]
    assert status["counts"]["pending"] == 1 and status["tasks"][0]["task_id"] is None


def test_the_wait_is_bounded_and_backs_off(app):
    send = Send(sender="x", msgtype="text", msg_json="{}", content_hash="0" * 64)
    send.tasks.append(SendTask(batch_no=1, state=PENDING))
    db.session.add(send)
    db.session.commit()
    fake = FakeTime()
    assert sends.wait_for_delivery(send, 3.0, clock=fake.clock, sleep=fake.sleep) is False
    assert 2.9 <= fake.now <= 3.0 and max(fake.slept) == 0.25 and fake.slept[0] == 0.02


def test_a_one_batch_send_failed_by_dingtalk_keeps_the_original_error_shape(api, sandbox):
    sandbox.inject("errcode", count=1, path=ASYNCSEND, errcode=40035, errmsg="不合法的参数")
    response = api("asyncsend_v2", {"userid_list": "u0002", "msg": "hi"})
    assert response.status_code == 400
    body = response.get_json()
    assert body["errcode"] == 40035 and body["msg"] == "不合法的参数"


# --- several batches: 202 at once, then sendStatus ------------------------------------------


def test_a_large_send_is_accepted_with_its_id_and_followed_with_send_status(api, sandbox):
    userids = [f"u{n:04d}" for n in range(1, 151)]
    response = api("asyncsend_v2", {"userid_list": userids, "msg": "全员"})
    assert response.status_code == 202
    data = response.get_json()
    assert data["success"] is True and set(data["data"]) == {"send_id", "state", "batches"}
    assert data["data"]["batches"] == 2
    status = api("sendStatus", {"send_id": data["data"]["send_id"]})
    assert status.status_code == 200
    body = status.get_json()["data"]
    assert body["send_id"] == data["data"]["send_id"] and body["state"] == "submitted"
    assert body["counts"] == {
        "recipients": 150,
        "departments": 0,
        "to_all_user": False,
        "batches": 2,
        "done": 2,
        "failed": 0,
        "unknown": 0,
        "pending": 0,
    }
    assert [t["recipients"] for t in body["tasks"]] == [100, 50]
    assert {sandbox.task(t["task_id"])["msg"]["text"]["content"] for t in body["tasks"]} == {"全员"}
    assert all(t["errcode"] is None and t["state"] == "done" for t in body["tasks"])


def test_send_status_is_readable_with_a_read_token(api, sandbox, read_token):
    send_id = api("asyncsend_v2", {"userid_list": "u0002", "msg": "hi"}).get_json()["data"][
        "send_id"
    ]
    response = api("sendStatus", {"send_id": send_id}, token=read_token)
    assert response.status_code == 200
    assert response.get_json()["data"]["counts"]["done"] == 1


def test_send_status_of_an_unknown_or_a_page_send_is_404(api, sandbox):
    page_send = Send(sender="admin", source="web", msgtype="text", msg_json="{}", content_hash="0")
    db.session.add(page_send)
    db.session.commit()
    for send_id in (page_send.id, 999999):
        response = api("sendStatus", {"send_id": send_id})
        assert response.status_code == 404
        assert response.get_json()["success"] is False
    assert api("sendStatus", {"send_id": "x"}).status_code == 400


# --- reads the directory's cache answers --------------------------------------------------


def test_userinfo_is_answered_from_the_directory_cache(api, sandbox, client, auth):
    first = api("userinfo", {"userid": "u0002"}).get_json()["data"]
    for _ in range(5):
        assert api("userinfo", {"userid": "u0002"}).get_json()["data"] == first
    assert api("userinfo", {"userid": "u0002", "lang": "zh_CN"}).get_json()["data"] == first
    assert sandbox.stats()["calls"]["/user/get"] == 1
    auth.login()  # the directory's user page reads the same cached answer
    assert client.get("/users/u0002").status_code == 200
    assert sandbox.stats()["calls"]["/user/get"] == 1


def test_an_error_is_not_cached(api, sandbox):
    sandbox.inject("errcode", count=1, path="/user/get", errcode=60121, errmsg="找不到该用户")
    assert api("userinfo", {"userid": "u0002"}).status_code == 404
    assert api("userinfo", {"userid": "u0002"}).status_code == 200


@pytest.mark.parametrize(
    ("operation", "payload", "path"),
    [
        ("departmentget", {"id": 1}, "/department/get"),
        ("get_org_user_count", {"onlyActive": 1}, "/user/get_org_user_count"),
        ("authScopes", {}, "/auth/scopes"),
        ("getDeptMember", {"deptId": 1}, "/user/getDeptMember"),
        ("list_ids", {"id": 1}, "/department/list_ids"),
    ],
)
def test_repeated_reads_reach_dingtalk_once(api, sandbox, operation, payload, path):
    for _ in range(3):
        assert api(operation, payload).status_code == 200
    assert sandbox.stats()["calls"][path] == 1


# --- the budget: wait, bounded -------------------------------------------------------------


def test_a_call_over_the_budget_waits_instead_of_failing():
    fake = FakeTime()
    limiter = LocalRateLimiter(2, 1.0, clock=fake.clock, sleep=fake.sleep, max_wait=30)
    for _ in range(6):
        limiter.acquire("app:/user/get")
    assert fake.now == pytest.approx(2.0) and fake.slept


def test_the_wait_for_the_budget_is_bounded():
    fake = FakeTime()
    limiter = LocalRateLimiter(1, 60.0, clock=fake.clock, sleep=fake.sleep, max_wait=5)
    limiter.acquire("app:/user/get")
    with pytest.raises(BudgetWaitExceeded) as caught:
        limiter.acquire("app:/user/get")
    assert fake.now == 0 and caught.value.retry_after == pytest.approx(60.0)
    assert caught.value.path == "/user/get"


def test_the_per_token_ceiling_defaults_well_above_dingtalks_budget():
    from dashboard.config import Config

    count, _, unit = Config.API_RATE_LIMIT.split()
    assert unit == "minute" and int(count) >= 5 * 20 * 60
