"""Card pages and the card callback with the Flask test client against the sandbox."""

from __future__ import annotations

import json
import time

import pytest

from dashboard.cards.models import CardResponse
from dashboard.cards.service import api_secret
from dashboard.dingtalk.v1.card_callbacks import signed_headers
from dashboard.notifications.models import Send
from dashboard.sandbox.v1.control import V1SandboxControl

PUBLIC = "http://127.0.0.1:9/console"


@pytest.fixture
def v1(sandbox):
    return V1SandboxControl(sandbox.base_url)


def _press(client, out_track_id, user="manager01", action="confirm", headers=None):
    body = {
        "type": "actionCallback",
        "outTrackId": out_track_id,
        "userId": user,
        "content": json.dumps({"cardPrivateData": {"actionIds": [action], "params": {}}}),
    }
    if headers is None:
        headers = signed_headers(api_secret(), int(time.time() * 1000))
    return client.post("/cards/callback", json=body, headers=headers)


def test_a_card_to_people_registers_the_callback_and_records_presses(client, auth, app, v1):
    app.config["DASHBOARD_PUBLIC_URL"] = PUBLIC
    auth.login()
    reply = client.post(
        "/cards/compose",
        data={
            "card_template_id": "sandbox-ack.schema",
            "card_params": "title=请确认\namount=1000",
            "userid_list": "manager01\nnosuchuser",
        },
    )
    assert reply.status_code == 302, reply.text
    send = Send.query.one()
    assert (send.channel, send.state) == ("card", "submitted")
    track = send.tasks[0].out_key
    card = v1.card(track)
    assert card["callbackType"] == "HTTP" and card["cardParamMap"]["amount"] == "1000"
    routes = v1.state()["routes"]
    assert routes[0]["callbackUrl"] == PUBLIC + "/cards/callback" and routes[0]["hasApiSecret"]
    waiting = client.get(reply.headers["Location"]).text  # nobody pressed yet: both wait
    assert 'id="card-waiting"' in waiting and "还有 2 人未按按钮" in waiting
    assert _press(client, track).status_code == 200
    assert _press(client, track, action="read").status_code == 200
    page = client.get(reply.headers["Location"])
    assert "还有 1 人未按按钮" in page.text and 'me-1" data-userid="nosuchuser"' in page.text
    assert 'me-1" data-userid="manager01"' not in page.text  # pressed: no longer waiting
    assert "陈立新" in page.text and "read" in page.text and "card-responses" in page.text
    assert 'id="recall-form"' not in page.text  # a card is updated, not recalled
    assert [r.action for r in CardResponse.query.all()] == ["confirm", "read"]


def test_a_forged_or_unsigned_press_is_refused_and_never_recorded(client, app):
    forged = signed_headers("not-the-secret", int(time.time() * 1000))
    assert _press(client, "x", headers=forged).status_code == 401
    assert _press(client, "x", headers={}).status_code == 401
    stale = signed_headers(api_secret(), int(time.time() * 1000) - 3_600_000)
    assert _press(client, "x", headers=stale).status_code == 401
    signed = signed_headers(api_secret(), int(time.time() * 1000))
    assert client.post("/cards/callback", data=b"not json", headers=signed).status_code == 400
    assert CardResponse.query.count() == 0


def test_a_card_to_a_group_without_public_url_goes_out_stream_and_can_be_updated(client, auth, v1):
    auth.login()
    cid = v1.robot_group_ids()[0]
    reply = client.post(
        "/cards/compose",
        data={
            "card_template_id": "sandbox-ack.schema",
            "card_params": '{"title": "t", "n": 3}',
            "open_conversation_id": cid,
        },
    )
    assert reply.status_code == 302, reply.text
    send = Send.query.one()
    track = send.tasks[0].out_key
    assert v1.card(track)["callbackType"] == "STREAM"
    assert v1.card(track)["cardParamMap"]["n"] == "3"
    reply = client.post(
        f"/cards/{send.id}/update", data={"out_track_id": track, "card_params": "title=done"}
    )
    assert reply.status_code == 302
    assert v1.card(track)["cardParamMap"]["title"] == "done"


def test_bad_card_input_is_said_in_the_form(client, auth, sandbox):
    auth.login()
    reply = client.post("/cards/compose", data={"card_template_id": "", "card_params": "{bad"})
    assert reply.status_code == 200 and Send.query.count() == 0
    reply = client.post("/cards/compose", data={"card_template_id": "t", "card_params": "a=1"})
    assert reply.status_code == 200 and Send.query.count() == 0
