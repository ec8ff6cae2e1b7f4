"""Control endpoints of the Stream gateway and the directory (`/_sandbox/v1/stream/…`,
`/_sandbox/v1/directory/<change>`): plain JSON, never counted or faulted."""

from __future__ import annotations

import json
from typing import Any

from flask import jsonify, redirect, request, url_for

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.v1.stream import directory
from dashboard.sandbox.v1.stream.gateway import client_of_corp, gateway, push_suite_ticket
from dashboard.sandbox.v1.stream.views import bp

PREFIX = "/_sandbox/v1/stream"


#: Form fields that hold lists (comma or space separated on the page).
LIST_FIELDS = ("deptIds", "add", "remove")


def _is_form() -> bool:
    return not request.is_json and bool(request.form)


def _body() -> dict[str, Any]:
    """The JSON body, or the page's form with lists split and `data` decoded."""
    if not _is_form():
        body = request.get_json(silent=True)
        return body if isinstance(body, dict) else {}
    body: dict[str, Any] = {k: v.strip() for k, v in request.form.items() if v.strip()}
    for name in LIST_FIELDS:
        if name in body:
            body[name] = body[name].replace(",", " ").replace("，", " ").split()
    if "data" in body:
        try:
            body["data"] = json.loads(body["data"])
        except ValueError:
            body["data"] = None  # refused below with a message
    return body


def _reply(payload: dict[str, Any], done: str):
    """JSON for tests; back to the page with what happened for a form."""
    if _is_form():
        return redirect(url_for(".stream_page", done=done))
    return jsonify(payload)


def _refuse(message: str, status: int = 400):
    if _is_form():
        return redirect(url_for(".stream_page", error=message))
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
        body = _body()
        if _is_form():  # the page sends one setting: name + value
            body = {body.get("name", ""): body.get("value", "")}
        try:
            gw.settings = gw.settings.updated(body)
        except KeyError as exc:
            return _refuse(f"unknown setting: {exc.args[0]}")
        except (TypeError, ValueError) as exc:
            return _refuse(str(exc))
        return _reply(gw.as_dict()["settings"], "已保存 / saved")


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
        return _reply(message.as_dict(), f"已推送 / pushed {event_type} {message.event_id}")


@bp.post(PREFIX + "/callbacks")
def stream_callback():
    """Push any CALLBACK (a robot message on /v1.0/im/bot/messages/get, ...): {topic, data,
    clientId?}; never re-sent (§7.6)."""
    body = _body()
    topic = body.get("topic")
    data = body.get("data", {})
    if not isinstance(topic, str) or not topic.startswith("/") or not isinstance(data, dict):
        return _refuse("topic (a path) and data (an object) are required")
    state = get_state()
    with state.lock:
        gw = gateway(state)
        client = str(body.get("clientId") or state.settings.app_key)
        message = gw.push_callback(client, topic, data, state.clock.now())
        return _reply(message.as_dict(), f"已推送 / pushed {topic}")


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
        return _reply({"dropped": [c.id for c in targets]}, f"已断开 / dropped {len(targets)}")


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
        done = f"已发送 disconnect / sent disconnect to {len(targets)}"
        return _reply({"disconnected": [c.id for c in targets]}, done)


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
        return _reply({"pinged": [c.id for c in targets]}, f"已 ping / pinged {len(targets)}")


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
        return _reply(
            message.as_dict(), f"已推送 / pushed suite_ticket {message.data['suiteTicket']}"
        )


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
            result = handler(state, gateway(state), _body(), state.clock.now())
        except directory.DirectoryError as exc:
            return _refuse(str(exc))
    events = result.get("events") or [result["event"]]
    done = "已完成 / done: " + ", ".join(e["eventType"] for e in events)
    return _reply(result, done)
