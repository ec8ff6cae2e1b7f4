"""Control endpoints of the Stream gateway and the directory (`/_sandbox/v1/stream/…`,
`/_sandbox/v1/directory/<change>`): plain JSON, never counted or faulted."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.v1.stream import directory
from dashboard.sandbox.v1.stream.gateway import client_of_corp, gateway, push_suite_ticket
from dashboard.sandbox.v1.stream.views import bp

PREFIX = "/_sandbox/v1/stream"


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _refuse(message: str, status: int = 400):
    return jsonify(error=message), status


@bp.get(PREFIX + "/state")
def stream_state():
    state = get_state()
    with state.lock:
        gw = gateway(state)
        gw.schedule(state, state.clock.now())
        return jsonify(gw.as_dict())


@bp.post(PREFIX + "/config")
def stream_config():
    state = get_state()
    with state.lock:
        gw = gateway(state)
        try:
            gw.settings = gw.settings.updated(_body())
        except KeyError as exc:
            return _refuse(f"unknown setting: {exc.args[0]}")
        except (TypeError, ValueError) as exc:
            return _refuse(str(exc))
        return jsonify(gw.as_dict()["settings"])


@bp.post(PREFIX + "/events")
def stream_event():
    """Push any EVENT: {eventType, data, corpId?, clientId?}."""
    body = _body()
    event_type = body.get("eventType")
    data = body.get("data", {})
    if not isinstance(event_type, str) or not event_type or not isinstance(data, dict):
        return _refuse("eventType (a string) and data (an object) are required")
    state = get_state()
    with state.lock:
        gw = gateway(state)
        corp_id = str(body.get("corpId") or state.settings.corp_id)
        client = str(body.get("clientId") or client_of_corp(state, corp_id))
        message = gw.push_event(client, event_type, data, corp_id, state.clock.now())
        return jsonify(message.as_dict())


def _targets(gw, body: dict[str, Any]):
    wanted = body.get("connectionId")
    client = body.get("clientId")
    return [
        c
        for c in gw.connections.values()
        if c.open and (not wanted or c.id == wanted) and (not client or c.client_id == client)
    ]


@bp.post(PREFIX + "/drop")
def stream_drop():
    """Close connections now: `mode` "close" (a close frame, code 1000: the SDK reconnects
    at once) or "abort" (TCP gone without one: the SDK waits before reconnecting)."""
    body = _body()
    mode = body.get("mode", "close")
    if mode not in ("close", "abort"):
        return _refuse("mode must be close or abort")
    state = get_state()
    with state.lock:
        gw = gateway(state)
        targets = _targets(gw, body)
        for conn in targets:
            conn.action = ("abort",) if mode == "abort" else ("close", 1000, "dropped")
        return jsonify(dropped=[c.id for c in targets])


@bp.post(PREFIX + "/disconnect")
def stream_disconnect():
    """SYSTEM disconnect, the socket closed `disconnect_close_delay` s later."""
    body = _body()
    state = get_state()
    with state.lock:
        gw = gateway(state)
        targets = _targets(gw, body)
        reason = str(body.get("reason") or "connection is expired")
        for conn in targets:
            gw.disconnect(conn, reason, state.clock.now())
        return jsonify(disconnected=[c.id for c in targets])


@bp.post(PREFIX + "/ping")
def stream_ping():
    """A SYSTEM ping now on each targeted connection."""
    body = _body()
    state = get_state()
    with state.lock:
        gw = gateway(state)
        targets = _targets(gw, body)
        for conn in targets:
            conn.next_ping_at = 0.0
        return jsonify(pinged=[c.id for c in targets])


@bp.post(PREFIX + "/redeliver")
def stream_redeliver():
    """Send an event again (a duplicate), even if it was acked: {eventId}."""
    state = get_state()
    with state.lock:
        message = gateway(state).redeliver(str(_body().get("eventId") or ""), state.clock.now())
        if message is None:
            return _refuse("unknown eventId", 404)
        return jsonify(message.as_dict())


@bp.post(PREFIX + "/suite_ticket")
def stream_suite_ticket():
    """A new suite ticket pushed over Stream: {ticket?}."""
    state = get_state()
    with state.lock:
        gw = gateway(state)
        message = push_suite_ticket(state, gw, state.clock.now(), _body().get("ticket"))
        return jsonify(message.as_dict())


@bp.post("/_sandbox/v1/directory/<change>")
def directory_change(change: str):
    """hire, update (move), leave, dept_create, dept_modify, dept_remove, chat_members,
    authorise: see `directory`."""
    handler = directory.CHANGES.get(change)
    if handler is None:
        return _refuse(f"unknown change {change}", 404)
    state = get_state()
    with state.lock:
        try:
            return jsonify(handler(state, gateway(state), _body(), state.clock.now()))
        except directory.DirectoryError as exc:
            return _refuse(str(exc))
