"""The preview shows the very requests the client library then sends (captured on the wire)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from dashboard.composer.preview import pretty_json
from dashboard.sandbox.state import department_chat_id

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
CARD = {
    "msgtype": "action_card",
    "card_title": "审批",
    "card_markdown": "**请审批**\r\n报销单",
    "card_style": "buttons",
    "card_btn_orientation": "1",
    "card_buttons": "同意 | https://a.example\n拒绝 | https://b.example",
}


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


@pytest.fixture
def wire(app):
    """Every POST the dashboard's client makes: (method, path, decoded body), in order."""
    from dashboard.services.dingtalk import get_client

    with app.test_request_context("/"):
        session = get_client().session
    original = session.request
    sent: list[tuple[str, str, dict]] = []

    def record(method, url, **kwargs):
        if method == "POST":
            sent.append((method, urlsplit(url).path, json.loads(kwargs["data"])))
        return original(method, url, **kwargs)

    session.request = record
    yield sent
    session.request = original


def shown(reply: dict) -> list[tuple[str, str, dict]]:
    """The preview's requests as (method, path, body), checking the token is redacted."""
    calls = []
    for request in reply["requests"]:
        method, url = request["line"].split(" ", 1)
        assert url.endswith("?access_token=***")
        assert request["body_text"] == pretty_json(json.loads(request["body_text"]))
        calls.append((method, urlsplit(url).path, json.loads(request["body_text"])))
    return calls


def test_work_notice_preview_is_each_batch_the_client_sends(app, signed_in, sandbox, wire):
    app.config.update(DINGTALK_USERID_BATCH=2, DINGTALK_DEPT_BATCH=1)
    form = CARD | {"userid_list": "u0001、u0002 u0003,u0004;u0005", "dept_id_list": "2, 3"}

    reply = signed_in.post("/notifications/preview", data=form).get_json()
    assert reply["valid"] and reply["calls"] == 3 and reply["more"] == 0
    response = signed_in.post("/notifications/new", data=form | {"nonce": "pin"})
    assert response.status_code == 302

    assert [path for _m, path, _b in wire] == [ASYNCSEND] * 3
    assert shown(reply) == wire  # same calls, same bodies, and (body_text) the same key order
    for (_m, _p, body), request in zip(wire, reply["requests"], strict=True):
        assert request["body_text"] == pretty_json(body)
    assert [b.get("userid_list") for _m, _p, b in wire] == ["u0001,u0002", "u0003,u0004", "u0005"]
    assert wire[0][2]["agent_id"] == sandbox.agent_id


def test_chat_preview_is_the_chat_send_the_client_makes(signed_in, wire):
    chatid = department_chat_id(1)
    form = {"msgtype": "voice", "media_id": "@lATPvoice", "voice_duration": "07"}

    reply = signed_in.post(f"/chats/{chatid}/preview", data=form).get_json()
    assert reply["valid"] and reply["calls"] == 1
    assert signed_in.post(f"/chats/{chatid}", data=form).status_code == 302

    assert shown(reply) == wire == [("POST", "/chat/send", reply["requests"][0]["body"])]
    assert wire[0][2]["msg"]["voice"]["duration"] == "7"


def test_preview_without_credentials_uses_the_configured_agent(app, signed_in, sandbox):
    app.config.update(DINGTALK_APP_KEY=None, DINGTALK_APP_SECRET=None, DINGTALK_AGENT_ID="4242")
    app.extensions["dingtalk"]["internal"] = None

    reply = signed_in.post(
        "/notifications/preview", data={"msgtype": "text", "msg": "hi", "userid_list": "u0001"}
    )
    assert reply.status_code == 200
    (request,) = reply.get_json()["requests"]
    assert request["line"] == f"POST {sandbox.base_url}{ASYNCSEND}?access_token=***"
    assert request["body"] == {
        "agent_id": 4242,
        "msg": {"msgtype": "text", "text": {"content": "hi"}},
        "userid_list": "u0001",
        "to_all_user": False,
    }
    chat = signed_in.post("/chats/chat1/preview", data={"msgtype": "text", "msg": "hi"})
    assert chat.status_code == 200
    assert chat.get_json()["requests"][0]["body"]["chatid"] == "chat1"
    assert sandbox.stats()["total"] == 0


def test_a_batch_larger_than_one_call_takes_is_said_not_a_500(app, signed_in):
    app.config.update(DINGTALK_USERID_BATCH=150)
    userids = ",".join(f"u{n:04d}" for n in range(1, 121))
    reply = signed_in.post(
        "/notifications/preview", data={"msgtype": "text", "msg": "hi", "userid_list": userids}
    )
    assert reply.status_code == 200
    data = reply.get_json()
    assert data["requests"] == [] and data["calls"] == 1
    assert "userid_list" in data["request_error"]


def test_isv_preview_with_no_company_chosen_renders_with_the_configured_agent(
    make_isv_app, sandbox
):
    from dashboard.sandbox.isv import DEMO_CORP_A, DEMO_CORP_B

    app = make_isv_app(DEMO_CORP_A, DEMO_CORP_B, DINGTALK_AGENT_ID="31")
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-password"})
    before = sandbox.stats()["total"]

    work = client.post("/notifications/preview", data=CARD | {"userid_list": "u0001"})
    assert work.status_code == 200
    (request,) = work.get_json()["requests"]
    assert request["line"] == f"POST {sandbox.base_url}{ASYNCSEND}?access_token=***"
    assert request["body"]["agent_id"] == 31
    assert request["body"]["msg"]["action_card"]["btn_json_list"][1]["title"] == "拒绝"
    chat = client.post("/chats/chat1/preview", data={"msgtype": "text", "msg": "hi"})
    assert chat.status_code == 200
    assert chat.get_json()["requests"][0]["body"] == {
        "chatid": "chat1",
        "msg": {"msgtype": "text", "text": {"content": "hi"}},
    }
    assert sandbox.stats()["total"] == before  # nothing asked of DingTalk to preview
