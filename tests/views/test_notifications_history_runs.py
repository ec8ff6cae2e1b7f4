"""The history list: every run of a schedule is a send there, with a badge linking its schedule."""

from __future__ import annotations

from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.schedules.models import Schedule


def test_a_schedules_runs_are_in_the_history_with_a_link_to_it(client, auth, sandbox):
    auth.login()
    client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "Daily report", "userid_list": "u0001",
              "when": "later", "kind": "daily", "time_of_day": "09:00"},
    )  # fmt: skip
    schedule = db.session.execute(db.select(Schedule)).scalar_one()
    assert client.post(f"/schedules/{schedule.id}/run").status_code == 302
    assert client.post(f"/schedules/{schedule.id}/run").status_code == 302
    client.post(
        "/notifications/new", data={"msgtype": "text", "msg": "by hand", "userid_list": "u0001"}
    )
    sends = db.session.execute(db.select(Send).order_by(Send.id)).scalars().all()
    assert [s.schedule_id for s in sends] == [schedule.id, schedule.id, None]

    page = client.get("/notifications/").get_data(as_text=True)
    rows = page.split('class="send-row"')[1:]
    badge = f'schedule-badge" href="/schedules/{schedule.id}"'
    by_id = {
        send.id: next(r for r in rows if f'href="/notifications/{send.id}"' in r) for send in sends
    }
    assert badge in by_id[sends[0].id] and badge in by_id[sends[1].id]
    assert f"来自定时发送 #{schedule.id}" in by_id[sends[0].id]
    assert "schedule-badge" not in by_id[sends[2].id]
