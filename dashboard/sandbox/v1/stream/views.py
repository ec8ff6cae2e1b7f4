"""`POST /v1.0/gateway/connections/open` and the WebSocket `GET /connect?ticket=…` (§7.1–7.5)."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from typing import Any

from flask import Blueprint, Response, g, request
from markupsafe import escape
from simple_websocket import ConnectionClosed, Server

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.v1.errors import V1Error, bad_request
from dashboard.sandbox.v1.routing import V1Call, v1_route
from dashboard.sandbox.v1.stream.gateway import Connection, Gateway, gateway, suite_key

logger = logging.getLogger("dashboard.sandbox")

bp = Blueprint("sandbox_v1_stream", __name__)

#: The WebSocket endpoint bypasses both the oapi and the v1.0 pipelines.
PAGE_PREFIXES = ("/connect",)

#: How often a connection's thread looks for frames to send (real seconds).
TICK = 0.05
#: How long a close waits for the client's close frame before dropping TCP (real seconds).
CLOSE_WAIT = 1.0


@v1_route(bp, "/v1.0/gateway/connections/open", "POST", needs_token=False, quota_exempt=True)
def open_connection(call: V1Call) -> dict[str, Any]:
    client_id = call.string("clientId", required=True)
    client_secret = call.string("clientSecret", required=True)
    gw = gateway(call.state)
    settings = gw.settings
    if not credentials_ok(call, client_id, client_secret):
        raise V1Error(
            settings.bad_credentials_status,
            settings.bad_credentials_code,
            "无效的clientId或者clientSecret",
        )
    subscriptions = call.value("subscriptions")
    if not isinstance(subscriptions, list) or not subscriptions:
        raise bad_request("param.invalid", "subscriptions must be a non-empty array")
    subs = []
    for sub in subscriptions:
        if not isinstance(sub, dict) or sub.get("type") not in ("EVENT", "CALLBACK"):
            raise bad_request("param.invalid", "subscriptions[].type must be EVENT or CALLBACK")
        topic = sub.get("topic")
        if not isinstance(topic, str) or not topic:
            raise bad_request("param.invalid", "subscriptions[].topic is required")
        if sub["type"] == "EVENT" and topic != "*":
            raise bad_request("param.invalid", "EVENT subscriptions take topic *")
        subs.append({"type": sub["type"], "topic": topic})
    g.stream_xml = settings.xml_without_accept and "application/json" not in request.headers.get(
        "Accept", ""
    )
    ticket = gw.issue_ticket(client_id, subs, call.now)
    endpoint = settings.endpoint or f"ws://{request.host}/connect"
    return {"endpoint": endpoint, "ticket": ticket.ticket}


@bp.after_request
def xml_without_accept(response: Response) -> Response:
    """§7.1: without `Accept: application/json` the gateway answers XML (stream-node)."""
    if not g.get("stream_xml") or response.status_code != 200:
        return response
    body = json.loads(response.get_data(as_text=True))
    fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in body.items())
    xml = f'<?xml version="1.0" encoding="UTF-8"?><OpenConnectionResponse>{fields}</OpenConnectionResponse>'
    response.set_data(xml.encode())
    response.headers["Content-Type"] = "application/xml;charset=utf-8"
    return response


def credentials_ok(call: V1Call, client_id: str, client_secret: str) -> bool:
    """AppKey/AppSecret of the internal app, or SuiteKey/SuiteSecret of the ISV suite."""
    from dashboard.sandbox.isv import isv_state

    settings = call.settings
    if client_id == settings.app_key:
        return client_secret == settings.app_secret
    suite = isv_state(call.state).settings
    return client_id == suite.suite_key and client_secret == suite.suite_secret


@bp.route("/connect", websocket=True)  # werkzeug matches the Upgrade
def connect():
    """The ticket is checked before the WebSocket handshake (§7.2)."""
    state = get_state()
    with state.lock:
        gw = gateway(state)
        now = state.clock.now()
        ticket = gw.take_ticket(request.args.get("ticket", ""), now)
        status = gw.settings.bad_ticket_status
        if ticket is not None:
            if request.headers.get("Upgrade", "").lower() != "websocket":
                ticket.used = False
                return Response("websocket upgrade required", 426)
            conn = gw.open_connection(state, ticket, now)
    if ticket is None:
        return Response("invalid ticket", status, content_type="text/plain")
    try:
        ws = Server(request.environ)
    except Exception:  # a failed handshake
        with state.lock:
            gw.closed(conn, state.clock.now(), "handshake failed")
        return Response("bad handshake", 400)
    reason = serve(state, gw, conn, ws)
    if ws.connected:
        _close(ws, 1000, "")
    else:
        _shutdown(ws)
    with state.lock:
        gw.closed(conn, state.clock.now(), reason)
    return Response()  # werkzeug: the socket is already done with (flask-sock's way)


def serve(state, gw: Gateway, conn: Connection, ws: Server) -> str:
    """Pump frames both ways until the socket closes; returns why it ended."""
    while True:
        if gw.marker is not state.calls:  # the sandbox was reset
            _close(ws, 1001, "sandbox reset")
            return "sandbox reset"
        try:
            raw = ws.receive(timeout=TICK)
        except ConnectionClosed:
            return "closed by the client"
        if raw is None and not ws.connected:
            return "closed by the client"
        with state.lock:
            now = state.clock.now()
            if raw is not None:
                gw.on_frame(state, conn, raw, now)
            frames = gw.outgoing(state, conn, now)
            action = conn.action
            if action is None and conn.close_at is not None and now >= conn.close_at:
                action = ("close", 1000, "disconnected")
        try:
            for frame in frames:
                ws.send(_dumps(frame))
        except (ConnectionClosed, OSError):
            return "closed by the client"
        if action is not None:
            if action[0] == "abort":
                _shutdown(ws)
                return "dropped by the sandbox (no close frame)"
            _close(ws, action[1], action[2])
            return f"closed by the sandbox: {action[2]}"


def _close(ws: Server, code: int, reason: str) -> None:
    """A close frame, a moment for the client's reply, then the TCP connection itself
    (werkzeug still holds the socket, so closing it alone would leave it open)."""
    with contextlib.suppress(Exception):  # already closed
        ws.close(reason=code, message=reason)
    ws.thread.join(timeout=CLOSE_WAIT)
    _shutdown(ws)


def _shutdown(ws: Server) -> None:
    with contextlib.suppress(OSError):
        ws.sock.shutdown(socket.SHUT_RDWR)
    ws.connected = False


def _dumps(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False)


__all__ = ["bp", "PAGE_PREFIXES", "suite_key"]
