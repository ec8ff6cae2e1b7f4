"""The events process for real: `flask --app app events run` in a subprocess, the official
SDK connected to the sandbox's Stream gateway, sharing the database and the cache (files)
with the console under test. Polls with short timeouts; nothing sleeps a fixed time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dashboard.directory import snapshot as snap
from dashboard.events import state
from dashboard.events.models import StreamEvent
from dashboard.extensions import db
from tests.conftest import dashboard_config, running_dashboard

ROOT = Path(__file__).resolve().parents[2]
WAIT = 20.0


def until(predicate, timeout: float = WAIT, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()  # see the other process's commits
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not reached")
        time.sleep(0.05)


def _env(config: dict) -> dict:
    env = dict(os.environ)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy", "ALL_PROXY"):
        env.pop(name, None)
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.pop("DINGTALK_OPENAPI_ENDPOINT", None)  # the process sets it from DINGTALK_API_V1_BASE
    names = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
    for key, value in config.items():
        if value is None or key in ("TESTING", "DASHBOARD_INSTANCE_PATH") or "RATELIMIT" in key:
            continue
        env[names.get(key, key)] = "1" if value is True else "0" if value is False else str(value)
    env["DASHBOARD_INSTANCE_PATH"] = str(config["DASHBOARD_INSTANCE_PATH"])
    env["LOG_FORMAT"] = "text"
    return env


class EventsProcess:
    def __init__(self, config: dict, log: Path) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "events", "run"],
            cwd=ROOT,
            env=_env(config),
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> int | None:
        """SIGTERM; the exit code, or None when it had to be killed."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=8)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
            return None


def shared_config(sandbox, tmp_path, **extra) -> dict:
    return dashboard_config(
        sandbox,
        tmp_path,
        CACHE_TYPE="FileSystemCache",
        CACHE_DIR=str(tmp_path / "cache"),
        DINGTALK_STREAM_ENABLED=True,
        SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 15}},
        **extra,
    )


@pytest.fixture
def events_process(tmp_path):
    started: list[EventsProcess] = []

    def start(config: dict) -> EventsProcess:
        config = {k: v for k, v in config.items() if k != "SQLALCHEMY_ENGINE_OPTIONS"}
        process = EventsProcess(config, tmp_path / f"events-{len(started)}.log")
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


def connected(stream, process: EventsProcess, client_id: str, count: int = 1):
    def check():
        assert process.proc.poll() is None, process.output()
        opened = [
            c
            for c in stream.stream_state()["connections"]
            if c["open"] and c.get("clientId", client_id) == client_id
        ]
        return len(opened) >= count and opened

    return until(check, what="an open Stream connection")


def test_hire_leave_drop_and_redelivery_through_the_official_sdk(
    sandbox, stream, tmp_path, events_process
):
    config = shared_config(sandbox, tmp_path)
    with running_dashboard(config) as app:
        client = app.test_client()
        client.post("/login", data={"username": "admin", "password": "admin-password"})
        before = snap.get_snapshot()
        process = events_process(config)
        connected(stream, process, sandbox.app_key)
        until(lambda: state.summary()["state"] == "connected", what="connected state")
        ready = client.get("/readyz").get_json()
        assert ready["checks"]["events"]["status"] == "ok", ready

        # A hire appears in the picker within seconds, with no refresh.
        hired = stream.hire("流式新人", [1], userid="streamhire1")
        event_id = hired["event"]["eventId"]

        def in_picker():
            rows = client.get("/directory/search?q=流式新人&types=users").get_json()
            return [r for r in rows if r["id"] == "streamhire1"]

        until(in_picker, what="the hire in the picker")
        assert snap.get_snapshot().built_at == before.built_at  # patched, not re-crawled

        # The connection drops; the SDK reconnects (counted) and events keep coming.
        stream.drop("close")
        until(lambda: state.summary()["reconnects"] >= 1, what="a counted reconnect")
        connected(stream, process, sandbox.app_key)
        # A redelivery (a new messageId, the same eventId) is handled once.
        stream.redeliver(event_id)
        row = until(
            lambda: (
                (
                    r := db.session.execute(
                        db.select(StreamEvent).filter_by(event_id=event_id)
                    ).scalar_one_or_none()
                )
                and r.deliveries >= 2
                and r
            ),
            what="the redelivery counted",
        )
        assert row.outcome == "done"
        assert db.session.query(StreamEvent).filter_by(event_type="user_add_org").count() == 1

        # The other spelling of the data keys (§7.7 leaves them unverified).
        stream.stream_config(user_key="UserId", timestamp_key="timestamp")
        stream.leave("streamhire1")
        until(lambda: not in_picker(), what="the leaver gone from the picker")
        messages = {m["eventId"]: m for m in stream.stream_state()["messages"]}
        assert messages[event_id]["status"] == "acked"

        page = client.get("/events/")
        assert page.status_code == 200
        assert "user_leave_org" in page.get_data(as_text=True)
        readyz = client.get("/readyz").get_json()["checks"]["events"]
        assert readyz["reconnects"] >= 1 and readyz["last_event_at"]

        assert process.stop() == 0, process.output()  # SIGTERM stops it at once
        assert state.read_state()["state"] == "stopped"


