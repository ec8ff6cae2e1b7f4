"""What the v1.0 host remembers beside the oapi state: robot messages, cards, callbacks.

It lives in the Flask app's extensions and starts over whenever the main state is
reset (like the ISV state: it notices that `SandboxState.calls` is a new object).
Everything is read and changed under `SandboxState.lock`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from dashboard.sandbox.demo import ROBOT_GROUP_DEPTS
from dashboard.sandbox.state import SandboxState, department_chat_id, read_at

_KEYS = itertools.count(1)


@dataclass
class RobotMessage:
    """A robot message (1:1 batch or group) or a card delivered to an IM space."""

    key: str  # processQueryKey
    kind: str  # "oto" or "group"
    robot_code: str
    app_id: str
    sent_at: float
    recipients: list[str]
    msg_key: str
    msg_param: dict[str, Any]
    open_conversation_id: str = ""
    recalled_at: float | None = None
    reads: dict[str, float] = field(default_factory=dict)  # pressed "read" on the sandbox page
    seq: int = 0

    def read_time(self, userid: str, settings: Any) -> float | None:
        """When `userid` reads it: a press on the page, else the deterministic simulation."""
        if userid in self.reads:
            return self.reads[userid]
        return read_at(
            f"robot:{self.seq}:{userid}",
            self.sent_at + settings.robot_processing_seconds,
            settings.robot_read_ratio,
            settings.robot_read_spread,
        )


@dataclass
class CardCallbackRoute:
    """A registered HTTP callback route (§6.4)."""

    route_key: str
    url: str
    api_secret: str


@dataclass
class CardPress:
    """One button press made on the sandbox page and how the callback went."""

    out_track_id: str
    user_id: str
    action: str
    pressed_at: float
    delivery: str  # "http", "stream" or "none"
    url: str = ""
    status: int | None = None
    error: str = ""
    response: Any = None
    request_body: dict[str, Any] = field(default_factory=dict)


@dataclass
class Card:
    """An interactive card instance and the spaces it was delivered to."""

    out_track_id: str
    app_id: str
    template_id: str
    card_data: dict[str, str]
    private_data: dict[str, dict[str, str]]
    callback_type: str
    callback_route_key: str
    user_id_type: int
    created_at: float
    spaces: list[dict[str, Any]] = field(default_factory=list)  # deliverResults
    recipients: list[str] = field(default_factory=list)  # userIds who see it
    updates: int = 0
    presses: list[CardPress] = field(default_factory=list)


@dataclass
class V1State:
    """Robot messages, robot group membership, cards, callback routes, counters."""

    marker: object = None
    messages: dict[str, RobotMessage] = field(default_factory=dict)
    robot_groups: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    cards: dict[str, Card] = field(default_factory=dict)
    routes: dict[tuple[str, str], CardCallbackRoute] = field(default_factory=dict)
    codes: Counter = field(default_factory=Counter)
    penalties: dict[tuple[str, str], float] = field(default_factory=dict)
    windows: dict[tuple[str, str], deque] = field(default_factory=lambda: defaultdict(deque))
    monthly: Counter = field(default_factory=Counter)
    user_sends: dict[str, deque] = field(default_factory=lambda: defaultdict(deque))
    robot_ready_at: dict[tuple[str, str], float] = field(default_factory=dict)  # (cid, code)
    groups_created: int = 0
    scene_uuids: dict[str, str] = field(default_factory=dict)  # uuid -> chatid (retries)
    scene_templates: dict[str, str] = field(default_factory=dict)  # cid -> template_id
    #: Called with (state, card, press) when a STREAM card is pressed (the Stream gateway).
    stream_outbox: list[dict[str, Any]] = field(default_factory=list)

    def new_key(self, seed: str) -> str:
        """A processQueryKey: 44 base64 characters (with '+', '/' and a final '=')."""
        raw = hashlib.sha256(f"{seed}:{next(_KEYS)}".encode()).digest()
        text = base64.b64encode(raw).decode("ascii")
        return f"{text[:5]}+{text[6:11]}/{text[12:]}"

    def robot_in_group(self, cid: str, robot_code: str, now: float) -> bool:
        """The robot is a member and its install (asynchronous for scene groups) is done."""
        if robot_code not in self.robot_groups.get(cid, ()):
            return False
        return self.robot_ready_at.get((cid, robot_code), 0.0) <= now

    def add_message(self, message: RobotMessage) -> RobotMessage:
        message.seq = len(self.messages) + 1
        self.messages[message.key] = message
        return message


_GUARD = threading.Lock()


def v1_state(state: SandboxState) -> V1State:
    """This app's v1.0 state, started over (and re-seeded) when the main state was reset."""
    with _GUARD:
        current = current_app.extensions.get("sandbox_v1")
        if current is None or current.marker is not state.calls:
            current = V1State(marker=state.calls)
            seed_robot_groups(state, current)
            current_app.extensions["sandbox_v1"] = current
        return current


def robot_codes(state: SandboxState, app_id: str | None) -> set[str]:
    """The robotCodes an app's token may use: the internal app's AppKey (§0.2).

    An ISV company's token uses the suite's robot, whose code is the SuiteKey here.
    """
    settings = state.settings
    if app_id in (settings.app_key, settings.corp_id):
        return {settings.app_key}
    suite = current_app.extensions.get("sandbox_isv")
    suite_key = suite.settings.suite_key if suite is not None else "suitesandboxkey"
    return {suite_key}


def seed_robot_groups(state: SandboxState, v1: V1State) -> None:
    """The robots of the internal app and of the ISV suite (its SuiteKey) are members of
    the groups of the demo departments `ROBOT_GROUP_DEPTS`."""
    from dashboard.sandbox.isv import DEFAULT_SUITE_KEY

    for dept_id in ROBOT_GROUP_DEPTS:
        chat = state.chats.get(department_chat_id(dept_id))
        if chat is not None:
            v1.robot_groups[chat.open_conversation_id].update(
                (state.settings.app_key, DEFAULT_SUITE_KEY)
            )
