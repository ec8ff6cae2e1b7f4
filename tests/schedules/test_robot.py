"""Robot 1:1 schedules: saved from the robot composer or the API, each run a robot send
through the robot's pre-send warnings, under a controlled clock (never sleeping)."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboard.api.auth import create_token
from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.robot.channel import robot_msg
from dashboard.schedules import service
from dashboard.schedules.models import Schedule, ScheduleRun
from dashboard.schedules.service import ScheduleError, ScheduleSpec
from tests.api.conftest import ApiCaller
from tests.schedules.conftest import shanghai


@pytest.fixture
def signed_in(client, auth, clock):
    auth.login()
    return client


def robot_spec(**kwargs) -> ScheduleSpec:
    kwargs.setdefault("userid_list", ["manager01"])
    kwargs.setdefault("msg", robot_msg("sampleText", {"content": "站会 {date}"}))
    kwargs.setdefault("channel", "robot")
    return ScheduleSpec(**kwargs)


def test_a_robot_schedule_fires_through_the_robot_with_its_warnings(app, clock, sandbox):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        schedule, warnings = service.create_schedule(
            robot_spec(kind="daily", time_of_day="09:00"), author="admin"
        )
        # 143106 is the work notice's rule: no save warning for the robot.
        assert warnings == [] and schedule.channel == "robot"
        assert schedule.next_run_at == shanghai(2027, 1, 15, 9, 0)
        clock.set(datetime(2027, 1, 15, 9, 0, 10))
        [run_id] = service.fire_due()
        run = db.session.get(ScheduleRun, run_id)
        assert run.outcome == "sent", run.note
        send = db.session.get(Send, run.send_id)
        assert (send.channel, send.msgtype, send.schedule_id) == (
            "robot",
            "sampleText",
            schedule.id,
        )
        assert send.source == "schedule" and send.userids == ["manager01"]
        assert (
            send.msg["sampleText"]["content"] == "站会 2027年1月15日"
        )  # {date} filled, in the UI language
        assert send.tasks[0].out_key  # batchSend's processQueryKey
        # "Run now" with the same content: the robot's duplicate warning is kept on the run.
        again = service.run_now(db.session.get(Schedule, schedule.id), user="admin")
        assert again.outcome == "sent" and again.warnings
        assert db.session.get(Send, again.send_id).channel == "robot"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"msg": robot_msg("sampleLink", {"title": "x"})}, "msg"),
        ({"msg": robot_msg("sampleText", {"content": "hi"}, "cid123")}, "open_conversation_id"),
        ({"template_id": 1}, "template_id"),
        ({"channel": "sms"}, "channel"),
    ],
)
def test_bad_robot_schedules_save_nothing(app, clock, kwargs, field):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        spec = robot_spec(kind="once", run_at=datetime(2027, 1, 16, 9, 0), **kwargs)
        with pytest.raises(ScheduleError) as caught:
            service.create_schedule(spec, author="admin")
        assert caught.value.field == field
        assert Schedule.query.count() == 0


def test_the_robot_composer_schedules_and_the_list_shows_the_channel(signed_in, sandbox):
    page = signed_in.get("/robot/compose").text
    assert 'name="when"' in page and 'name="cron"' in page and 'name="on_missed"' in page
    reply = signed_in.post(
        "/robot/compose",
        data={
            "msg_key": "sampleMarkdown",
            "p_title": "周报",
            "p_text": "## 本周 {date}",
            "userid_list": "manager01",
            "when": "later",
            "kind": "weekly",
            "time_of_day": "17:30",
            "weekdays": ["5"],
            "timezone": "Asia/Shanghai",
            "on_missed": "skip",
        },
    )
    assert reply.status_code == 302, reply.text
    schedule = Schedule.query.one()
    assert (schedule.channel, schedule.msgtype, schedule.weekdays) == (
        "robot",
        "sampleMarkdown",
        "5",
    )
    assert Send.query.count() == 0  # saved, not sent
    listing = signed_in.get("/schedules/").text
    assert 'class="schedule-channel"' in listing and "sampleMarkdown" in listing
    detail = signed_in.get(reply.headers["Location"]).text
    assert 'id="schedule-channel"' in detail and f"/schedules/{schedule.id}/edit" not in detail
    edit = signed_in.get(f"/schedules/{schedule.id}/edit")
    assert edit.status_code == 302  # a robot schedule is not edited by the work-notice form


def test_the_robot_composer_answers_bad_schedules_on_the_form(signed_in, sandbox):
    base = {"msg_key": "sampleText", "p_content": "hi", "when": "later", "kind": "once"}
    reply = signed_in.post("/robot/compose", data={**base, "userid_list": "manager01"})
    assert reply.status_code == 200
    assert "选择发送日期" in reply.text or "Choose the date to send on." in reply.text
    reply = signed_in.post(
        "/robot/compose",
        data={
            **base,
            "open_conversation_id": "cid123",
            "run_date": "2027-01-16",
            "run_time": "09:00",
        },
    )
    assert reply.status_code == 200
    assert "单聊" in reply.text or "1:1" in reply.text  # said on the group field
    assert Schedule.query.count() == 0 and Send.query.count() == 0


def test_the_api_schedules_a_robot_message(client, clock, sandbox):
    api = ApiCaller(client, create_token(name="bot-script", scope="send", created_by="admin")[1])
    reply = api(
        "scheduleCreate",
        {
            "channel": "robot",
            "userid_list": "manager01",
            "msgKey": "sampleText",
            "msgParam": '{"content": "hello"}',
            "run_at": "2027-01-15T10:00:00+08:00",
        },
    )
    assert reply.status_code == 200, reply.get_json()
    data = reply.get_json()["data"]
    assert data["channel"] == "robot" and data["msg"]["sampleText"] == {"content": "hello"}
    missing = api(
        "scheduleCreate",
        {
            "channel": "robot",
            "userid_list": "manager01",
            "msgKey": "sampleText",
            "cron": "0 9 * * *",
        },
    )
    assert missing.status_code != 200 or missing.get_json().get("errcode")
    assert "msgParam" in str(missing.get_json())
    clock.advance(hours=2)
    with client.application.test_request_context():
        service.fire_due()
    got = api("scheduleGet", {"schedule_id": data["schedule_id"]}).get_json()["data"]
    assert got["last_run"]["outcome"] == "sent", got["last_run"]
    assert db.session.get(Send, got["last_run"]["send_id"]).channel == "robot"
    updated = api("scheduleUpdate", {"schedule_id": data["schedule_id"], "cron": "0 9 * * 1"})
    assert updated.get_json()["data"]["msg"]["sampleText"] == {"content": "hello"}
