"""The channels of a Send: how its batches go out, and how their results come back.

``work_notice`` (asyncsend_v2, the default) lives in ``sending`` and ``results``; the
other channels (``robot``: the app's robot 1:1 and in groups, ``card``: interactive
cards) are implemented in their own packages and looked up here by name, so the
same history, progress, cancel/pause, attempts, recall and templates serve them.

A channel module exposes a ``CHANNEL`` (:class:`Channel`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WORK_NOTICE, ROBOT, CARD = "work_notice", "robot", "card"
CHANNELS = (WORK_NOTICE, ROBOT, CARD)

#: Where each non-default channel is implemented (imported on first use).
_MODULES = {ROBOT: "dashboard.robot.channel", CARD: "dashboard.cards.channel"}


@dataclass(frozen=True)
class Channel:
    """One way a Send's batches reach people.

    ``user_batch()``: people per call; ``prepare(msg, userids, dept_ids, to_all)``
    validates before anything is recorded (raises ``InvalidMessage``) and returns the
    userids to plan batches for (departments expanded where the API takes only
    people); ``send_batch(task, msg)`` makes one call on record (an Attempt);
    ``refresh(send)`` fetches read states into the tasks' results; ``recall_task(task,
    attempt)`` recalls one accepted batch on record; ``reasons`` explain the codes a
    channel stores in ``forbidden_list``.
    """

    name: str
    user_batch: Callable[[], int]
    prepare: Callable[..., list[str]]
    send_batch: Callable[[Any, dict[str, Any]], None]
    refresh: Callable[[Any], None]
    recall_task: Callable[[Any, Any], None]
    client: Callable[[str | None], Any]
    reasons: dict[str, Callable[[], str]] = field(default_factory=dict)


def get_channel(name: str | None) -> Channel | None:
    """The channel called ``name``; None for work notices (the pipeline's own code)."""
    if not name or name == WORK_NOTICE:
        return None
    if name not in _MODULES:
        raise KeyError(f"unknown channel {name!r}")
    return importlib.import_module(_MODULES[name]).CHANNEL


def channel_reason(code: Any) -> str | None:
    """A non-default channel's explanation of a ``forbidden_list`` code, if one has it."""
    for name in _MODULES:
        reason = get_channel(name).reasons.get(str(code))
        if reason is not None:
            return reason()
    return None
