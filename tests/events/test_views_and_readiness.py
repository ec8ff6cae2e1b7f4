"""The events log page, the state JSON, /readyz's events check, and the ack path: the
SDK callback only records and queues (the handler runs later, in the worker)."""

from __future__ import annotations

import pytest

from dashboard.events import state, stream
from dashboard.events.models import StreamEvent
from dashboard.events.recording import record
from dashboard.extensions import db
from tests.conftest import dashboard_config, running_dashboard


@pytest.fixture
def queued_app(sandbox, tmp_path):
    config = dashboard_config(
        sandbox, tmp_path, DELIVERY_IMMEDIATE=False, DINGTALK_STREAM_ENABLED=True
    )
    with running_dashboard(config) as app:
        yield app


def test_the_callback_records_and_queues_without_running_the_handler(queued_app):
    from dashboard.delivery.queue import get_huey

    assert stream.accept(queued_app, "ev-q", "user_add_org", {"userId": ["u"]}) is True
    assert stream.accept(queued_app, "ev-q", "user_add_org", {"userId": ["u"]}) is False
    row = db.session.execute(db.select(StreamEvent)).scalar_one()
    assert (row.outcome, row.deliveries) == ("queued", 2)
    assert get_huey().pending_count() == 1  # one task, for the first delivery only


def test_a_failed_enqueue_leaves_nothing_so_the_redelivery_is_handled(queued_app, monkeypatch):
    from dashboard.delivery import tasks

    def down(*args):
        raise ConnectionError("queue down")

    monkeypatch.setattr(tasks.handle_stream_event, "enqueue", down)
    with pytest.raises(ConnectionError):
        stream.accept(queued_app, "ev-lost", "user_add_org", {})
    assert db.session.execute(db.select(StreamEvent)).scalar_one_or_none() is None


def test_readyz_reports_a_dead_events_process(queued_app, monkeypatch):
    client = queued_app.test_client()
    monkeypatch.setattr("dashboard.ops.readiness.check_delivery_consumer", lambda: {"status": "ok"})
    reply = client.get("/readyz")
    events = reply.get_json()["checks"]["events"]
    assert reply.status_code == 503 and "ever been seen" in events["error"]

    state.beat()
    state.update_state(state="connected", reconnects=3, last_event_at="2026-12-02T03:00:00Z")
    events = client.get("/readyz").get_json()["checks"]["events"]
    assert events["status"] == "ok"
    assert (events["state"], events["reconnects"]) == ("connected", 3)

    monkeypatch.setattr(state, "clock", lambda: 10**10)
    events = client.get("/readyz").get_json()["checks"]["events"]
    assert events["status"] == "error" and "more than 60 s" in events["error"]


def test_readyz_without_stream_mode(app, client):
    assert client.get("/readyz").get_json()["checks"]["events"] == {
        "status": "ok",
        "mode": "disabled",
    }


def test_the_events_page_and_state(app, auth, client):
    record("ev-p1", "user_add_org", {"userId": ["u1"]})
    row_id, _ = record("ev-p2", "org_dept_remove", {"deptId": [9]})
    db.session.get(StreamEvent, row_id).outcome = "done"
    db.session.commit()
    auth.login()
    page = client.get("/events/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "org_dept_remove" in text and "user_add_org" in text
    only = client.get("/events/?outcome=done&type=org_").get_data(as_text=True)
    assert "org_dept_remove" in only and "user_add_org" not in only
    assert client.get("/events/?page=abc&outcome=nonsense").status_code == 200
    assert client.get("/events/state").get_json()["state"] == "stopped"


def test_the_isv_page_shows_the_stream_connection(make_isv_app):
    app = make_isv_app(DINGTALK_STREAM_ENABLED=True)
    client = app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-password"})
    state.beat()
    state.update_state(state="connected", reconnects=2)
    text = client.get("/isv/").get_data(as_text=True)
    assert 'id="stream-connection"' in text and "2" in text


def test_a_failed_event_runs_again_from_the_page(app, auth, client, stream):
    from dashboard.directory import snapshot as snap

    snap.get_snapshot()
    hired = stream.hire("重试新人", [1])["userid"]
    row_id, _ = record("ev-r", "user_add_org", {"userId": [hired]})
    row = db.session.get(StreamEvent, row_id)
    row.outcome, row.detail = "failed", "ConnectionError: DingTalk unreachable"
    db.session.commit()
    auth.login()
    assert "重新运行" in client.get("/events/").get_data(as_text=True)  # Chinese first
    assert client.post(f"/events/{row_id}/retry").status_code == 302
    db.session.expire_all()
    assert db.session.get(StreamEvent, row_id).outcome == "done"
    assert hired in snap.get_snapshot().users
    client.post(f"/events/{row_id}/retry")  # done: nothing runs again
    assert db.session.get(StreamEvent, row_id).outcome == "done"
    assert client.post("/events/999/retry").status_code == 404
