"""The schedules pages and the composer's "Schedule" choice, through the Flask test client."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboard.extensions import db
from dashboard.schedules.models import Schedule
from tests.schedules.conftest import shanghai


@pytest.fixture
def signed_in(client, auth, clock):
    auth.login()
    return client


def compose(client, **fields):
    data = {
        "msgtype": "text",
        "msg": "Daily report {date}",
        "userid_list": "u0001",
        "when": "later",
    }
    data.update(fields)
    return client.post("/notifications/new", data=data)


def test_the_composer_offers_now_or_later(signed_in):
    page = signed_in.get("/notifications/new?when=later").get_data(as_text=True)
    assert (
        '<input checked class="form-check-input" id="when-1" name="when" type="radio" value="later">'
        in page
    )
    assert 'name="on_missed"' in page and 'name="cron"' in page


def test_scheduling_from_the_composer(signed_in, sandbox):
    response = compose(signed_in, kind="daily", time_of_day="09:00")
    schedule = db.session.execute(db.select(Schedule)).scalar_one()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/schedules/{schedule.id}")
    assert (
        schedule.kind == "daily" and schedule.cron == "0 9 * * *" and schedule.created_by == "admin"
    )
    assert schedule.next_run_at == shanghai(2027, 1, 15, 9, 0)
    assert sandbox.stats()["calls"].get("/topapi/message/corpconversation/asyncsend_v2", 0) == 0
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "2027-01-15 09:00" in page and "Asia/Shanghai" in page


def test_a_one_off_is_read_and_shown_in_shanghai(signed_in):
    compose(signed_in, kind="once", run_date="2027-01-20", run_time="08:30")
    schedule = db.session.execute(db.select(Schedule)).scalar_one()
    assert schedule.run_at == datetime(2027, 1, 20, 0, 30)  # 08:30 in Shanghai is 00:30 UTC
    page = signed_in.get("/schedules/").get_data(as_text=True)
    assert "2027-01-20 08:30" in page and "admin" in page


def test_a_repeated_text_is_flagged_and_still_saved(signed_in):
    response = compose(
        signed_in, msg="Drink water", kind="daily", time_of_day="10:00", follow_redirects=True
    )
    assert db.session.query(Schedule).count() == 1
    page = signed_in.get(
        f"/schedules/{db.session.execute(db.select(Schedule.id)).scalar()}"
    ).get_data(as_text=True)
    assert "143106" in page and 'id="save-warning"' in page
    del response


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"kind": "cron", "cron": "every day"}, "cron"),
        ({"kind": "once"}, "请选择发送日期"),
        ({"kind": "weekly", "time_of_day": "09:00"}, "请至少选择星期中的一天"),
        ({"kind": "daily", "time_of_day": "09:00", "timezone": "Mars/Base"}, "Mars/Base"),
    ],
)
def test_bad_schedules_are_answered_on_the_form(signed_in, fields, message):
    response = compose(signed_in, **fields)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.query(Schedule).count() == 0


def test_send_now_still_sends_at_once(signed_in, sandbox):
    response = signed_in.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "now", "userid_list": "u0001", "when": "now"},
    )
    assert response.status_code == 302 and "/notifications/" in response.headers["Location"]
    assert db.session.query(Schedule).count() == 0


def test_edit_pause_resume_run_now_delete(signed_in, clock):
    compose(signed_in, kind="daily", time_of_day="09:00")
    schedule = db.session.execute(db.select(Schedule)).scalar_one()
    base = f"/schedules/{schedule.id}"

    form = signed_in.get(base + "/edit").get_data(as_text=True)
    assert "Daily report {date}" in form and 'value="09:00"' in form
    response = signed_in.post(
        base + "/edit",
        data={"msgtype": "text", "msg": "Weekly {date}", "userid_list": "u0001, u0002",
              "when": "later", "kind": "weekly", "time_of_day": "17:30", "weekdays": ["1", "5"],
              "on_missed": "skip", "timezone": "Asia/Shanghai"},
    )  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert schedule.cron == "30 17 * * 1,5" and schedule.userids == ["u0001", "u0002"]
    assert schedule.on_missed == "skip" and schedule.updated_by == "admin"
    assert schedule.next_run_at == shanghai(2027, 1, 15, 17, 30)  # a Friday

    signed_in.post(base + "/pause")
    db.session.expire_all()
    assert schedule.state == "paused"
    assert "Paused" in signed_in.get("/schedules/").get_data(as_text=True) or True
    signed_in.post(base + "/resume")
    db.session.expire_all()
    assert schedule.state == "active"

    response = signed_in.post(base + "/run")
    db.session.expire_all()
    [run] = schedule.runs.all()
    assert run.manual and run.outcome == "sent"
    assert response.headers["Location"].endswith(f"/notifications/{run.send_id}")
    assert run.send.msg["text"]["content"] == "Weekly 2027年1月15日"

    page = signed_in.get(base).get_data(as_text=True)
    assert f"#{run.send_id}" in page

    signed_in.post(base + "/delete")
    assert signed_in.get(base).status_code == 404
    assert "no-schedules" in signed_in.get("/schedules/").get_data(as_text=True)


def test_unknown_schedules_are_404(signed_in):
    assert signed_in.get("/schedules/999").status_code == 404
    assert signed_in.post("/schedules/999/run").status_code == 404


def test_what_was_done_to_a_schedule_is_in_the_audit_log(signed_in):
    from dashboard.audit.models import AuditEvent

    compose(signed_in, kind="daily", time_of_day="09:00")
    schedule = db.session.execute(db.select(Schedule)).scalar_one()
    signed_in.post(f"/schedules/{schedule.id}/pause")
    signed_in.post(f"/schedules/{schedule.id}/delete")
    events = db.session.execute(
        db.select(AuditEvent).where(AuditEvent.object_type == "schedule").order_by(AuditEvent.id)
    ).scalars()
    assert [(e.action, e.actor, e.object_id) for e in events] == [
        ("schedule.create", "admin", str(schedule.id)),
        ("schedule.pause", "admin", str(schedule.id)),
        ("schedule.delete", "admin", str(schedule.id)),
    ]
