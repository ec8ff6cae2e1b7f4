"""A sender limited to departments schedules only for people in them, and each run is held
to the author's departments as they are at the run (groups are resolved then)."""

from __future__ import annotations

from datetime import datetime

from dashboard.auth.models import find_user, upsert_user
from dashboard.extensions import db
from dashboard.schedules import service
from dashboard.schedules.models import Schedule, ScheduleRun
from tests.auth.conftest import BRAND, MARKETING, inside_marketing, outside_marketing, sign_in


def test_a_scoped_sender_schedules_inside_its_departments_only(app, clock, sandbox):
    upsert_user("mk", "role-password", role="sender", dept_scope=[MARKETING])
    client = sign_in(app, "mk")
    data = {"msgtype": "text", "msg": "周报 {date}", "when": "later", "kind": "daily",
            "time_of_day": "09:00"}  # fmt: skip
    refused = client.post("/notifications/new", data=data | {"userid_list": outside_marketing()[0]})
    assert refused.status_code == 200 and "所负责部门" in refused.get_data(as_text=True)
    assert db.session.query(Schedule).count() == 0

    inside = next(u for u in inside_marketing() if u not in _brand_members())  # not in 品牌组
    assert client.post("/notifications/new", data=data | {"userid_list": inside}).status_code == 302
    schedule = db.session.execute(db.select(Schedule)).scalar_one()

    # the owner narrows mk to 品牌组: the person is outside now; the run says so, sends nothing
    upsert_user("mk", dept_scope=[BRAND])
    with app.test_request_context():
        clock.set(datetime(2027, 1, 15, 9, 0, 2))
        [run_id] = service.fire_due()
    run = db.session.get(ScheduleRun, run_id)
    assert run.outcome == "failed" and run.send_id is None and "品牌组" not in (run.note or "")
    assert (
        run.note
        and sandbox.stats()["calls"].get("/topapi/message/corpconversation/asyncsend_v2", 0) == 0
    )
    assert find_user("mk").dept_scope == [BRAND] and schedule.created_by == "mk"


def _brand_members() -> set[str]:
    from dashboard.sandbox.demo import build_company

    return {u.userid for u in build_company().members_deep(BRAND)}
