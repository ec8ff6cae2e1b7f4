"""ISV: a schedule belongs to the company it was made for, and its runs go to that company
from the queue (no request, no switcher), whatever company the console shows then."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.sandbox.isv import DEMO_CORP_A as CORP_A
from dashboard.sandbox.isv import DEMO_CORP_B as CORP_B
from dashboard.schedules import service


@pytest.fixture
def app(make_isv_app):
    return make_isv_app(CORP_A, CORP_B, DINGTALK_AGENT_ID=None)


def test_runs_go_to_the_schedules_company(app, client, auth, clock, sandbox):
    auth.login()
    client.post("/isv/select", data={"corpid": CORP_B, "next": "/"})
    response = client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "云帆 {date}", "userid_list": "u0001", "when": "later",
              "kind": "daily", "time_of_day": "09:00"},
    )  # fmt: skip
    assert response.status_code == 302
    client.post("/isv/select", data={"corpid": CORP_A, "next": "/"})
    assert "no-schedules" in client.get("/schedules/").get_data(as_text=True)  # B's, not A's

    clock.set(datetime(2027, 1, 15, 9, 0, 3))
    [run_id] = service.fire_due()  # as the consumer does: no request context
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.corpid == CORP_B and send.state == "submitted" and send.schedule_id
