"""Two real consumers (`flask --app app delivery worker`, twice) and one run per due time,
on SQLite and on Redis: each due time is claimed by inserting its run, so however many
`fire_schedules` ticks the two consumers race through, every schedule is sent once."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, timedelta

import pytest

from dashboard.delivery.tasks import fire_schedules
from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.notifications.models import utcnow as wall_clock
from dashboard.schedules import service
from dashboard.schedules.models import Schedule, ScheduleRun
from dashboard.schedules.service import ScheduleSpec
from tests.delivery.conftest import queue_env, wait_until, web_app

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
SCHEDULES = 6
TICKS = 20
STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.deploy)]


@pytest.fixture(params=STORES)
def store(request) -> tuple[str, str]:
    if request.param == "redis":
        return "redis", f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:6]}:"
    return "sqlite", ""


def test_two_consumers_fire_each_due_time_once(tmp_path, emulator, start_worker, store):
    env = queue_env(
        tmp_path,
        store[0],
        store[1],
        DINGTALK_API_BASE=emulator.base_url,
        DINGTALK_APP_KEY=emulator.app_key,
        DINGTALK_APP_SECRET=emulator.app_secret,
        DINGTALK_AGENT_ID=str(emulator.agent_id),
        DINGTALK_RATE_LIMIT="100",
    )
    web = web_app(env)
    with web.app_context(), web.test_request_context():
        db.create_all()
        now = wall_clock()
        ids = []
        for n in range(SCHEDULES):  # due a moment ago: on time, not missed
            spec = ScheduleSpec(
                msg={"msgtype": "text", "text": {"content": f"race {n} {{date}}"}},
                kind="once" if n % 2 else "daily",
                run_at=(now - timedelta(seconds=20)).replace(tzinfo=UTC),
                time_of_day="09:00",
                userid_list=[f"u{n + 1:04d}"],
            )
            schedule, _ = service.create_schedule(spec, author="admin")  # queues a tick
            if schedule.recurring:  # a daily one due now as well
                schedule.next_run_at = now - timedelta(seconds=20)
                db.session.commit()
            ids.append(schedule.id)
        for _ in range(TICKS):
            fire_schedules.enqueue()

    first, second = start_worker(env), start_worker(env)

    def all_sent():
        with web.app_context():
            db.session.expire_all()
            runs = db.session.execute(db.select(ScheduleRun)).scalars().all()
            done = [r for r in runs if r.outcome == "sent"]
            sends = db.session.execute(db.select(Send)).scalars().all()
            settled = sends and all(s.state == "submitted" for s in sends)
            return len(done) >= SCHEDULES and len(sends) >= SCHEDULES and settled

    wait_until(all_sent, 60, "every schedule sent", first.proc)
    for worker in (first, second):
        assert worker.proc.poll() is None, worker.output()

    with web.app_context():
        runs = db.session.execute(db.select(ScheduleRun)).scalars().all()
        assert Counter(r.schedule_id for r in runs) == dict.fromkeys(ids, 1)
        sends = db.session.execute(db.select(Send)).scalars().all()
        assert sorted(s.schedule_id for s in sends) == sorted(ids)
        once = db.session.execute(db.select(Schedule).where(Schedule.kind == "once")).scalars()
        assert all(s.state == "finished" for s in once)
    assert emulator.stats()["calls"].get(ASYNCSEND, 0) == SCHEDULES
    # both consumers took part (the claim, not luck, kept the runs single)
    logs = first.output() + second.output()
    assert logs.count("fire_schedules") >= TICKS, logs[-2000:]
