"""Validation of the `msg` object shared by work notices and chat messages (§2.1, §6.3).

Checks what the reference states: one of the eight msgtypes with its
sub-object, the fields each type needs, the hard field limits from the SDK
comments, and the 2048-byte cap on the compact UTF-8 JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

from dashboard.sandbox.errors import MESSAGE_TOO_LONG, OapiError, invalid_param

MSGTYPES = ("text", "image", "voice", "file", "link", "oa", "markdown", "action_card")

REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("content",),
    "image": ("media_id",),
    "voice": ("media_id", "duration"),
    "file": ("media_id",),
    "link": ("messageUrl", "picUrl", "title", "text"),
    "oa": ("message_url", "head", "body"),
    "markdown": ("title", "text"),
    "action_card": ("title", "markdown"),
}

# Required fields that are not strings: oa's head/body objects; voice's duration is a
# string on the wire (§2.1) but SDKs that parse JSON-looking strings send a number.
NON_STRING_FIELDS = frozenset(("head", "body", "duration"))

_ARGB = re.compile(r"^[0-9A-Fa-f]{8}$")


def msg_size(msg: dict[str, Any]) -> int:
    """UTF-8 bytes of the compact JSON of `msg` (the 2048-byte rule)."""
    text = json.dumps(msg, ensure_ascii=False, separators=(",", ":"))
    return len(text.encode("utf-8"))


def validate_msg(msg: dict[str, Any], max_bytes: int) -> None:
    """Raise OapiError (40035 shape, 45002 size) when `msg` would be refused."""
    msgtype = msg.get("msgtype")
    if msgtype not in MSGTYPES:
        raise invalid_param(f"msgtype {msgtype!r} is not one of {', '.join(MSGTYPES)}")
    body = msg.get(msgtype)
    if not isinstance(body, dict):
        raise invalid_param(f"msg.{msgtype} is missing")
    for name in REQUIRED_FIELDS[msgtype]:
        value = body.get(name)
        if value is None or value == "" or value == {}:
            raise invalid_param(f"msg.{msgtype}.{name} is missing")
        if name not in NON_STRING_FIELDS and not isinstance(value, str):
            raise invalid_param(f"msg.{msgtype}.{name} must be a string")
    _CHECKS[msgtype](body)
    if msg_size(msg) > max_bytes:
        raise OapiError(MESSAGE_TOO_LONG, f"消息内容超过限制: msg 超过 {max_bytes} 字节")


def _check_none(body: dict[str, Any]) -> None:
    return None


def _check_voice(body: dict[str, Any]) -> None:
    duration = str(body["duration"]).strip()
    if not duration.isdigit() or not 1 <= int(duration) <= 60:
        raise invalid_param("msg.voice.duration must be a positive integer of at most 60")


def _check_oa(body: dict[str, Any]) -> None:
    head = body["head"]
    if not isinstance(head, dict) or not isinstance(body["body"], dict):
        raise invalid_param("msg.oa.head and msg.oa.body must be objects")
    bgcolor = head.get("bgcolor")
    if bgcolor is not None and not _ARGB.match(str(bgcolor)):
        raise invalid_param("msg.oa.head.bgcolor must be 8 hex characters (ARGB, no 0x)")
    status_bar = body.get("status_bar")
    if status_bar is not None and not isinstance(status_bar, dict):
        raise invalid_param("msg.oa.status_bar must be an object")


def _check_action_card(body: dict[str, Any]) -> None:
    if len(str(body["title"])) > 64:
        raise invalid_param("msg.action_card.title is longer than 64 characters")
    single = body.get("single_title") or body.get("single_url")
    buttons = body.get("btn_json_list")
    if single and buttons:
        raise invalid_param("msg.action_card uses either single_title/single_url or btn_json_list")
    if single:
        if not body.get("single_title") or not body.get("single_url"):
            raise invalid_param("msg.action_card needs both single_title and single_url")
        _check_button(str(body["single_title"]), str(body["single_url"]))
        return
    if not isinstance(buttons, list) or not buttons:
        raise invalid_param("msg.action_card needs single_title/single_url or btn_json_list")
    orientation = body.get("btn_orientation")
    if orientation is not None and str(orientation) not in ("0", "1"):
        raise invalid_param("msg.action_card.btn_orientation must be '0' or '1'")
    for button in buttons:
        if not isinstance(button, dict) or not button.get("title") or not button.get("action_url"):
            raise invalid_param("each btn_json_list item needs title and action_url")
        _check_button(str(button["title"]), str(button["action_url"]))


def _check_button(title: str, url: str) -> None:
    if len(title) > 20:
        raise invalid_param("action_card button titles are at most 20 characters")
    if len(url) > 500:
        raise invalid_param("action_card URLs are at most 500 characters")


_CHECKS = {
    "text": _check_none,
    "image": _check_none,
    "voice": _check_voice,
    "file": _check_none,
    "link": _check_none,
    "oa": _check_oa,
    "markdown": _check_none,
    "action_card": _check_action_card,
}
