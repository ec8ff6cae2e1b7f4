"""Builders and validation for DingTalk ``msg`` objects (work notices and chat/send).

Limits come from §2.1 of the reference (Java SDK comments): the whole msg is at
most 2048 bytes of compact UTF-8 JSON; lengths are counted in characters.
Validation raises ``InvalidMessage`` naming the offending field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import InvalidMessage

MAX_MSG_BYTES = 2048
MSG_TYPES = ("text", "image", "voice", "file", "link", "oa", "markdown", "action_card")

LINK_TITLE_MAX = 100
LINK_TEXT_MAX = 500
OA_HEAD_TEXT_MAX = 10
OA_FORM_MAX = 6
MARKDOWN_TEXT_MAX = 500
CARD_TITLE_MAX = 64
CARD_MARKDOWN_MAX = 1000
CARD_BUTTON_TITLE_MAX = 20
CARD_URL_MAX = 500  # every URL in a msg (action cards, link, OA)
VOICE_DURATION_MAX = 59

_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")

Msg = dict[str, Any]


def msg_size(msg: Mapping[str, Any]) -> int:
    """UTF-8 byte length of ``msg`` as compact JSON (what the 2048-byte limit measures)."""
    return len(json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def build_msg(msgtype: str, **fields: Any) -> Msg:
    """Build ``{"msgtype": msgtype, msgtype: fields}`` and validate it."""
    msg = {"msgtype": msgtype, msgtype: {k: v for k, v in fields.items() if v is not None}}
    validate_msg(msg)
    return msg


def text(content: str) -> Msg:
    """A text message."""
    return build_msg("text", content=content)


def image(media_id: str) -> Msg:
    """An image message (``media_id`` from the media upload API)."""
    return build_msg("image", media_id=media_id)


def voice(media_id: str, duration: int | str) -> Msg:
    """A voice message; ``duration`` in seconds (1-59), sent as a string."""
    return build_msg("voice", media_id=media_id, duration=str(duration))


def file(media_id: str) -> Msg:
    """A file message."""
    return build_msg("file", media_id=media_id)


def link(message_url: str, pic_url: str, title: str, text: str) -> Msg:
    """A link card (``messageUrl``/``picUrl`` on the wire)."""
    return build_msg("link", messageUrl=message_url, picUrl=pic_url, title=title, text=text)


def markdown(title: str, text: str) -> Msg:
    """A markdown message; ``title`` is the preview text."""
    return build_msg("markdown", title=title, text=text)


def oa(
    message_url: str,
    head: Mapping[str, str],
    body: Mapping[str, Any],
    *,
    pc_message_url: str | None = None,
    status_bar: Mapping[str, str] | None = None,
) -> Msg:
    """An OA message: ``head`` {bgcolor, text}, ``body`` {title, form, rich, content, ...}."""
    return build_msg(
        "oa",
        message_url=message_url,
        pc_message_url=pc_message_url,
        head=dict(head),
        status_bar=dict(status_bar) if status_bar is not None else None,
        body=dict(body),
    )


def action_card(title: str, markdown: str, single_title: str, single_url: str) -> Msg:
    """An action card with one button."""
    return build_msg(
        "action_card",
        title=title,
        markdown=markdown,
        single_title=single_title,
        single_url=single_url,
    )


def action_card_buttons(
    title: str,
    markdown: str,
    buttons: Sequence[tuple[str, str] | Mapping[str, str]],
    *,
    btn_orientation: str = "0",
) -> Msg:
    """An action card with several buttons, given as (title, action_url) pairs or dicts."""
    btn_json_list = [
        dict(b) if isinstance(b, Mapping) else {"title": b[0], "action_url": b[1]} for b in buttons
    ]
    return build_msg(
        "action_card",
        title=title,
        markdown=markdown,
        btn_orientation=str(btn_orientation),
        btn_json_list=btn_json_list,
    )


def wire_msg(msg: Mapping[str, Any]) -> Msg:
    """A copy of a validated ``msg`` as sent: ``voice.duration`` and
    ``action_card.btn_orientation`` are strings on the wire (Java SDK types), even
    when the caller gave numbers."""
    out = dict(msg)
    msgtype = out.get("msgtype")
    content = out.get(msgtype) if isinstance(msgtype, str) else None
    if isinstance(content, Mapping):
        content = dict(content)
        for name in _STRING_FIELDS.get(msgtype, ()):
            value = content.get(name)
            if isinstance(value, int) and not isinstance(value, bool):
                content[name] = str(value)
        out[msgtype] = content
    return out


_STRING_FIELDS = {"voice": ("duration",), "action_card": ("btn_orientation",)}


def validate_msg(msg: Any) -> None:
    """Check a msg object against the reference's shapes and limits; raise ``InvalidMessage``."""
    if not isinstance(msg, Mapping):
        raise InvalidMessage("msg", "must be an object")
    msgtype = msg.get("msgtype")
    if msgtype not in MSG_TYPES:
        raise InvalidMessage("msgtype", f"must be one of {', '.join(MSG_TYPES)}")
    content = msg.get(msgtype)
    if not isinstance(content, Mapping):
        raise InvalidMessage(msgtype, f"the {msgtype} object is required")
    _VALIDATORS[msgtype](content)
    size = msg_size(wire_msg(msg))
    if size > MAX_MSG_BYTES:
        raise InvalidMessage("msg", f"is {size} bytes, at most {MAX_MSG_BYTES} allowed")