def test_suite_ticket_over_stream_without_a_callback_url(
    sandbox, stream, tmp_path, events_process, isv_config
):
    from dashboard.isv import service

    config = shared_config(
        sandbox,
        tmp_path,
        **{k: v for k, v in isv_config().items() if k.startswith(("DINGTALK_", "DASHBOARD_ENC"))},
    )
    config.pop("DASHBOARD_PUBLIC_URL", None)
    with running_dashboard(config, request_scoped=False):
        process = events_process(config)
        connected(stream, process, config["DINGTALK_SUITE_KEY"])
        pushed = stream.push_suite_ticket("StreamSuiteTicket42")
        assert pushed["eventType"] == "suite_ticket"
        until(
            lambda: service.latest_ticket().ticket == "StreamSuiteTicket42",
            what="the suite ticket recorded",
        )
        rows = db.session.execute(db.select(StreamEvent).filter_by(event_type="suite_ticket"))
        rows = rows.scalars().all()
        assert rows and all(r.outcome == "done" for r in rows)
        assert not any("StreamSuiteTicket42" in r.data_json for r in rows)  # encrypted at rest
        process.stop()
        out = process.output()
        assert "endpoint is" in out, out  # the SDK's line, without the connection's ticket
        assert "'ticket'" not in out and "StreamSuiteTicket42" not in out


def test_a_card_button_press_over_stream_is_recorded_on_the_send(
    sandbox, stream, tmp_path, events_process
):
    from dashboard.cards.models import CardResponse
    from dashboard.notifications.models import Send

    config = shared_config(sandbox, tmp_path)
    config.pop("DASHBOARD_PUBLIC_URL", None)  # no HTTP callback: the card goes out STREAM
    with running_dashboard(config) as app:
        client = app.test_client()
        client.post("/login", data={"username": "admin", "password": "admin-password"})
        reply = client.post(
            "/cards/compose",
            data={
                "card_template_id": "sandbox-ack.schema",
                "card_params": "title=请确认",
                "userid_list": "manager01",
            },
        )
        assert reply.status_code == 302, reply.text
        send = db.session.execute(db.select(Send)).scalar_one()
        track = send.tasks[0].out_key
        assert stream.card(track)["callbackType"] == "STREAM"

        process = events_process(config)
        connected(stream, process, sandbox.app_key)
        press = stream.press(track, "manager01", "confirm")
        until(lambda: db.session.query(CardResponse).count() == 1, what="the press recorded")
        assert db.session.execute(db.select(CardResponse)).scalar_one().action == "confirm"
        page = client.get(reply.headers["Location"]).get_data(as_text=True)
        assert "card-responses" in page and "confirm" in page and "陈立新" in page, press
        row = db.session.execute(
            db.select(StreamEvent).filter_by(event_type="card_callback")
        ).scalar_one_or_none()
        assert row is not None and row.outcome == "done", [
            (r.event_type, r.outcome) for r in db.session.query(StreamEvent).all()
        ]
        assert process.stop() == 0, process.output()
