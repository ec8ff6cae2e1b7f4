"""The Stream gateway frame by frame (shared/dingtalk-v1.md §7), with a plain WebSocket
client (websockets' sync client) over real HTTP on 127.0.0.1, and the directory changes
that push events. The official SDK's own journey is in test_stream_sdk.py."""

from __future__ import annotations

import json
import time

import pytest
import requests
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from dashboard.sandbox.v1.control import V1SandboxControl, V1SandboxControlError

OPEN = "/v1.0/gateway/connections/open"
EVERYTHING = [
    {"type": "EVENT", "topic": "*"},
    {"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"},
]


@pytest.fixture
def stream(sandbox, sandbox_server) -> V1SandboxControl:
    return V1SandboxControl(sandbox_server.url)


@pytest.fixture
def gw(sandbox, sandbox_server):
    """Open tickets and sockets as the SDK does; closes them afterwards."""

    class Gw:
        url = sandbox_server.url
        sockets: list = []

        def open(self, client_id=None, secret=None, subscriptions=None) -> requests.Response:
            body = {
                "clientId": client_id or sandbox.app_key,
                "clientSecret": secret or sandbox.app_secret,
                "subscriptions": EVERYTHING if subscriptions is None else subscriptions,
                "ua": "dingtalk-sdk-python/v0.24.3-union",
                "localIp": "",
            }
            headers = {"Accept": "application/json"}
            return requests.post(self.url + OPEN, json=body, headers=headers, timeout=10)

        def connect(self, **kwargs):
            reply = self.open(**kwargs).json()
            ws = connect(f"{reply['endpoint']}?ticket={reply['ticket']}", open_timeout=5)
            self.sockets.append(ws)
            return ws

    yield (g := Gw())
    for ws in g.sockets:
        ws.close()


def frame(ws, timeout: float = 5.0, pings: bool = False) -> dict:
    """The next frame; SYSTEM pings (sent every ping_interval of the sandbox clock) are
    answered and skipped unless `pings`."""
    while True:
        got = json.loads(ws.recv(timeout=timeout))
        if pings or got["type"] != "SYSTEM" or got["headers"]["topic"] != "ping":
            return got
        ack(ws, got)


def ack(ws, received: dict, code: int = 200, data=None, message: str = "OK") -> None:
    ws.send(
        json.dumps(
            {
                "code": code,
                "headers": {
                    "contentType": "application/json",
                    "messageId": received["headers"]["messageId"],
                },
                "message": message,
                "data": json.dumps(received_data(received) if data is None else data),
            }
        )
    )


def received_data(received: dict) -> dict:
    return json.loads(received["data"])


def until(predicate, timeout: float = 5.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.02)
    return value


def status_of(stream, event_id: str) -> str:
    return next(m for m in stream.stream_state()["messages"] if m["eventId"] == event_id)["status"]


def test_open_answers_an_endpoint_on_the_sandbox_and_a_ticket(gw, sandbox_server):
    reply = gw.open()
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"endpoint", "ticket"}
    assert body["endpoint"] == sandbox_server.url.replace("http://", "ws://") + "/connect"


def test_open_without_accept_json_answers_xml(gw, sandbox, stream):
    body = {
        "clientId": sandbox.app_key,
        "clientSecret": sandbox.app_secret,
        "subscriptions": EVERYTHING,
    }
    reply = requests.post(gw.url + OPEN, json=body, timeout=10)  # Accept: */*
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("application/xml")
    assert "<ticket>" in reply.text and "<endpoint>ws://" in reply.text
    stream.stream_config(xml_without_accept=False)
    assert set(requests.post(gw.url + OPEN, json=body, timeout=10).json()) == {"endpoint", "ticket"}


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"secret": "wrong"}, 400, "invalidClientIdOrSecret"),
        ({"client_id": "nobody"}, 400, "invalidClientIdOrSecret"),
        ({"subscriptions": []}, 400, "param.invalid"),
        ({"subscriptions": [{"type": "EVENT", "topic": "user_add_org"}]}, 400, "param.invalid"),
        ({"subscriptions": [{"type": "PUSH", "topic": "*"}]}, 400, "param.invalid"),
    ],
)
def test_open_refuses_bad_credentials_and_subscriptions(gw, change, status, code):
    reply = gw.open(**change)
    assert reply.status_code == status
    assert reply.json()["code"] == code and "requestid" in reply.json()