def _require_str(obj: Mapping[str, Any], name: str, field: str, max_len: int | None = None) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidMessage(field, "is required")
    if max_len is not None and len(value) > max_len:
        raise InvalidMessage(field, f"is {len(value)} characters, at most {max_len} allowed")
    return value


def _optional_str(
    obj: Mapping[str, Any], name: str, field: str, max_len: int | None = None
) -> None:
    value = obj.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise InvalidMessage(field, "must be a string")
    if max_len is not None and len(value) > max_len:
        raise InvalidMessage(field, f"is {len(value)} characters, at most {max_len} allowed")


def _validate_text(c: Mapping[str, Any]) -> None:
    _require_str(c, "content", "text.content")


def _validate_media(kind: str) -> Any:
    def check(c: Mapping[str, Any]) -> None:
        _require_str(c, "media_id", f"{kind}.media_id")

    return check


def _validate_voice(c: Mapping[str, Any]) -> None:
    _require_str(c, "media_id", "voice.media_id")
    duration = c.get("duration")
    if duration is None:
        raise InvalidMessage("voice.duration", "is required")
    text = str(duration).strip()
    if isinstance(duration, bool) or not (text.isascii() and text.isdigit()):
        raise InvalidMessage("voice.duration", "must be a whole number of seconds")
    seconds = int(text)
    if not 1 <= seconds <= VOICE_DURATION_MAX:
        raise InvalidMessage("voice.duration", f"must be 1-{VOICE_DURATION_MAX} seconds")


def _validate_link(c: Mapping[str, Any]) -> None:
    _require_str(c, "messageUrl", "link.messageUrl", CARD_URL_MAX)
    _require_str(c, "picUrl", "link.picUrl", CARD_URL_MAX)
    _require_str(c, "title", "link.title", LINK_TITLE_MAX)
    _require_str(c, "text", "link.text", LINK_TEXT_MAX)


def _validate_oa(c: Mapping[str, Any]) -> None:
    _require_str(c, "message_url", "oa.message_url", CARD_URL_MAX)
    _optional_str(c, "pc_message_url", "oa.pc_message_url", CARD_URL_MAX)
    head = c.get("head")
    if not isinstance(head, Mapping):
        raise InvalidMessage("oa.head", "is required")
    bgcolor = _require_str(head, "bgcolor", "oa.head.bgcolor")
    if not _HEX8.fullmatch(bgcolor):
        raise InvalidMessage("oa.head.bgcolor", "must be 8 hex digits (ARGB, no 0x)")
    _require_str(head, "text", "oa.head.text", OA_HEAD_TEXT_MAX)
    status_bar = c.get("status_bar")
    if status_bar is not None and not isinstance(status_bar, Mapping):
        raise InvalidMessage("oa.status_bar", "must be an object")
    body = c.get("body")
    if not isinstance(body, Mapping):
        raise InvalidMessage("oa.body", "is required")
    form = body.get("form")
    if form is not None:
        if not isinstance(form, list) or not all(isinstance(row, Mapping) for row in form):
            raise InvalidMessage("oa.body.form", "must be a list of {key, value} objects")
        if len(form) > OA_FORM_MAX:
            raise InvalidMessage("oa.body.form", f"has {len(form)} rows, at most {OA_FORM_MAX}")
    rich = body.get("rich")
    if rich is not None and not isinstance(rich, Mapping):
        raise InvalidMessage("oa.body.rich", "must be an object")


def _validate_markdown(c: Mapping[str, Any]) -> None:
    _require_str(c, "title", "markdown.title")
    _require_str(c, "text", "markdown.text", MARKDOWN_TEXT_MAX)


def _validate_action_card(c: Mapping[str, Any]) -> None:
    _require_str(c, "title", "action_card.title", CARD_TITLE_MAX)
    _require_str(c, "markdown", "action_card.markdown", CARD_MARKDOWN_MAX)
    single = c.get("single_title") is not None or c.get("single_url") is not None
    buttons = c.get("btn_json_list")
    if single and buttons is not None:
        raise InvalidMessage(
            "action_card", "use either single_title/single_url or btn_json_list, not both"
        )
    if single:
        _require_str(c, "single_title", "action_card.single_title", CARD_BUTTON_TITLE_MAX)
        _require_str(c, "single_url", "action_card.single_url", CARD_URL_MAX)
        return
    if not isinstance(buttons, list) or not buttons:
        raise InvalidMessage(
            "action_card", "needs single_title + single_url or a non-empty btn_json_list"
        )
    orientation = c.get("btn_orientation")
    if orientation is not None and str(orientation) not in ("0", "1"):
        raise InvalidMessage("action_card.btn_orientation", 'must be "0" or "1"')
    for i, button in enumerate(buttons):
        field = f"action_card.btn_json_list[{i}]"
        if not isinstance(button, Mapping):
            raise InvalidMessage(field, "must be an object with title and action_url")
        _require_str(button, "title", f"{field}.title", CARD_BUTTON_TITLE_MAX)
        _require_str(button, "action_url", f"{field}.action_url", CARD_URL_MAX)


_VALIDATORS = {
    "text": _validate_text,
    "image": _validate_media("image"),
    "voice": _validate_voice,
    "file": _validate_media("file"),
    "link": _validate_link,
    "oa": _validate_oa,
    "markdown": _validate_markdown,
    "action_card": _validate_action_card,
}
