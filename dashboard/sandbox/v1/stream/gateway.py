"""The Stream gateway's state and protocol (shared/dingtalk-v1.md §7).

A `Gateway` lives in the Flask app's extensions and starts over whenever the main
state is reset (it notices that `SandboxState.calls` is a new object, like the v1.0
state). Everything is read and changed under `SandboxState.lock`; the WebSocket threads
(`views.serve`) only send what `outgoing` hands them.

Delivery: each EVENT / CALLBACK is a `StreamMessage` queued for a clientId (AppKey or
SuiteKey); when due it is given to ONE open connection of that client whose
subscriptions match (chosen at random, §7.6), sent with a fresh `messageId`, and kept
until an ACK with code 200 arrives. An EVENT left unacknowledged for
`redeliver_delay` seconds (sandbox clock), acked with code != 200 or
`data.status == "LATER"`, or outstanding on a connection that closed, is sent again
(with a new messageId when `redeliver_new_message_id`, always the same eventId).
CALLBACKs (card presses) are never re-sent.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import os
import random
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from dashboard.sandbox.state import SandboxState

CARD_TOPIC = "/v1.0/card/instances/callback"


@dataclass
class StreamSettings:
    """Knobs of the gateway (``POST /_sandbox/v1/stream/config``); the (unverified)
    items of the reference are here."""

    ticket_ttl: float = 90.0  # §7.1: a ticket is valid 90 s and for one connection
    #: Reply to bad credentials on connections/open (§7.1, unverified).
    bad_credentials_status: int = 400
    bad_credentials_code: str = "invalidClientIdOrSecret"
    #: HTTP status of the handshake with an unknown, used or expired ticket (unverified).
    bad_ticket_status: int = 401
    #: §7.1 (stream-node): a connections/open without `Accept: application/json` gets XML.
    xml_without_accept: bool = True
    #: Endpoint handed out; empty: ws://<the request's host>/connect.
    endpoint: str = ""
    ping_interval: float = 30.0  # SYSTEM ping every N s (sandbox clock); 0: never
    disconnect_close_delay: float = 10.0  # §7.5: TCP dropped 10 s after `disconnect`
    redeliver_delay: float = 60.0  # unacked EVENT re-sent after N s (stream-node: ~60 s)
    later_delay: float = 5.0  # after an ack with code != 200 or status LATER
    redeliver_new_message_id: bool = True  # a redelivery carries a new messageId
    max_deliveries: int = 100  # per event (suite_ticket: re-pushed up to 100 times)
    callback_wait: float = 60.0  # a CALLBACK waits N s for a connection, then is dropped
    pick: str = "random"  # several connections: "random" or "newest"
    event_topic: str = "*"  # headers.topic of EVENT frames (unverified: "*" or "dingTalk")
    #: Data key spellings of contact / department / group events (§7.7, unverified).
    user_key: str = "userId"  # or "UserId"
    dept_key: str = "deptId"  # or "DeptId"
    timestamp_key: str = "timeStamp"  # or "timestamp"
    timestamp_as_string: bool = True  # user_add_org's example has "timeStamp":"1685…"
    #: ISV suites (§7.9, unverified): eventType and data of the ticket and authorisations.
    suite_ticket_event: str = "suite_ticket"
    suite_ticket_on_connect: bool = True
    suite_ticket_interval: float = 5 * 3600.0
    auth_event: str = "org_suite_auth"
    deauth_event: str = "org_suite_relieve"
    #: The demo company is also ISV company A: its changes reach the suite too.
    demo_corp_to_suite: bool = True

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> StreamSettings:
        """Defaults overlaid with SANDBOX_STREAM_<FIELD> variables (the demo's knobs)."""
        env = os.environ if environ is None else environ
        names = [f.name for f in dataclasses.fields(cls)]
        values = {n: env[v] for n in names if (v := f"SANDBOX_STREAM_{n.upper()}") in env}
        return cls().updated(values)

    def updated(self, values: Mapping[str, Any]) -> StreamSettings:
        """A copy with `values` coerced to each field's type; KeyError for an unknown
        name, ValueError for a bad value."""
        from dashboard.sandbox.settings import coerce_value

        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise KeyError(", ".join(unknown))
        coerced = {k: coerce_value(getattr(self, k), v) for k, v in values.items()}
        if coerced.get("pick", self.pick) not in ("random", "newest"):
            raise ValueError("pick must be random or newest")
        return dataclasses.replace(self, **coerced)


@dataclass
class Ticket:
    ticket: str
    client_id: str
    subscriptions: list[dict[str, str]]
    issued_at: float
    used: bool = False


@dataclass
class Connection:
    """One open (or closed) WebSocket."""

    id: str
    client_id: str
    subscriptions: list[dict[str, str]]
    opened_at: float
    closed_at: float | None = None
    close_reason: str = ""
    #: what the server thread must do next: ("close", code, reason) / ("abort",)
    action: tuple | None = None
    close_at: float | None = None  # after `disconnect`
    next_ping_at: float = 0.0
    pings: list[dict[str, Any]] = field(default_factory=list)
    system_out: list[dict[str, Any]] = field(default_factory=list)  # SYSTEM frames to send
    frames_in: int = 0
    bad_frames: int = 0

    @property
    def open(self) -> bool:
        return self.closed_at is None

    def wants(self, message: StreamMessage) -> bool:
        for sub in self.subscriptions:
            if message.type == "EVENT" and sub.get("type") == "EVENT":
                return True
            if (
                message.type == "CALLBACK"
                and sub.get("type") == "CALLBACK"
                and sub.get("topic") == message.topic
            ):
                return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {
            "connectionId": self.id,
            "clientId": self.client_id,
            "subscriptions": self.subscriptions,
            "openedAt": self.opened_at,
            "closedAt": self.closed_at,
            "closeReason": self.close_reason,
            "open": self.open,
            "pings": self.pings,
            "framesIn": self.frames_in,
            "badFrames": self.bad_frames,
        }


@dataclass
class StreamMessage:
    """An EVENT or CALLBACK for a clientId and every attempt to deliver it."""

    seq: int
    type: str
    topic: str
    client_id: str
    data: dict[str, Any]
    created_at: float
    event_type: str = ""
    event_id: str = ""
    corp_id: str = ""
    born_at: int = 0  # ms
    status: str = "queued"  # queued, assigned, sent, acked, dropped
    due_at: float = 0.0
    connection_id: str = ""
    message_id: str = ""
    sent_at: float = 0.0
    deliveries: list[dict[str, Any]] = field(default_factory=list)
    card: tuple[str, int] | None = None  # (outTrackId, press index) of a card press
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "type": self.type,
            "topic": self.topic,
            "clientId": self.client_id,
            "eventType": self.event_type,
            "eventId": self.event_id,
            "eventCorpId": self.corp_id,
            "data": self.data,
            "status": self.status,
            #: acknowledged with code 200 at least once (a later duplicate may be out again)
            "acked": any(d["ack"] and d["ack"]["code"] == 200 for d in self.deliveries),
            "error": self.error,
            "messageIds": [d["messageId"] for d in self.deliveries],
            "deliveries": self.deliveries,
        }


