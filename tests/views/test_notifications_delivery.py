"""Sends on the queue, at the level of the pages (immediate mode: the task runs in the
test's process): queued with no consumer, cancel, pause and resume (before and during a
send), the status JSON's counts, the history's live rows, the consumer's start-up scan
and "send again to the recipients whose delivery is unknown"."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from dashboard.delivery import tasks
from dashboard.dingtalk.api.work_notices import WorkNoticeAPI
from dashboard.extensions import db
from dashboard.notifications import sending
from dashboard.notifications.models import Send

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def calls(sandbox) -> int:
    return sandbox.stats()["calls"].get(ASYNCSEND, 0)


@pytest.fixture
def signed_in(client, auth, app):
    app.config["DINGTALK_USERID_BATCH"] = 2
    auth.login()
    return client


@pytest.fixture
def no_consumer(monkeypatch):
    """Sends stay queued: nothing runs the queue's tasks."""
    queued: list[int] = []
    monkeypatch.setattr(tasks.deliver_send, "enqueue", queued.append)
    return queued


def compose(client, nonce: str, users: str = "u0001,u0002,u0003,u0004,u0005"):
    return client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": f"日报 {nonce}", "userid_list": users, "nonce": nonce},
    )


def the_send() -> Send:
    db.session.expire_all()
    return db.session.execute(db.select(Send).order_by(Send.id.desc())).scalars().first()


def admin_asks_between_calls(monkeypatch, what: str, after: int = 1):
    """The admin's click arrives while the queue sends: after ``after`` calls, ``control`` is set."""
    original = WorkNoticeAPI.send_work_notice
    made = []

    def sending_then_click(self, *args, **kwargs):
        reply = original(self, *args, **kwargs)
        made.append(1)
        if len(made) == after:
            with db.engine.begin() as conn:
                conn.execute(update(Send).values(control=what))
        return reply

    monkeypatch.setattr(WorkNoticeAPI, "send_work_notice", sending_then_click)


def test_a_send_answers_at_once_queued_and_the_consumer_sends_it(signed_in, sandbox, no_consumer):
    response = compose(signed_in, "q")
    send = the_send()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{send.id}")
    assert send.state == "queued" and no_consumer == [send.id]
    assert calls(sandbox) == 0 and all(t.may_send for t in send.tasks)
    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert "已排队，共 3 次钉钉调用" in page
    assert "已调用 0 / 3 次，已送达 0 / 5 位用户" in page
    assert 'id="cancel-form"' in page and 'id="pause-form"' in page

    assert sending.deliver(send.id) == sending.FINISHED  # what the consumer runs
    send = the_send()
    assert send.state == "submitted" and calls(sandbox) == 3
    assert send.claimed_by is None  # released
    assert sending.deliver(send.id) == sending.FINISHED  # a duplicate task sends nothing
    assert calls(sandbox) == 3
    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert 'id="cancel-form"' not in page
    # Sent, but DingTalk's result is not in yet: nobody is counted as reached.
    assert "已调用 3 / 3 次，已发给 5 / 5 位用户，尚不知道谁已收到" in page


def test_cancel_before_any_call_sends_nothing_and_says_who_was_not_reached(
    signed_in, sandbox, no_consumer
):
    compose(signed_in, "c")
    send = the_send()
    page = signed_in.post(f"/notifications/{send.id}/cancel", follow_redirects=True)
    text = page.get_data(as_text=True)
    send = the_send()
    assert send.state == "cancelled" and [t.state for t in send.tasks] == ["cancelled"] * 3
    assert "已取消：5 位用户和 0 个部门未送达。" in text
    assert sending.deliver(send.id) == sending.FINISHED and calls(sandbox) == 0  # never sent
    again = signed_in.post(f"/notifications/{send.id}/cancel", follow_redirects=True)
    assert "这条通知已不在发送中。" in again.get_data(as_text=True)


def test_cancel_during_the_send_stops_after_the_current_call(signed_in, sandbox, monkeypatch):
    admin_asks_between_calls(monkeypatch, "cancel", after=1)
    compose(signed_in, "cm")
    send = the_send()
    assert calls(sandbox) == 1
    assert [t.state for t in send.tasks] == ["done", "cancelled", "cancelled"]
    assert send.state == "cancelled" and send.control is None
    status = signed_in.get(f"/notifications/{send.id}/status").get_json()
    assert status["delivery"]["batches_cancelled"] == 2
    assert status["delivery"]["recipients_reached"] == 2
    assert status["delivery"]["recipients_not_reached"] == 3
    assert status["unsettled"] is False
    assert "3 位用户和 0 个部门未送达" in status["delivery_text"]


