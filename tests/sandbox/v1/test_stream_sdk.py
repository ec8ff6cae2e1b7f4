"""The official `dingtalk-stream` SDK 0.24.3, unchanged, against the sandbox's Stream gateway.

Each test runs tests/sandbox/v1/stream_sdk_client.py in a subprocess with only
DINGTALK_OPENAPI_ENDPOINT pointing at the sandbox (set before the SDK is imported), and
drives the gateway through its control endpoints. Timers run on the sandbox clock
(`advance`), so nothing sleeps for the reference's 60 s / 10 s delays.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from dashboard.sandbox.v1.control import V1SandboxControl

CLIENT = Path(__file__).with_name("stream_sdk_client.py")
ROOT = Path(__file__).resolve().parents[3]
WAIT = 15.0


class SdkClient:
    """The SDK's process and the JSON lines it prints."""

    def __init__(self, base_url: str, client_id: str, secret: str, *args: str) -> None:
        env = dict(os.environ, DINGTALK_OPENAPI_ENDPOINT=base_url, PYTHONPATH=str(ROOT))
        env.pop("HTTPS_PROXY", None), env.pop("HTTP_PROXY", None)
        env["NO_PROXY"] = "127.0.0.1,localhost"
        self.proc = subprocess.Popen(
            [sys.executable, str(CLIENT), client_id, secret, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue = queue.Queue()
        self.seen: list[dict] = []
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._read_err, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(json.loads(line))

    def _read_err(self) -> None:
        for line in self.proc.stderr:
            self.stderr.append(line)

    def next(self, kind: str, timeout: float = WAIT) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} line; SDK log:\n{''.join(self.stderr[-30:])}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            self.seen.append(line)
            if line["kind"] == kind:
                return line

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture
def stream(sandbox, sandbox_server):
    """Control of the gateway: state, config and the other /_sandbox/v1/stream/ calls."""
    return V1SandboxControl(sandbox_server.url)


@pytest.fixture
def sdk(sandbox, sandbox_server):
    clients: list[SdkClient] = []

    def start(*args: str, client_id=None, secret=None) -> SdkClient:
        client = SdkClient(
            sandbox_server.url,
            client_id or sandbox.app_key,
            secret or sandbox.app_secret,
            *args,
        )
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.stop()


def until(predicate, timeout: float = WAIT):
    """Poll the sandbox (real time: the SDK is another process) until `predicate` holds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.05)


def open_connections(stream: V1SandboxControl) -> list[dict]:
    return [c for c in stream.stream_state()["connections"] if c["open"]]


def message(stream: V1SandboxControl, event_id: str) -> dict:
    return next(m for m in stream.stream_state()["messages"] if m["eventId"] == event_id)


def test_a_hire_reaches_the_sdk_as_an_acked_event(sdk, stream, sandbox):
    client = sdk()
    client.next("connecting")
    (conn,) = until(lambda: open_connections(stream))
    assert conn["subscriptions"] == [
        {"type": "EVENT", "topic": "*"},
        {"type": "CALLBACK", "topic": "/v1.0/card/instances/callback"},
    ]
    hired = stream.hire("新同事", [2], userid="newhire01")
    event = client.next("event")
    assert event["eventType"] == "user_add_org"
    assert event["eventId"] == hired["event"]["eventId"]
    assert event["eventCorpId"] == sandbox.knobs()["corp_id"]
    assert event["data"]["userId"] == ["newhire01"]
    assert isinstance(event["eventBornTime"], int)  # a string of ms the SDK int()s
    done = until(
        lambda: (
            message(stream, event["eventId"])["status"] == "acked"
            and message(stream, event["eventId"])
        )
    )
    (delivery,) = done["deliveries"]
    assert delivery["messageId"] == event["messageId"]
    assert delivery["ack"]["code"] == 200
    assert delivery["ack"]["data"] == event["data"]  # stream-py echoes the event


def test_ping_is_answered_with_the_opaque(sdk, stream):
    client = sdk()
    client.next("connecting")
    until(lambda: open_connections(stream))
    stream.ping()
    ping = until(
        lambda: (
            (open_connections(stream)[0]["pings"] or [{}])[-1].get("ack")
            and open_connections(stream)[0]["pings"][-1]
        )
    )
    assert ping["ack"]["code"] == 200 and ping["echoed"] is True


def test_an_unacked_event_is_redelivered_with_the_same_event_id(sdk, stream, sandbox):
    client = sdk("--fail-first")
    client.next("connecting")
    until(lambda: open_connections(stream))
    pushed = stream.push_event("org_dept_create", {"deptId": [99]})
    first = client.next("event")
    assert first["acked"] is False
    sandbox.advance(61)  # the reference's ~60 s, on the sandbox clock
    second = client.next("event")
    assert second["eventId"] == first["eventId"] == pushed["eventId"]
    assert second["messageId"] != first["messageId"]  # redelivered under a new messageId
    done = until(
        lambda: (
            message(stream, first["eventId"])["status"] == "acked"
            and message(stream, first["eventId"])
        )
    )
    assert [d["ack"] and d["ack"]["code"] for d in done["deliveries"]] == [None, 200]


def test_a_dropped_connection_reconnects_and_gets_what_was_queued(sdk, stream):
    client = sdk()
    client.next("connecting")
    (first,) = until(lambda: open_connections(stream))
    stream.drop()
    client.next("connecting")  # 0.24.3 reconnects at once after a normal close
    (second,) = until(lambda: open_connections(stream))
    assert second["connectionId"] != first["connectionId"]
    stream.push_event("user_leave_org", {"userId": ["staff0001"]})
    assert client.next("event")["eventType"] == "user_leave_org"


def test_disconnect_makes_the_sdk_close_and_reconnect(sdk, stream):
    client = sdk()
    client.next("connecting")
    (first,) = until(lambda: open_connections(stream))
    stream.disconnect()
    client.next("connecting")
    until(
        lambda: [c for c in open_connections(stream) if c["connectionId"] != first["connectionId"]]
    )
    closed = next(
        c
        for c in stream.stream_state()["connections"]
        if c["connectionId"] == first["connectionId"]
    )
    assert closed["open"] is False and closed["closeReason"] == "closed by the client"


def test_a_stream_card_press_arrives_as_a_callback_and_its_reply_updates_the_card(
    sdk, stream, sandbox, sandbox_server
):
    from tests.sandbox.v1.test_cards import CREATE, card_body
    from tests.sandbox.v1.v1api import Api

    api = Api(sandbox_server.url, sandbox)
    client = sdk()
    client.next("connecting")
    until(lambda: open_connections(stream))
    assert api.post(CREATE, card_body(api, callbackType="STREAM")).status_code == 200
    presser = stream.card("appr-001")["recipients"][0]["userId"]
    press = stream.press("appr-001", presser, "read")
    assert press["delivery"] == "stream"
    card = client.next("card")
    assert card["outTrackId"] == "appr-001" and card["userId"] == presser
    assert card["content"]["cardPrivateData"]["actionIds"] == ["read"]
    pressed = until(
        lambda: stream.card("appr-001")["presses"][-1]["status"] == 200 and stream.card("appr-001")
    )
    assert pressed["presses"][-1]["response"]["cardData"]["cardParamMap"] == {"status": "done"}
    assert pressed["cardParamMap"]["status"] == "done"


def test_an_isv_suite_gets_its_ticket_over_stream(sdk, stream, sandbox_server):
    isv = requests.get(f"{sandbox_server.url}/_sandbox/isv/state", timeout=10).json()
    client = sdk(client_id=isv["suite_key"], secret=isv["settings"]["suite_secret"])
    event = client.next("event")
    assert event["eventType"] == "suite_ticket"
    current = requests.get(f"{sandbox_server.url}/_sandbox/isv/state", timeout=10).json()
    assert event["data"]["suiteTicket"] == current["current_ticket"] != isv["current_ticket"]