_SEQ = itertools.count(1)
logger = logging.getLogger("dashboard.sandbox")


def new_message_id(now: float) -> str:
    """Shaped like the gateway's: 212ca9d7_974_1898c159aa6_1783b."""
    return f"{secrets.token_hex(4)}_{next(_SEQ)}_{int(now * 1000):x}_{secrets.token_hex(3)[:5]}"


class Gateway:
    """Tickets, connections and messages of the Stream gateway."""

    def __init__(self, marker: object) -> None:
        self.marker = marker
        try:
            self.settings = StreamSettings.from_env()
        except (KeyError, ValueError) as exc:
            logger.warning("ignoring SANDBOX_STREAM_* settings: %s", exc)
            self.settings = StreamSettings()
        self.tickets: dict[str, Ticket] = {}
        self.connections: dict[str, Connection] = {}
        self.messages: list[StreamMessage] = []
        self.live: list[StreamMessage] = []  # neither acked nor dropped
        self.by_message_id: dict[str, StreamMessage] = {}
        self.outbox_taken = 0
        self.rng = random.Random(7)
        self.next_suite_ticket_at: float | None = None
        self.conn_seq = itertools.count(1)
        self._state: SandboxState | None = None  # set by `gateway()`

    # Tickets and connections ---------------------------------------------------------------

    def issue_ticket(self, client_id: str, subscriptions: list[dict[str, str]], now: float):
        ticket = Ticket(secrets.token_hex(16), client_id, subscriptions, now)
        ticket.ticket = (
            "-".join(
                (ticket.ticket[:8], ticket.ticket[8:12], ticket.ticket[12:16], ticket.ticket[16:20])
            )
            + "-"
            + secrets.token_hex(6)
        )
        self.tickets[ticket.ticket] = ticket
        return ticket

    def take_ticket(self, value: str, now: float) -> Ticket | None:
        """The ticket if it is known, unused and within its lifetime; it is used up."""
        ticket = self.tickets.get(value)
        if ticket is None or ticket.used or now - ticket.issued_at > self.settings.ticket_ttl:
            return None
        ticket.used = True
        return ticket

    def open_connection(self, state: SandboxState, ticket: Ticket, now: float) -> Connection:
        conn = Connection(
            f"conn-{next(self.conn_seq)}-{secrets.token_hex(4)}",
            ticket.client_id,
            ticket.subscriptions,
            now,
        )
        interval = self.settings.ping_interval
        conn.next_ping_at = now + interval if interval > 0 else float("inf")
        self.connections[conn.id] = conn
        if ticket.client_id == suite_key(state) and self.settings.suite_ticket_on_connect:
            push_suite_ticket(state, self, now)
        return conn

    def closed(self, conn: Connection, now: float, reason: str) -> None:
        """The socket is gone: outstanding EVENTs go back to the queue, CALLBACKs drop."""
        if conn.closed_at is None:
            conn.closed_at = now
            conn.close_reason = reason
        for message in self.live:
            if message.connection_id != conn.id or message.status not in ("assigned", "sent"):
                continue
            if message.type == "EVENT":
                message.status, message.due_at, message.connection_id = "queued", now, ""
            else:
                message.status = "dropped"
                message.error = "connection closed before the ack"
                self._card_outcome(message, None)

    def open_connections(self, client_id: str | None = None) -> list[Connection]:
        return [
            c
            for c in self.connections.values()
            if c.open
            and c.action is None
            and c.close_at is None
            and (client_id is None or c.client_id == client_id)
        ]

    # Queueing ------------------------------------------------------------------------------

    def push_event(
        self,
        client_id: str,
        event_type: str,
        data: dict[str, Any],
        corp_id: str,
        now: float,
    ) -> StreamMessage:
        message = StreamMessage(
            len(self.messages) + 1,
            "EVENT",
            self.settings.event_topic,
            client_id,
            data,
            now,
            event_type=event_type,
            event_id=secrets.token_hex(16),
            corp_id=corp_id,
            born_at=int(now * 1000),
            due_at=now,
        )
        return self._add(message)

    def push_callback(self, client_id: str, topic: str, data: dict[str, Any], now: float):
        message = StreamMessage(len(self.messages) + 1, "CALLBACK", topic, client_id, data, now)
        message.due_at = now
        return self._add(message)

    def _add(self, message: StreamMessage) -> StreamMessage:
        self.messages.append(message)
        self.live.append(message)
        return message

    def redeliver(self, event_id: str, now: float) -> StreamMessage | None:
        """Send an event again (a duplicate, even after its ack: §7.6)."""
        for message in self.messages:
            if message.event_id == event_id:
                if message.status in ("acked", "dropped"):
                    self.live.append(message)
                message.status, message.due_at, message.connection_id = "queued", now, ""
                message.error = ""
                return message
        return None

    def _drain_outbox(self, state: SandboxState, now: float) -> None:
        """Card presses queued by cards.py for STREAM cards become CALLBACK messages."""
        from dashboard.sandbox.v1.state import v1_state

        outbox = v1_state(state).stream_outbox
        for item in outbox[self.outbox_taken :]:
            client = client_of_app(state, item.get("appId", ""))
            message = self.push_callback(client, item.get("topic", CARD_TOPIC), item["data"], now)
            if "pressIndex" in item:
                message.card = (item["data"].get("outTrackId", ""), item["pressIndex"])
        self.outbox_taken = len(outbox)

    def schedule(self, state: SandboxState, now: float) -> None:
        """Take new card presses, re-queue what is overdue, give due messages a connection."""
        self._drain_outbox(state, now)
        settings = self.settings
        due = self.next_suite_ticket_at
        if due is not None and now >= due and self.open_connections(suite_key(state)):
            push_suite_ticket(state, self, now)
        for message in self.live:
            unacked = message.status == "sent" and message.type == "EVENT"
            if unacked and now >= message.sent_at + settings.redeliver_delay:
                message.status, message.due_at, message.connection_id = "queued", now, ""
            late = message.status == "sent" and message.type == "CALLBACK" and message.card
            if late and now > message.sent_at + state.settings.card_callback_timeout:
                # §6.4: a card callback is answered within 2 s, or the press fails
                message.status, message.error = "dropped", "no ack within the callback timeout"
                self._card_outcome(message, None)
            if message.status != "queued" or message.due_at > now:
                continue
            if message.type == "EVENT" and 0 < settings.max_deliveries <= len(message.deliveries):
                message.status, message.error = "dropped", "too many deliveries"
                continue
            candidates = [c for c in self.open_connections(message.client_id) if c.wants(message)]
            if not candidates:
                if message.type == "CALLBACK" and now - message.created_at > settings.callback_wait:
                    message.status, message.error = "dropped", "no connection subscribed"
                    self._card_outcome(message, None)
                continue
            if settings.pick == "newest":
                chosen = max(candidates, key=lambda c: c.opened_at)
            else:
                chosen = self.rng.choice(candidates)
            message.status, message.connection_id = "assigned", chosen.id
        self.live = [m for m in self.live if m.status not in ("acked", "dropped")]

    # What a connection's thread sends --------------------------------------------------------

    def outgoing(self, state: SandboxState, conn: Connection, now: float) -> list[dict]:
        """Frames to send on `conn` now (SYSTEM first); messages become `sent`."""
        self.schedule(state, now)
        frames = list(conn.system_out)
        conn.system_out.clear()
        if now >= conn.next_ping_at and conn.close_at is None:
            frames.append(self.ping_frame(conn, now))
        for message in self.live:
            if message.status == "assigned" and message.connection_id == conn.id:
                frames.append(self._frame(state, conn, message, now))
        return frames

    def ping_frame(self, conn: Connection, now: float) -> dict[str, Any]:
        interval = self.settings.ping_interval
        conn.next_ping_at = now + interval if interval > 0 else float("inf")
        opaque = secrets.token_hex(8)
        message_id = new_message_id(now)
        conn.pings.append({"messageId": message_id, "opaque": opaque, "sentAt": now, "ack": None})
        return {
            "specVersion": "1.0",
            "type": "SYSTEM",
            "headers": {
                "contentType": "application/json",
                "messageId": message_id,
                "time": str(int(now * 1000)),
                "topic": "ping",
            },
            "data": json.dumps({"opaque": opaque}),
        }

    def disconnect(self, conn: Connection, reason: str, now: float) -> None:
        """§7.5: a SYSTEM disconnect (no messageId), the socket closed N s later."""
        conn.system_out.append(
            {
                "specVersion": "1.0",
                "type": "SYSTEM",
                "headers": {
                    "contentType": "application/json",
                    "time": str(int(now * 1000)),
                    "topic": "disconnect",
                },
                "data": json.dumps({"reason": reason}),
            }
        )
        conn.close_at = now + self.settings.disconnect_close_delay

    def _frame(
        self, state: SandboxState, conn: Connection, message: StreamMessage, now: float
    ) -> dict[str, Any]:
        if not message.message_id or self.settings.redeliver_new_message_id:
            message.message_id = new_message_id(now)
        message.status, message.sent_at = "sent", now
        message.deliveries.append(
            {"messageId": message.message_id, "connectionId": conn.id, "sentAt": now, "ack": None}
        )
        self.by_message_id[message.message_id] = message
        headers = {
            "appId": app_uuid(message.client_id),
            "connectionId": conn.id,
            "contentType": "application/json",
            "messageId": message.message_id,
            "time": str(int(now * 1000)),
            "topic": message.topic,
        }
        if message.type == "EVENT":
            headers.update(
                eventType=message.event_type,
                eventId=message.event_id,
                eventCorpId=message.corp_id,
                eventBornTime=str(message.born_at),
                eventUnifiedAppId=app_uuid(message.client_id),
            )
        return {
            "specVersion": "1.0",
            "type": message.type,
            "headers": headers,
            "data": json.dumps(message.data, ensure_ascii=False),
        }

    # What a connection's thread received ------------------------------------------------------

    def on_frame(self, state: SandboxState, conn: Connection, raw: str | bytes, now: float):
        """An ACK (§7.4): code 200 settles the message whatever `data` holds."""
        conn.frames_in += 1
        try:
            frame = json.loads(raw)
            message_id = frame["headers"].get("messageId", "")
            code = int(frame.get("code", 0))
        except (ValueError, TypeError, KeyError, AttributeError):
            conn.bad_frames += 1
            return
        data_text = frame.get("data")
        try:
            data = json.loads(data_text) if isinstance(data_text, str) and data_text else None
        except ValueError:
            data = None
        ack = {"code": code, "message": frame.get("message"), "data": data, "at": now}
        for ping in conn.pings:
            if ping["messageId"] == message_id:
                ping["ack"] = ack
                ping["echoed"] = isinstance(data, dict) and data.get("opaque") == ping["opaque"]
                return
        message = self.by_message_id.get(message_id)
        if message is not None:
            delivery = next(d for d in reversed(message.deliveries) if d["messageId"] == message_id)
            delivery["ack"] = ack
            if message.status in ("acked", "dropped"):
                return  # a late or repeated ack
            later = isinstance(data, dict) and data.get("status") == "LATER"
            if code == 200 and not later:
                message.status = "acked"
                if message.card:
                    response = data.get("response") if isinstance(data, dict) else None
                    self._card_outcome(message, response, status=200)
            elif message.type == "EVENT":
                message.status = "queued"
                message.due_at = now + self.settings.later_delay
                message.connection_id = ""
            else:
                message.status, message.error = "dropped", f"ack code {code}"
                self._card_outcome(message, None, status=code)
            return
        conn.bad_frames += 1  # an ack for nothing we sent

    def _card_outcome(self, message: StreamMessage, response: Any, status: int | None = None):
        """Record the press's outcome and apply the reply to the card (§6.4)."""
        if not message.card:
            return
        from dashboard.sandbox.v1.cards import apply_callback_reply
        from dashboard.sandbox.v1.state import v1_state

        out_track_id, index = message.card
        card = v1_state(self._state).cards.get(out_track_id)
        if card is None or index >= len(card.presses):
            return
        press = card.presses[index]
        press.status = status
        press.response = response
        if status is None:
            press.error = message.error
        elif status == 200 and isinstance(response, dict):
            apply_callback_reply(card, press.user_id, response)

    def as_dict(self) -> dict[str, Any]:
        return {
            "settings": dataclasses.asdict(self.settings),
            "connections": [c.as_dict() for c in self.connections.values()],
            "messages": [m.as_dict() for m in self.messages],
        }