def test_pause_during_the_send_then_resume_sends_each_batch_once(signed_in, sandbox, monkeypatch):
    admin_asks_between_calls(monkeypatch, "pause", after=1)
    compose(signed_in, "p")
    send = the_send()
    assert send.state == "paused" and calls(sandbox) == 1
    assert [t.state for t in send.tasks] == ["done", "pending", "pending"]
    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert 'id="resume-form"' in page and 'id="pause-form"' not in page
    assert sending.resume_unfinished() == []  # a consumer starting leaves a paused send alone
    assert calls(sandbox) == 1

    monkeypatch.undo()
    page = signed_in.post(f"/notifications/{send.id}/resume", follow_redirects=True)
    assert "已继续" in page.get_data(as_text=True)
    send = the_send()
    assert send.state == "submitted" and calls(sandbox) == 3
    assert [t.state for t in send.tasks] == ["done"] * 3


def test_pause_of_a_queued_send_applies_at_once(signed_in, sandbox, no_consumer):
    compose(signed_in, "pq")
    send = the_send()
    signed_in.post(f"/notifications/{send.id}/pause")
    assert the_send().state == "paused"
    no_consumer.clear()
    signed_in.post(f"/notifications/{send.id}/resume")
    assert the_send().state == "queued" and no_consumer == [send.id]


def test_a_consumer_starting_requeues_every_unfinished_send(signed_in, sandbox, no_consumer):
    compose(signed_in, "s1")
    compose(signed_in, "s2", users="u0006")
    first, second = db.session.execute(db.select(Send).order_by(Send.id)).scalars()
    no_consumer.clear()
    assert sending.resume_unfinished() == [first.id, second.id]
    assert no_consumer == [first.id, second.id]


def test_a_send_claimed_by_another_consumer_is_not_worked_twice(
    app, signed_in, sandbox, no_consumer
):
    compose(signed_in, "busy")
    send = the_send()
    assert sending.claim(send.id, "otherhost:1:abc:run")
    assert not sending.claim(send.id, "thishost:2:def:run")
    assert sending.deliver(send.id) == sending.BUSY
    assert calls(sandbox) == 0 and the_send().state == "queued"


def test_history_rows_of_unsettled_sends_follow_their_status(signed_in, sandbox, no_consumer):
    compose(signed_in, "h")
    send = the_send()
    page = signed_in.get("/notifications/").get_data(as_text=True)
    assert f'data-status-url="/notifications/{send.id}/status"' in page
    assert "js/history_status.js" in page and "已排队" in page


def unknown_send(signed_in) -> Send:
    compose(signed_in, "u")
    send = the_send()
    task = send.tasks[1]  # as if DingTalk never answered this call
    task.state, task.reason, task.task_id = "unknown", "no_answer", None
    send.state = "unknown"
    db.session.commit()
    return send


def test_send_again_to_the_unknown_is_a_new_send_behind_the_warnings(signed_in, sandbox):
    send = unknown_send(signed_in)
    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert f"/notifications/{send.id}/resend-unknown" in page
    form = signed_in.get(f"/notifications/{send.id}/resend-unknown").get_data(as_text=True)
    assert "u0003, u0004" in form and 'id="resend-warnings"' in form  # same content today
    before = calls(sandbox)
    refused = signed_in.post(f"/notifications/{send.id}/resend-unknown", data={"nonce": "x1"})
    assert refused.status_code == 200 and "如仍要发送，请勾选此项。" in refused.get_data(
        as_text=True
    )
    assert calls(sandbox) == before and Send.query.count() == 1

    sent = signed_in.post(
        f"/notifications/{send.id}/resend-unknown", data={"nonce": "x1", "confirm": "y"}
    )
    again = the_send()
    assert again.id != send.id and sent.headers["Location"].endswith(f"/{again.id}")
    assert again.userids == ["u0003", "u0004"] and again.msg == send.msg
    assert calls(sandbox) == before + 1


def test_send_again_without_unknown_recipients_says_so(signed_in, sandbox):
    compose(signed_in, "none")
    send = the_send()
    page = signed_in.get(f"/notifications/{send.id}/resend-unknown", follow_redirects=True)
    assert "这条通知没有送达情况未知的接收人。" in page.get_data(as_text=True)


def test_a_queued_send_counts_for_the_duplicate_warning(signed_in, sandbox, no_consumer):
    data = {"msgtype": "text", "msg": "同一条", "userid_list": "u0001"}
    signed_in.post("/notifications/new", data={**data, "nonce": "d1"})
    assert the_send().state == "queued"
    again = signed_in.post("/notifications/new", data={**data, "nonce": "d2"})
    assert again.status_code == 200  # held back by the warning, not sent
    assert "143106" in again.get_data(as_text=True)
    assert Send.query.count() == 1


def test_a_stray_task_of_a_paused_send_sends_nothing(signed_in, sandbox, no_consumer):
    compose(signed_in, "stray")
    send = the_send()
    signed_in.post(f"/notifications/{send.id}/pause")
    assert sending.deliver(send.id) == sending.PAUSED  # e.g. queued twice before the pause
    assert calls(sandbox) == 0 and the_send().state == "paused"


