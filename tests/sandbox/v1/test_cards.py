"""§6: cards created and delivered, updated, callback routes, presses called back signed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.sandbox.v1.v1api import assert_error

CREATE = "/v1.0/card/instances/createAndDeliver"


class Receiver:
    """A callback URL on 127.0.0.1 that records each request and answers `reply`."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], dict]] = []
        self.reply: dict = {
            "cardData": {"cardParamMap": {"done": "true"}},
            "cardUpdateOptions": {"updateCardDataByKey": True},
        }
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                receiver.requests.append((dict(self.headers), body))
                data = json.dumps(receiver.reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/card/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


def group_cid(api) -> str:
    return api.post("/v1.0/robot/installed/groups/query", {"robotCode": api.robot_code}).json()[
        "openConversationIds"
    ][0]


def card_body(api, out_track_id="appr-001", space=None, **extra):
    body = {
        "cardTemplateId": "sandbox-ack.schema",
        "outTrackId": out_track_id,
        "callbackType": "HTTP",
        "callbackRouteKey": "console",
        "cardData": {"cardParamMap": {"title": "报销", "amount": "1000", "done": "false"}},
        "openSpaceId": space or f"dtv1.card//IM_GROUP.{group_cid(api)}",
        "imGroupOpenSpaceModel": {"supportForward": True},
        "imGroupOpenDeliverModel": {"robotCode": api.robot_code},
    }
    body.update(extra)
    return body


def test_create_and_deliver_to_a_group(api):
    cid = group_cid(api)
    reply = api.post(CREATE, card_body(api))
    assert reply.status_code == 200
    result = reply.json()
    assert result["success"] is True
    assert result["result"]["outTrackId"] == "appr-001"
    (delivered,) = result["result"]["deliverResults"]
    assert delivered["spaceType"] == "IM_GROUP" and delivered["spaceId"] == cid
    assert delivered["success"] is True and delivered["carrierId"]
    assert_error(api.post(CREATE, card_body(api)), 400, "param.cardAlreadyExist")


def test_deliver_to_robot_chats_reports_each_space(api):
    body = card_body(
        api,
        space="dtv1.card//IM_ROBOT.manager01;IM_ROBOT.ghost",
        imRobotOpenDeliverModel={"spaceType": "IM_ROBOT", "robotCode": api.robot_code},
    )
    del body["imGroupOpenDeliverModel"]
    results = api.post(CREATE, body).json()["result"]["deliverResults"]
    assert [r["success"] for r in results] == [True, False]
    assert results[1]["errorMsg"]
    # The carrier is a robot message with a read status (§6.1: carrierId = processQueryKey).
    status = api.get(
        "/v1.0/robot/oToMessages/readStatus",
        robotCode=api.robot_code,
        processQueryKey=results[0]["carrierId"],
    )
    assert status.status_code == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"cardTemplateId": ""}, "param.cardTemplateIdEmpty"),
        ({"outTrackId": ""}, "param.outTrackIdEmpty"),
        ({"outTrackId": "x" * 65}, "param.invalid"),
        ({"openSpaceId": ""}, "param.openSpaceIdEmpty"),
        ({"openSpaceId": "IM_GROUP.cid1"}, "param.openSpaceIdInvalid"),
        ({"cardData": None}, "param.cardPublicDataEmpty"),
        ({"cardData": {"cardParamMap": {"amount": 1000}}}, "param.invalid"),
        ({"cardData": {"cardParamMap": {"done": True}}}, "param.invalid"),
        ({"cardData": {"cardParamMap": {"big": "x" * 1025}}}, "param.invalid"),
        ({"imGroupOpenDeliverModel": None}, "param.openDeliverModelEmpty"),
        ({"imGroupOpenDeliverModel": {}}, "param.openDeliverModelError"),
        ({"imGroupOpenSpaceModel": {}}, "param.openSpaceModelInvalid"),
    ],
)
def test_create_refusals(api, change, code):
    body = card_body(api)
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    assert_error(api.post(CREATE, body), 400, code)


