"""ISV: "send again to the recipients whose delivery is unknown" goes to the send's own company,
whichever company the switcher shows when the admin clicks."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.isv.models import AuthorisedCompany
from dashboard.notifications.models import Send
from dashboard.sandbox.isv import DEMO_CORP_A as CORP_A
from dashboard.sandbox.isv import DEMO_CORP_B as CORP_B


@pytest.fixture
def app(make_isv_app):
    return make_isv_app(CORP_A, CORP_B, DINGTALK_AGENT_ID=None)


def choose(client, corpid: str) -> None:
    client.post("/isv/select", data={"corpid": corpid, "next": "/"})


def newest() -> Send:
    db.session.expire_all()
    return db.session.execute(db.select(Send).order_by(Send.id.desc())).scalars().first()


def test_send_again_to_the_unknown_uses_the_sends_company_not_the_chosen_one(
    app, client, auth, sandbox
):
    app.config["DINGTALK_USERID_BATCH"] = 2
    auth.login()
    choose(client, CORP_A)
    client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "云帆：停电通知", "userid_list": "u0001,u0002,u0003"},
    )
    send = newest()
    assert send.corpid == CORP_A and len(send.tasks) == 2
    task = send.tasks[1]  # as if DingTalk never answered this call
    task.state, task.reason, task.task_id = "unknown", "no_answer", None
    send.state = "unknown"
    db.session.commit()

    choose(client, CORP_B)  # the admin looks at the other company now
    reply = client.post(
        f"/notifications/{send.id}/resend-unknown", data={"nonce": "again-1", "confirm": "y"}
    )
    again = newest()
    assert reply.status_code == 302 and again.id != send.id
    assert again.corpid == CORP_A and again.userids == ["u0003"]
    assert again.state == "submitted"
    agent_a = db.session.execute(
        db.select(AuthorisedCompany.agent_id).filter_by(corpid=CORP_A)
    ).scalar_one()
    assert sandbox.task(again.tasks[0].task_id)["agent_id"] == agent_a
