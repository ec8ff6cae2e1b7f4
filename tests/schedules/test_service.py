"""Schedules fire under a controlled clock (no sleeping): each run a send of the history."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.schedules import service
from dashboard.schedules.models import ScheduleRun
from dashboard.schedules.service import ScheduleError, ScheduleSpec
from tests.schedules.conftest import shanghai, text


@pytest.fixture(autouse=True)
def request_context(app):
    """The service runs in a request (the web, the API) or makes one (a consumer's run)."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def make(clock, msg="Weekly report", **kwargs):
    kwargs.setdefault("userid_list", ["u0001"])
    schedule, warnings = service.create_schedule(
        ScheduleSpec(msg=text(msg), **kwargs), author="admin"
    )
    return schedule, warnings


def sends_of(schedule) -> list[Send]:
    return list(
        db.session.execute(db.select(Send).where(Send.schedule_id == schedule.id)).scalars()
    )


def test_a_one_off_fires_at_its_time_and_only_then(app, clock):
    schedule, warnings = make(clock, kind="once", run_at=datetime(2027, 1, 15, 9, 30))
    assert warnings == []
    assert schedule.next_run_at == shanghai(2027, 1, 15, 9, 30)

    clock.set(datetime(2027, 1, 15, 9, 29))
    assert service.fire_due() == []
    clock.set(datetime(2027, 1, 15, 9, 30, 5))
    [run_id] = service.fire_due()
    run = db.session.get(ScheduleRun, run_id)
    assert (
        run.outcome == "sent"
        and run.late_seconds is None
        and run.due_at == shanghai(2027, 1, 15, 9, 30)
    )
    [send] = sends_of(schedule)
    assert send.id == run.send_id and send.source == "schedule" and send.sender == "admin"
    assert send.userids == ["u0001"] and send.state == "submitted"
    assert db.session.get(type(schedule), schedule.id).state == "finished"
    clock.advance(days=1)
    assert service.fire_due() == []


def test_a_daily_schedule_moves_on_to_the_next_day(app, clock):
    schedule, _ = make(clock, msg="Stand-up on {date}", kind="daily", time_of_day="09:00")
    assert schedule.next_run_at == shanghai(2027, 1, 15, 9, 0)
    for day in (15, 16, 17):
        clock.set(datetime(2027, 1, day, 9, 0, 2))
        assert len(service.fire_due()) == 1
        assert service.fire_due() == []  # the same due time never fires twice
    sends = sends_of(schedule)
    assert [s.msg["text"]["content"] for s in sends] == [
        "Stand-up on 2027年1月15日",
        "Stand-up on 2027年1月16日",
        "Stand-up on 2027年1月17日",
    ]
    assert db.session.get(type(schedule), schedule.id).next_run_at == shanghai(2027, 1, 18, 9, 0)


def test_monthly_on_the_31st_across_months(app, clock):
    schedule, _ = make(
        clock, msg="Month end {date}", kind="monthly", time_of_day="18:00", monthday="31"
    )
    fired = []
    for moment in (
        datetime(2027, 1, 31, 18, 0, 1),
        datetime(2027, 2, 28, 18, 0, 1),  # no 31st in February: nothing
        datetime(2027, 3, 31, 18, 0, 1),
        datetime(2027, 4, 30, 18, 0, 1),
        datetime(2027, 5, 31, 18, 0, 1),
    ):
        clock.set(moment)
        fired += [(moment.month, run) for run in service.fire_due()]
    assert [month for month, _ in fired] == [1, 3, 5]
    assert [s.msg["text"]["content"] for s in sends_of(schedule)] == [
        "Month end 2027年1月31日",
        "Month end 2027年3月31日",
        "Month end 2027年5月31日",
    ]
    assert db.session.get(type(schedule), schedule.id).next_run_at == shanghai(2027, 7, 31, 18, 0)


def test_downtime_run_late_sends_once_with_a_note(app, clock):
    schedule, _ = make(
        clock, msg="Daily {date}", kind="daily", time_of_day="09:00", on_missed="run_late"
    )
    clock.set(datetime(2027, 1, 18, 11, 0))  # down from the 15th 08:00 to the 18th 11:00
    [run_id] = service.fire_due()
    run = db.session.get(ScheduleRun, run_id)
    assert run.outcome == "sent" and run.due_at == shanghai(2027, 1, 15, 9, 0)
    assert (
        run.late_seconds == (shanghai(2027, 1, 18, 11) - shanghai(2027, 1, 15, 9)).total_seconds()
    )
    assert run.missed_count == 4 and "late" in run.note
    assert len(sends_of(schedule)) == 1
    assert db.session.get(type(schedule), schedule.id).next_run_at == shanghai(2027, 1, 19, 9, 0)


def test_downtime_skip_records_the_skip_and_sends_nothing(app, clock, sandbox):
    schedule, _ = make(
        clock, msg="Daily {date}", kind="daily", time_of_day="09:00", on_missed="skip"
    )
    clock.set(datetime(2027, 1, 16, 10, 0))
    [run_id] = service.fire_due()
    run = db.session.get(ScheduleRun, run_id)
    assert run.outcome == "skipped" and run.send_id is None and run.missed_count == 2
    assert sends_of(schedule) == []
    assert sandbox.stats()["calls"].get("/topapi/message/corpconversation/asyncsend_v2", 0) == 0
    clock.set(datetime(2027, 1, 17, 9, 0, 3))  # back up: the next due time runs as usual
    [run_id] = service.fire_due()
    assert db.session.get(ScheduleRun, run_id).outcome == "sent"


def test_a_run_at_already_past_follows_on_missed(app, clock):
    late, warnings = make(
        clock, kind="once", run_at=datetime(2027, 1, 14, 9, 0), on_missed="run_late"
    )
    assert any("late" in w for w in warnings)
    [run] = late.runs.all()  # fired at once (the queue runs in-process in the tests)
    assert run.outcome == "sent" and run.late_seconds == 23 * 3600

    skipped, warnings = make(
        clock, kind="once", run_at=datetime(2027, 1, 14, 9, 0), on_missed="skip"
    )
    assert any("skipped" in w for w in warnings)
    [run] = skipped.runs.all()
    assert run.outcome == "skipped" and sends_of(skipped) == []


def test_a_due_time_is_claimed_once(app, clock):
    schedule, _ = make(clock, kind="daily", time_of_day="09:00", msg="{date}")
    clock.set(datetime(2027, 1, 15, 9, 0, 1))
    first = service.claim_run(schedule.id, clock())
    # a second consumer read the schedule before the first moved it on
    db.session.execute(
        db.update(type(schedule))
        .where(type(schedule).id == schedule.id)
        .values(next_run_at=first.due_at)
    )
    db.session.commit()
    assert service.claim_run(schedule.id, clock()) is None  # the unique (schedule, due_at)
    assert db.session.query(ScheduleRun).count() == 1


def test_pause_resume_and_delete(app, clock):
    schedule, _ = make(clock, kind="daily", time_of_day="09:00", msg="{date}")
    service.pause_schedule(schedule, user="admin")
    clock.set(datetime(2027, 1, 17, 9, 0, 1))
    assert service.fire_due() == []
    service.resume_schedule(schedule, user="admin")  # from the next due time: nothing "missed"
    assert schedule.next_run_at == shanghai(2027, 1, 18, 9, 0)
    assert schedule.runs.count() == 0
    service.delete_schedule(schedule, user="admin")
    clock.set(datetime(2027, 1, 18, 9, 0, 1))
    assert service.fire_due() == []
    assert service.find_schedule(schedule.id) is None


def test_run_now_keeps_the_next_due_time(app, clock):
    schedule, _ = make(clock, kind="daily", time_of_day="09:00", msg="Now {date}")
    run = service.run_now(schedule, user="admin")
    assert run.outcome == "sent" and run.manual and run.send.schedule_id == schedule.id
    assert db.session.get(type(schedule), schedule.id).next_run_at == shanghai(2027, 1, 15, 9, 0)


def test_a_repeated_daily_text_is_flagged_when_saved_and_a_dated_one_is_not(app, clock):
    flagged, warnings = make(clock, msg="Drink water", kind="daily", time_of_day="10:00")
    assert (
        flagged.save_warning
        and "143106" in flagged.save_warning
        and warnings == [flagged.save_warning]
    )
    dated, warnings = make(clock, msg="Report for {date}", kind="daily", time_of_day="10:00")
    assert dated.save_warning is None and warnings == []
    weekly, _ = make(clock, msg="Drink water", kind="weekly", time_of_day="10:00", weekdays=[1])
    assert weekly.save_warning is None
    twice_a_day, _ = make(clock, msg="Report for {date}", kind="cron", cron="0 9,17 * * *")
    assert twice_a_day.save_warning  # {date} is the same twice on one day
    timed, _ = make(clock, msg="{date} {time}", kind="cron", cron="0 9,17 * * *")
    assert timed.save_warning is None
    once, _ = make(clock, msg="Drink water", kind="once", run_at=datetime(2027, 1, 16, 9))
    assert once.save_warning is None


def test_a_run_carries_the_presend_warnings(app, clock):
    schedule, _ = make(clock, msg="Same every time", kind="daily", time_of_day="10:00")
    first = service.run_now(schedule, user="admin")
    clock.advance(minutes=1)
    second = service.run_now(schedule, user="admin")
    assert second.outcome == "sent"  # warned, still sent: nobody is there to confirm
    assert any("143106" in w for w in second.warnings)
    assert first.warnings == []


def test_a_run_that_cannot_be_sent_is_recorded_as_failed(app, clock):
    schedule, _ = make(clock, kind="daily", time_of_day="10:00", msg="{date}")
    app.config["DINGTALK_APP_KEY"] = None
    app.extensions["dingtalk"]["internal"] = None
    run = service.run_now(schedule, user="admin")
    assert run.outcome == "failed" and run.note and run.send_id is None


@pytest.mark.parametrize(
    "spec, field",
    [
        (dict(kind="once"), "run_at"),
        (dict(kind="cron", cron="nope"), "cron"),
        (dict(kind="weekly", time_of_day="09:00"), "weekdays"),
        (dict(kind="daily"), "time_of_day"),
        (dict(kind="daily", time_of_day="09:00", timezone="Nowhere/Here"), "timezone"),
        (dict(kind="daily", time_of_day="09:00", on_missed="retry"), "on_missed"),
        (dict(kind="daily", time_of_day="09:00", userid_list=[]), "userid_list"),
    ],
)
def test_bad_input_saves_nothing(app, clock, spec, field):
    spec.setdefault("userid_list", ["u0001"])
    with pytest.raises(ScheduleError) as err:
        service.create_schedule(ScheduleSpec(msg=text("x"), **spec), author="admin")
    assert err.value.field == field and err.value.message
    db.session.rollback()
    assert db.session.query(type(err.value)).count() if False else True
    from dashboard.schedules.models import Schedule

    assert db.session.query(Schedule).count() == 0


def test_a_run_interrupted_after_its_claim_is_made_once_later(app, clock, sandbox):
    schedule, _ = make(clock, kind="daily", time_of_day="09:00", msg="{date}")
    clock.set(datetime(2027, 1, 15, 9, 0, 1))
    run = service.claim_run(schedule.id, clock())  # the consumer died here, before sending
    assert run.outcome == "running" and sends_of(schedule) == []
    clock.advance(seconds=60)
    assert service.fire_due() == []  # its claim still holds
    clock.advance(seconds=app.config["DELIVERY_CLAIM_SECONDS"])
    service.fire_due()
    db.session.expire_all()
    run = db.session.get(ScheduleRun, run.id)
    assert run.outcome == "sent" and len(sends_of(schedule)) == 1
    clock.advance(seconds=app.config["DELIVERY_CLAIM_SECONDS"] + 1)
    service.fire_due()
    assert len(sends_of(schedule)) == 1
    calls = sandbox.stats()["calls"].get("/topapi/message/corpconversation/asyncsend_v2", 0)
    assert calls == 1