def test_unpublished_template(api, sandbox):
    sandbox.set_knobs(card_unpublished_templates="sandbox-ack.schema")
    assert_error(api.post(CREATE, card_body(api)), 400, "param.templateUnpublished")


def test_update_replaces_or_merges(api):
    api.post(CREATE, card_body(api))

    def card():
        return next(c for c in api.control_get("/state")["cards"] if c["outTrackId"] == "appr-001")

    merged = {
        "outTrackId": "appr-001",
        "cardData": {"cardParamMap": {"done": "true"}},
        "cardUpdateOptions": {"updateCardDataByKey": True},
    }
    assert api.put("/v1.0/card/instances", merged).json() == {"success": True, "result": True}
    assert card()["cardParamMap"] == {"title": "报销", "amount": "1000", "done": "true"}
    replaced = {"outTrackId": "appr-001", "cardData": {"cardParamMap": {"done": "false"}}}
    api.put("/v1.0/card/instances", replaced)
    assert card()["cardParamMap"] == {"done": "false"}
    assert_error(
        api.put("/v1.0/card/instances", {"outTrackId": "appr-001"}),
        400,
        "param.cardDataAndPrivateDataBothEmpty",
    )
    assert_error(
        api.put("/v1.0/card/instances", dict(replaced, outTrackId="nope")),
        400,
        "param.cardNotExist",
    )
    private = {"outTrackId": "appr-001", "privateData": {"ghost": {"cardParamMap": {"a": "b"}}}}
    assert_error(api.put("/v1.0/card/instances", private), 400, "param.userIdNotExist")


def test_register_keeps_an_existing_route_unless_forced(api):
    first = {
        "callbackRouteKey": "console",
        "callbackUrl": "http://127.0.0.1:1/a",
        "apiSecret": "s1",
    }
    reply = api.post("/v1.0/card/callbacks/register", first).json()
    assert reply == {
        "success": True,
        "result": {"callbackUrl": "http://127.0.0.1:1/a", "apiSecret": "s1"},
    }
    second = dict(first, callbackUrl="http://127.0.0.1:1/b", apiSecret="s2")
    assert (
        api.post("/v1.0/card/callbacks/register", second)
        .json()["result"]["callbackUrl"]
        .endswith("/a")
    )
    forced = api.post("/v1.0/card/callbacks/register", dict(second, forceUpdate=True)).json()
    assert forced["result"] == {"callbackUrl": "http://127.0.0.1:1/b", "apiSecret": "s2"}
    assert_error(
        api.post("/v1.0/card/callbacks/register", {"callbackUrl": "http://x"}),
        400,
        "MissingcallbackRouteKey",
    )


def test_press_is_called_back_signed_and_the_reply_updates_the_card(api, receiver):
    api.post(
        "/v1.0/card/callbacks/register",
        {"callbackRouteKey": "console", "callbackUrl": receiver.url, "apiSecret": "topsecret"},
    )
    api.post(CREATE, card_body(api))
    card = api.control_get("/state")["cards"][0]
    presser = card["recipients"][0]["userId"]
    press = api.control_post(
        "/press", {"outTrackId": "appr-001", "userId": presser, "action": "confirm"}
    )
    assert press.status_code == 200 and press.json()["status"] == 200
    headers, body = receiver.requests[0]
    timestamp = headers["x-ddpaas-signature-timestamp"]
    expected = base64.b64encode(hmac.new(b"topsecret", timestamp.encode(), hashlib.sha256).digest())
    assert headers["x-ddpaas-signature"] == expected.decode()
    assert body["type"] == "actionCallback" and body["outTrackId"] == "appr-001"
    assert body["userId"] == presser and body["corpId"] == api.control.corp_id
    content = json.loads(body["content"])
    assert content == {
        "cardPrivateData": {"actionIds": ["confirm"], "params": {"action": "confirm"}}
    }
    assert isinstance(body["extension"], str)
    card = api.control_get("/state")["cards"][0]
    assert card["cardParamMap"]["done"] == "true" and card["cardParamMap"]["title"] == "报销"
    assert card["presses"][0]["action"] == "confirm"