def test_a_recall_goes_through_the_queue(signed_in, sandbox, monkeypatch):
    compose(signed_in, "rc")
    send = the_send()
    assert send.state == "submitted"
    queued: list[int] = []
    monkeypatch.setattr(tasks.recall_send, "enqueue", queued.append)
    page = signed_in.post(f"/notifications/{send.id}/recall", follow_redirects=True)
    assert "撤回已排队" in page.get_data(as_text=True) and queued == [send.id]
    send = the_send()
    assert [a.state for a in send.recalls] == ["pending"] * 3 and send.state == "submitted"
    assert sandbox.stats()["calls"].get("/topapi/message/corpconversation/recall", 0) == 0
    assert sending.resume_unfinished() == []  # no send to deliver ...
    assert queued == [send.id, send.id]  # ... but its recall is queued again at start
    assert sending.run_recalls(send.id) == sending.FINISHED
    send = the_send()
    assert [a.state for a in send.recalls] == ["done"] * 3 and send.state == "recalled"
    assert sandbox.stats()["calls"]["/topapi/message/corpconversation/recall"] == 3
    sending.run_recalls(send.id)  # a duplicate task calls nothing
    assert sandbox.stats()["calls"]["/topapi/message/corpconversation/recall"] == 3


def test_a_send_still_going_out_cannot_be_recalled(signed_in, sandbox, no_consumer):
    compose(signed_in, "rq")
    send = the_send()
    page = signed_in.post(f"/notifications/{send.id}/recall", follow_redirects=True)
    assert "这条通知仍在发送中：请先取消发送。" in page.get_data(as_text=True)
    assert the_send().recalls == []


def finished_send(results: list[dict | None], channel: str = "work_notice") -> Send:
    """A send in memory whose batches of two users were made, with DingTalk's results."""
    import json

    from dashboard.attempts import DONE
    from dashboard.notifications.models import SendTask

    send = Send(channel=channel)
    for no, result in enumerate(results, start=1):
        users = f"u{no}a,u{no}b"
        send.tasks.append(
            SendTask(
                batch_no=no,
                userid_list=users,
                state=DONE,
                status=2 if result is not None else 1,
                result_json=None if result is None else json.dumps(result),
            )
        )
    return send


def texts(app, send: Send, lang: str) -> str:
    from flask_babel import force_locale

    from dashboard.notifications.views import delivery_text

    with app.test_request_context(), force_locale(lang):
        return delivery_text(sending.delivery_counts(send), send)


def test_delivery_text_does_not_count_invalid_or_refused_users_as_reached(app):
    send = finished_send(
        [
            {"unread_user_id_list": ["u1a"], "invalid_user_id_list": ["u1b"]},
            {"read_user_id_list": ["u2a"], "forbidden_list": [{"userid": "u2b", "code": "143105"}]},
        ]
    )
    assert texts(app, send, "zh") == "已调用 2 / 2 次，已送达 2 / 4 位用户"
    assert texts(app, send, "en") == "2 of 2 calls made, 2 of 4 users reached"


def test_delivery_text_says_not_yet_known_until_dingtalk_has_answered(app):
    nothing_known = finished_send([None, None])
    assert (
        texts(app, nothing_known, "zh") == "已调用 2 / 2 次，已发给 4 / 4 位用户，尚不知道谁已收到"
    )
    assert texts(app, nothing_known, "en") == (
        "2 of 2 calls made, 4 of 4 users sent to, not yet known who received it"
    )
    half = finished_send([{"read_user_id_list": ["u1a", "u1b"]}, None])
    assert (
        texts(app, half, "zh")
        == "已调用 2 / 2 次，已送达 2 / 4 位用户 · 另有 2 位用户尚不知道是否送达"
    )
    assert texts(app, half, "en") == (
        "2 of 2 calls made, 2 of 4 users reached · not yet known for 2 more users"
    )


def test_delivery_text_english_singular(app):
    send = Send(channel="work_notice")
    from dashboard.attempts import DONE
    from dashboard.notifications.models import SendTask

    send.tasks.append(
        SendTask(
            batch_no=1,
            userid_list="u1",
            state=DONE,
            status=2,
            result_json='{"invalid_user_id_list": ["u1"]}',
        )
    )
    assert texts(app, send, "en") == "1 of 1 call made, 0 of 1 user reached"


def test_a_schedules_run_links_to_its_schedule_and_back(signed_in, sandbox):
    from dashboard.schedules.models import Schedule

    signed_in.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "Daily report", "userid_list": "u0001",
              "when": "later", "kind": "daily", "time_of_day": "09:00"},
    )  # fmt: skip
    schedule = db.session.execute(db.select(Schedule)).scalar_one()
    run_now = signed_in.post(f"/schedules/{schedule.id}/run")
    send_url = run_now.headers["Location"]
    send = the_send()
    assert send.schedule_id == schedule.id and send_url.endswith(f"/notifications/{send.id}")

    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert f'id="schedule-link" href="/schedules/{schedule.id}"' in page
    assert f"来自定时发送 #{schedule.id}" in page
    runs = signed_in.get(f"/schedules/{schedule.id}").get_data(as_text=True)
    assert f'href="/notifications/{send.id}"' in runs

    compose(signed_in, "by-hand")  # a send of no schedule has no such link
    assert 'id="schedule-link"' not in signed_in.get(f"/notifications/{the_send().id}").text
