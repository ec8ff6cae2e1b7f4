"""Work notifications in ISV mode: the request preview and the warnings of the selected company."""

from __future__ import annotations

import json

import pytest

from dashboard.extensions import db
from dashboard.isv.models import AuthorisedCompany
from dashboard.notifications.models import Send
from dashboard.sandbox.isv import DEMO_CORP_B as CORP_B
from dashboard.services.dingtalk import SESSION_KEY

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


@pytest.fixture
def app(make_isv_app):
    """The dashboard in ISV mode (no DINGTALK_AGENT_ID: each company has its own agent)."""
    return make_isv_app(CORP_B, DINGTALK_AGENT_ID=None)


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    client.post("/isv/select", data={"corpid": CORP_B, "next": "/"})
    return client


FORM = {"msgtype": "text", "msg": "来自星河物流的通知", "userid_list": "u0001,u0002"}


def test_preview_shows_the_selected_companys_agent_and_equals_the_request_sent(signed_in, app):
    from dashboard.services.dingtalk import get_client

    agent_id = db.session.execute(
        db.select(AuthorisedCompany.agent_id).filter_by(corpid=CORP_B)
    ).scalar_one()
    assert agent_id
    shown = signed_in.post("/notifications/preview", data=FORM).get_json()
    assert shown["requests"][0]["body"]["agent_id"] == agent_id

    sent: list[dict] = []
    with app.test_request_context("/"):
        from flask import session

        session[SESSION_KEY] = CORP_B
        http = get_client().session
    original = http.request

    def record(method, url, **kwargs):
        if url.endswith(ASYNCSEND):
            sent.append(json.loads(kwargs["data"]))
        return original(method, url, **kwargs)

    http.request = record
    try:
        response = signed_in.post("/notifications/new", data=FORM | {"nonce": "isv-1"})
    finally:
        http.request = original
    assert response.status_code == 302
    assert sent == [shown["requests"][0]["body"]]


def test_daily_cap_warning_uses_the_third_party_cap_of_100(signed_in):
    for n in range(100):
        db.session.add(Send(sender="admin", corpid=CORP_B, msgtype="text", userid_list="u0001", msg_json=json.dumps({"msgtype": "text", "text": {"content": f"m{n}"}}), content_hash=str(n), state="completed"))  # fmt: skip
    db.session.commit()
    warnings = signed_in.post("/notifications/preview", data=FORM).get_json()["warnings"]
    assert any("143105" in w and "100" in w and "u0001" in w for w in warnings)


def test_warnings_count_only_the_selected_companys_sends(signed_in):
    """Another company's sends to the same userid are another person's quota."""
    for n in range(100):
        db.session.add(Send(sender="admin", corpid="dingothercorp", msgtype="text", userid_list="u0001", msg_json=json.dumps({"msgtype": "text", "text": {"content": f"m{n}"}}), content_hash=str(n), state="completed"))  # fmt: skip
    db.session.commit()
    warnings = signed_in.post("/notifications/preview", data=FORM).get_json()["warnings"]
    assert not any("143105" in w for w in warnings)
