"""cardSend, cardUpdate, cardResponses."""

from __future__ import annotations

import json
import time

import pytest

from dashboard.api.auth import create_token
from dashboard.cards.service import api_secret
from dashboard.dingtalk.v1.card_callbacks import signed_headers
from dashboard.sandbox.v1.control import V1SandboxControl
from tests.api.conftest import ApiCaller


@pytest.fixture
def api(app, client, sandbox):
    return ApiCaller(client, create_token(name="bot", scope="send", created_by="admin")[1])


def test_card_send_update_and_responses(api, client, sandbox):
    v1 = V1SandboxControl(sandbox.base_url)
    cid = v1.robot_group_ids()[0]
    reply = api(
        "cardSend",
        {
            "cardTemplateId": "sandbox-ack.schema",
            "cardParamMap": {"amount": 1000, "done": True},
            "openConversationId": cid,
        },
    )
    assert reply.status_code == 200, reply.json
    track = reply.json["data"]["outTrackId"]
    assert v1.card(track)["cardParamMap"] == {"amount": "1000", "done": "true"}
    assert (
        api("cardUpdate", {"outTrackId": track, "cardParamMap": {"done": False}}).status_code == 200
    )
    assert v1.card(track)["cardParamMap"]["done"] == "false"
    body = {"outTrackId": track, "userId": "manager01",
            "content": json.dumps({"cardPrivateData": {"actionIds": ["confirm"]}})}  # fmt: skip
    headers = signed_headers(api_secret(), int(time.time() * 1000))
    assert client.post("/cards/callback", json=body, headers=headers).status_code == 200
    responses = api("cardResponses", {"outTrackId": track}).json["data"]["responses"]
    assert [(r["userId"], r["action"]) for r in responses] == [("manager01", "confirm")]


def test_card_send_needs_people_or_a_group(api):
    assert api("cardSend", {"cardTemplateId": "t"}).status_code == 400
    assert api("cardSend", {"userIds": ["manager01"]}).status_code == 400
    assert api("cardUpdate", {"outTrackId": "x"}).status_code == 400