_GUARD = threading.Lock()


def gateway(state: SandboxState) -> Gateway:
    """This app's gateway, started over when the main state was reset (open sockets of
    the old one are closed by their threads, which notice the change)."""
    with _GUARD:
        current = current_app.extensions.get("sandbox_stream")
        if current is None or current.marker is not state.calls:
            current = Gateway(state.calls)
            current_app.extensions["sandbox_stream"] = current
        current._state = state
        return current


def suite_key(state: SandboxState) -> str:
    from dashboard.sandbox.isv import isv_state

    return isv_state(state).settings.suite_key


def client_of_app(state: SandboxState, app_id: str) -> str:
    """The clientId that receives what concerns a token's app id: the AppKey for the
    internal app, the SuiteKey for an ISV company."""
    settings = state.settings
    if app_id in (settings.app_key, settings.corp_id, ""):
        return settings.app_key
    return suite_key(state)


def client_of_corp(state: SandboxState, corp_id: str) -> str:
    return client_of_app(state, corp_id)


def app_uuid(client_id: str) -> str:
    """headers.appId: a stable uuid-shaped id of the app."""
    import hashlib

    h = hashlib.sha256(client_id.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def push_suite_ticket(
    state: SandboxState, gw: Gateway, now: float, ticket: str | None = None
) -> StreamMessage:
    """A new suite ticket (the old one stops working) pushed to the suite's connections."""
    from dashboard.sandbox.isv import isv_state

    isv = isv_state(state)
    isv.current_ticket = ticket or "ticket-" + secrets.token_hex(8)
    gw.next_suite_ticket_at = now + gw.settings.suite_ticket_interval
    data = {"suiteTicket": isv.current_ticket, "syncAction": gw.settings.suite_ticket_event}
    key = isv.settings.suite_key
    return gw.push_event(key, gw.settings.suite_ticket_event, data, key, now)