def test_a_ticket_serves_one_connection_within_90_seconds(gw, sandbox):
    body = gw.open().json()
    url = f"{body['endpoint']}?ticket={body['ticket']}"
    gw.sockets.append(connect(url))
    with pytest.raises(InvalidStatus) as used:
        connect(url)
    assert used.value.response.status_code == 401
    late = gw.open().json()
    sandbox.advance(91)
    with pytest.raises(InvalidStatus):
        connect(f"{late['endpoint']}?ticket={late['ticket']}")
    with pytest.raises(InvalidStatus):
        connect(f"{late['endpoint']}?ticket=made-up")


def test_event_frames_carry_string_headers_and_a_json_string(gw, stream, sandbox):
    ws = gw.connect()
    hired = stream.hire("新同事", [2], userid="newhire01")["event"]
    got = frame(ws)
    assert got["specVersion"] == "1.0" and got["type"] == "EVENT"
    headers = got["headers"]
    assert all(isinstance(v, str) for v in headers.values())
    assert headers["topic"] == "*" and headers["eventType"] == "user_add_org"
    assert headers["eventId"] == hired["eventId"]
    assert headers["eventCorpId"] == sandbox.knobs()["corp_id"]
    assert int(headers["eventBornTime"]) and int(headers["time"]) and headers["messageId"]
    assert isinstance(got["data"], str)
    data = received_data(got)
    assert data["userId"] == ["newhire01"] and isinstance(data["timeStamp"], str)
    ack(ws, got)
    until(lambda: status_of(stream, hired["eventId"]) == "acked")


def test_a_later_or_failed_ack_and_silence_get_the_event_again(gw, stream, sandbox):
    ws = gw.connect()
    pushed = stream.push_event("org_dept_modify", {"deptId": [2]})
    first = frame(ws)
    ack(ws, first, data={"status": "LATER", "message": "busy"})
    until(lambda: status_of(stream, pushed["eventId"]) == "queued")
    sandbox.advance(5)  # later_delay
    second = frame(ws)
    assert second["headers"]["eventId"] == pushed["eventId"]
    assert second["headers"]["messageId"] != first["headers"]["messageId"]
    # no ack at all: sent again after redeliver_delay (sandbox clock)
    sandbox.advance(60)
    third = frame(ws)
    assert third["headers"]["eventId"] == pushed["eventId"]
    ack(ws, third)
    until(lambda: status_of(stream, pushed["eventId"]) == "acked")
    # a duplicate after the ack, on demand
    stream.redeliver(pushed["eventId"])
    assert frame(ws)["headers"]["eventId"] == pushed["eventId"]


def test_the_same_message_id_on_redelivery_is_a_setting(gw, stream, sandbox):
    stream.stream_config(redeliver_new_message_id=False, redeliver_delay=1)
    ws = gw.connect()
    stream.push_event("user_modify_org", {"userId": ["manager01"]})
    first = frame(ws)
    sandbox.advance(1)
    assert frame(ws)["headers"]["messageId"] == first["headers"]["messageId"]


def test_an_event_goes_to_one_of_several_connections(gw, stream):
    sockets = [gw.connect(), gw.connect()]
    for n in range(6):
        stream.push_event("user_modify_org", {"userId": [f"u{n}"]})
    seen = []
    for ws in sockets:
        while True:
            try:
                got = frame(ws, timeout=0.5)
            except TimeoutError:
                break
            seen.append(got["headers"]["eventId"])
            ack(ws, got)
    assert len(seen) == len(set(seen)) == 6