def test_press_by_a_stranger_is_refused_and_stream_cards_are_queued(api):
    api.post(CREATE, card_body(api, callbackType="STREAM"))
    assert (
        api.control_post(
            "/press", {"outTrackId": "appr-001", "userId": "ghost", "action": "read"}
        ).status_code
        == 400
    )
    presser = api.control_get("/state")["cards"][0]["recipients"][0]["userId"]
    press = api.control_post(
        "/press", {"outTrackId": "appr-001", "userId": presser, "action": "read"}
    ).json()
    assert press["delivery"] == "stream"
    (queued,) = api.control_get("/state")["streamOutbox"]
    assert queued["topic"] == "/v1.0/card/instances/callback"


def test_the_page_shows_cards_and_messages_and_presses_from_a_form(api, receiver):
    api.post(
        "/v1.0/card/callbacks/register",
        {"callbackRouteKey": "console", "callbackUrl": receiver.url},
    )
    api.post(CREATE, card_body(api))
    page = api.session.get(f"{api.base_url}/_sandbox/v1/").text
    assert "appr-001" in page and "确认" in page and "机器人消息" in page
    presser = api.control_get("/state")["cards"][0]["recipients"][0]["userId"]
    reply = api.session.post(
        f"{api.base_url}/_sandbox/v1/press",
        data={"outTrackId": "appr-001", "userId": presser, "action": "read"},
    )
    assert reply.status_code == 200 and "HTTP 200" in reply.text  # redirected back to the page
    headers, _ = receiver.requests[0]
    assert "x-ddpaas-signature" not in {k.lower() for k in headers}  # no apiSecret registered


def test_group_card_for_chosen_recipients_only(api):
    api.post(CREATE, card_body(api, out_track_id="all"))
    everyone = api.control_get("/state")["cards"][0]["recipients"]
    assert len(everyone) > 1
    body = card_body(api)
    body["imGroupOpenDeliverModel"]["recipients"] = [everyone[1]["userId"]]
    api.post(CREATE, body)
    card = next(c for c in api.control_get("/state")["cards"] if c["outTrackId"] == "appr-001")
    assert [r["userId"] for r in card["recipients"]] == [everyone[1]["userId"]]


def test_ai_card_streaming(api):
    api.post(CREATE, card_body(api))
    base = {"outTrackId": "appr-001", "guid": "g1", "key": "content"}
    api.put("/v1.0/card/streaming", dict(base, content="你好", isFull=True))
    reply = api.put("/v1.0/card/streaming", dict(base, guid="g2", content="，世界", isFull=False))
    assert reply.json() == {"success": True, "result": True}
    card = api.control_get("/state")["cards"][0]
    assert card["cardParamMap"]["content"] == "你好，世界"
    assert_error(
        api.put("/v1.0/card/streaming", dict(base, outTrackId="nope")), 400, "param.cardNotExist"
    )


def test_the_page_puts_the_robot_into_a_group(api):
    groups = api.control_get("/groups")
    target = next(g for g in groups if api.robot_code not in g["robots"])
    page = api.session.get(f"{api.base_url}/_sandbox/v1/").text
    assert target["name"] in page
    reply = api.session.post(
        f"{api.base_url}/_sandbox/v1/robot_groups",
        data={"openConversationId": target["openConversationId"], "member": "true"},
    )
    assert reply.status_code == 200 and "robot added" in reply.text
    after = {g["openConversationId"]: g["robots"] for g in api.control_get("/groups")}
    assert api.robot_code in after[target["openConversationId"]]