def test_unsubscribed_events_wait_and_an_unacked_event_survives_a_drop(gw, stream):
    ws = gw.connect(subscriptions=[{"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}])
    pushed = stream.push_event("user_leave_org", {"userId": ["staff0001"]})
    with pytest.raises(TimeoutError):
        frame(ws, timeout=0.3)
    listener = gw.connect()
    got = frame(listener)
    assert got["headers"]["eventId"] == pushed["eventId"]
    stream.drop(mode="abort", connectionId=got["headers"]["connectionId"])
    with pytest.raises(ConnectionClosed):
        frame(listener)
    again = frame(gw.connect())
    assert again["headers"]["eventId"] == pushed["eventId"]


def test_ping_and_disconnect(gw, stream, sandbox):
    ws = gw.connect()
    stream.ping()
    ping = frame(ws, pings=True)
    assert ping["type"] == "SYSTEM" and ping["headers"]["topic"] == "ping"
    assert set(received_data(ping)) == {"opaque"}
    ack(ws, ping)
    conn = until(lambda: stream.stream_state()["connections"][0]["pings"][0]["ack"] and stream)
    assert conn.stream_state()["connections"][0]["pings"][0]["echoed"] is True
    stream.disconnect(reason="connection is expired")
    bye = frame(ws)
    assert bye["headers"]["topic"] == "disconnect" and "messageId" not in bye["headers"]
    assert received_data(bye) == {"reason": "connection is expired"}
    ws.send(json.dumps({"code": 200, "headers": {}, "message": "OK", "data": bye["data"]}))
    with pytest.raises(TimeoutError):
        frame(ws, timeout=0.2)  # still open: the close comes disconnect_close_delay later
    sandbox.advance(10)
    with pytest.raises(ConnectionClosed):
        frame(ws)


def test_a_stream_card_press_without_a_connection_is_dropped_after_a_while(stream, sandbox):
    from tests.sandbox.v1.test_cards import CREATE, card_body
    from tests.sandbox.v1.v1api import Api

    api = Api(stream.base_url, sandbox)
    assert api.post(CREATE, card_body(api, callbackType="STREAM")).status_code == 200
    presser = stream.card("appr-001")["recipients"][0]["userId"]
    stream.press("appr-001", presser, "read")
    (queued,) = stream.stream_state()["messages"]
    assert queued["type"] == "CALLBACK" and queued["status"] == "queued"
    sandbox.advance(61)  # callback_wait
    (dropped,) = stream.stream_state()["messages"]
    assert dropped["status"] == "dropped"
    assert stream.card("appr-001")["presses"][-1]["error"] == "no connection subscribed"


def test_a_card_callback_not_acked_in_time_fails_the_press(gw, stream, sandbox):
    from tests.sandbox.v1.test_cards import CREATE, card_body
    from tests.sandbox.v1.v1api import Api

    api = Api(stream.base_url, sandbox)
    ws = gw.connect()
    assert api.post(CREATE, card_body(api, callbackType="STREAM")).status_code == 200
    presser = stream.card("appr-001")["recipients"][0]["userId"]
    stream.press("appr-001", presser, "read")
    got = frame(ws)
    assert got["type"] == "CALLBACK" and received_data(got)["outTrackId"] == "appr-001"
    sandbox.advance(3)  # card_callback_timeout (2 s) on the sandbox clock
    press = until(lambda: stream.card("appr-001")["presses"][-1]["error"] and stream)
    ack(ws, got, data={"response": {"cardData": {"cardParamMap": {"done": "true"}}}})
    until(lambda: stream.stream_state()["messages"][-1]["deliveries"][0]["ack"])
    card = press.card("appr-001")
    assert card["presses"][-1]["error"] == "no ack within the callback timeout"
    assert card["cardParamMap"]["done"] == "false"  # the late reply is not applied


def test_isv_suite_ticket_and_authorisation_events(gw, stream, sandbox_server):
    isv = requests.get(f"{sandbox_server.url}/_sandbox/isv/state", timeout=10).json()
    ws = gw.connect(client_id=isv["suite_key"], secret=isv["settings"]["suite_secret"])
    ticket = frame(ws)
    assert ticket["headers"]["eventType"] == "suite_ticket"
    assert (
        received_data(ticket)["suiteTicket"]
        == requests.get(f"{sandbox_server.url}/_sandbox/isv/state", timeout=10).json()[
            "current_ticket"
        ]
    )
    ack(ws, ticket)
    corp = isv["corps"][1]["corpid"]
    stream.change("authorise", corpId=corp, authorised=False)
    relieved = frame(ws)
    assert relieved["headers"]["eventType"] == "org_suite_relieve"
    assert relieved["headers"]["eventCorpId"] == corp
    stream.stream_config(auth_event="org_auth")
    stream.change("authorise", corpId=corp)
    assert frame(ws)["headers"]["eventType"] == "org_auth"


def test_isv_companies_get_their_directory_changes_on_the_suite_connection(
    gw, stream, sandbox_server
):
    isv = requests.get(f"{sandbox_server.url}/_sandbox/isv/state", timeout=10).json()
    ws = gw.connect(client_id=isv["suite_key"], secret=isv["settings"]["suite_secret"])
    ack(ws, frame(ws))  # the suite ticket
    stream.hire("物流新人", [1], userid="wl001", corpId="dingisvcorpb")
    got = frame(ws)
    assert got["headers"]["eventType"] == "user_add_org"
    assert got["headers"]["eventCorpId"] == "dingisvcorpb"
    ack(ws, got)
    stream.leave("manager02")  # the demo company is also ISV company A
    got = frame(ws)
    assert (got["headers"]["eventType"], got["headers"]["eventCorpId"]) == (
        "user_leave_org",
        "dingisvcorpa",
    )
    with pytest.raises(V1SandboxControlError):
        stream.hire("无名", [1], corpId="dingnobody")


def test_directory_changes_are_what_the_contact_calls_see(gw, stream, sandbox, sandbox_server):
    def user_get(userid):
        token = requests.get(
            f"{sandbox_server.url}/gettoken",
            params={"appkey": sandbox.app_key, "appsecret": sandbox.app_secret},
            timeout=10,
        ).json()["access_token"]
        return requests.get(
            f"{sandbox_server.url}/user/get",
            params={"access_token": token, "userid": userid},
            timeout=10,
        ).json()

    stream.stream_config(user_key="UserId", dept_key="DeptId", timestamp_key="timestamp")
    ws = gw.connect()
    dept = stream.create_department("新部门", 2)["deptId"]
    created = received_data(frame(ws))
    assert created["DeptId"] == [dept] and "timestamp" in created
    stream.hire("王五", [dept], userid="wangwu")
    assert received_data(frame(ws))["UserId"] == ["wangwu"]
    assert user_get("wangwu")["department"] == [dept]
    stream.move("wangwu", [3])
    moved = frame(ws)
    assert moved["headers"]["eventType"] == "user_modify_org"
    assert user_get("wangwu")["department"] == [3]
    with pytest.raises(V1SandboxControlError):
        stream.remove_department(3)  # has members
    stream.remove_department(dept)
    assert frame(ws)["headers"]["eventType"] == "org_dept_remove"
    stream.leave("wangwu")
    assert frame(ws)["headers"]["eventType"] == "user_leave_org"
    assert user_get("wangwu")["errcode"] != 0
    stream.leave("manager03")
    assert user_get("manager03")["errcode"] != 0
    sandbox.reset()  # the demo directory comes back
    assert user_get("manager03")["errcode"] == 0


def test_chat_member_changes_push_group_events(gw, stream):
    ws = gw.connect()
    chat = next(g for g in stream.groups() if g["robots"])
    changed = stream.chat_members(chat["openConversationId"], add=["manager06"])
    got = frame(ws)
    assert got["headers"]["eventType"] == "chat_add_member"
    data = received_data(got)
    assert (
        data["userId"] == ["manager06"] and data["openConversationId"] == chat["openConversationId"]
    )
    assert "manager06" in changed["members"]
    stream.chat_members(chat["openConversationId"], remove=["manager06"])
    assert frame(ws)["headers"]["eventType"] == "chat_remove_member"


def test_callbacks_go_to_their_topic_and_are_never_resent(gw, stream, sandbox):
    topic = "/v1.0/im/bot/messages/get"
    ws = gw.connect(subscriptions=[{"type": "CALLBACK", "topic": topic}])
    pushed = stream.push_callback(topic, {"msgtype": "text", "text": {"content": " 你好"}})
    got = frame(ws)
    assert got["type"] == "CALLBACK" and got["headers"]["topic"] == topic
    assert received_data(got)["text"]["content"] == " 你好"
    sandbox.advance(120)
    with pytest.raises(TimeoutError):
        frame(ws, timeout=0.3)
    ack(ws, got, data={"response": "OK"}, message="")
    until(lambda: stream.stream_state()["messages"][pushed["seq"] - 1]["status"] == "acked")


def test_a_reset_closes_open_sockets(gw, sandbox):
    ws = gw.connect()
    sandbox.reset()
    with pytest.raises(ConnectionClosed):
        frame(ws)
