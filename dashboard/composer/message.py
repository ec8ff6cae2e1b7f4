"""The DingTalk ``msg`` object of the composer's fields, for every channel.

``build_msg(form)`` turns the message fields (``composer.fields.MessageFields``,
or a mapping of the same names, e.g. ``form.data``) into the classic ``msg``
object that work notices and chat/send take (§2.1). A channel with another
message shape (robot messages, v1.0 ``msgKey``/``msgParam``) converts this msg;
the fields and their rules stay the same.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _

if TYPE_CHECKING:
    from dashboard.composer.fields import MessageFields

_FORM_ROW = re.compile(r"\s*([^:：]+[:：])\s*(.*)$")


def text_value(value: Any) -> str:
    """A one-line field as sent: trimmed."""
    return (value or "").strip()


def multiline_value(value: Any) -> str:
    """A textarea's text with browser line endings (CRLF) as DingTalk expects them (LF)."""
    return (value or "").replace("\r\n", "\n")


def whole_number(value: str) -> str | None:
    """ASCII digits as DingTalk reads them ("07" → "7"); None for anything else (e.g. "７")."""
    return str(int(value)) if value.isascii() and value.isdigit() else None


def parse_buttons(text: str | None) -> list[tuple[str, str]]:
    """Lines of ``title | url`` into pairs; raises ValueError naming a malformed line."""
    buttons = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        title, sep, url = line.partition("|")
        if not sep or not title.strip() or not url.strip():
            raise ValueError(_("Write each button as “title | URL”: %(line)s", line=line.strip()))
        buttons.append((title.strip(), url.strip()))
    return buttons


def parse_form_rows(text: str | None) -> list[dict[str, str]]:
    """Lines of ``key: value`` into OA form rows (the key keeps its colon, as DingTalk shows it)."""
    rows = []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        match = _FORM_ROW.match(line)
        if not match:
            raise ValueError(_("Write each row as “key: value”: %(line)s", line=line.strip()))
        rows.append({"key": match.group(1).strip(), "value": match.group(2).strip()})
    return rows


def message_summary(msg: Any, msgtype: str | None = None) -> str:
    """A one-line description of a sent ``msg`` for lists (at most 80 characters).

    The text, title or markdown of the message, else an OA body's title or content,
    else the media_id; "" when there is nothing to show.
    """
    if not isinstance(msg, Mapping):
        return ""
    body = msg.get(msgtype or msg.get("msgtype"))
    if not isinstance(body, Mapping):
        return ""
    for key in ("content", "title", "text", "markdown", "media_id"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()[:80]
    inner = body.get("body")
    if isinstance(inner, Mapping):
        for key in ("title", "content"):
            value = inner.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:80]
    return ""


def _drop_empty(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [], {})}


def build_msg(form: MessageFields | Mapping[str, Any]) -> dict[str, Any]:
    """The DingTalk ``msg`` object for the fields' current data (validate the form first;
    on invalid data it is a best effort, for previews)."""
    data: Mapping[str, Any] = form if isinstance(form, Mapping) else form.data

    def one(name: str) -> str:
        return text_value(data.get(name))

    def lines(name: str) -> str:
        return multiline_value(data.get(name))

    t = data.get("msgtype") or "text"
    if t == "text":
        return {"msgtype": "text", "text": {"content": lines("msg")}}
    if t == "markdown":
        return {
            "msgtype": "markdown",
            "markdown": {"title": one("markdown_title"), "text": lines("markdown_text")},
        }
    if t == "link":
        return {
            "msgtype": "link",
            "link": {
                "messageUrl": one("link_message_url"),
                "picUrl": one("link_pic_url"),
                "title": one("link_title"),
                "text": lines("link_text"),
            },
        }
    if t == "action_card":
        card: dict[str, Any] = {"title": one("card_title"), "markdown": lines("card_markdown")}
        if data.get("card_style") == "buttons":
            try:
                buttons = parse_buttons(data.get("card_buttons"))
            except ValueError:
                buttons = []
            card["btn_orientation"] = data.get("card_btn_orientation") or "0"
            card["btn_json_list"] = [{"title": title, "action_url": url} for title, url in buttons]
        else:
            card["single_title"] = one("card_single_title")
            card["single_url"] = one("card_single_url")
        return {"msgtype": "action_card", "action_card": card}
    if t == "oa":
        try:
            rows = parse_form_rows(data.get("oa_form"))
        except ValueError:
            rows = []
        oa: dict[str, Any] = {
            "message_url": one("oa_message_url"),
            "pc_message_url": one("oa_pc_message_url"),
            "head": {"bgcolor": one("oa_head_bgcolor"), "text": one("oa_head_text")},
            "status_bar": _drop_empty(
                {"status_value": one("oa_status_value"), "status_bg": one("oa_status_bg")}
            ),
            "body": _drop_empty(
                {
                    "title": one("oa_title"),
                    "form": rows,
                    "rich": _drop_empty({"num": one("oa_rich_num"), "unit": one("oa_rich_unit")}),
                    "content": lines("oa_content"),
                    "image": one("oa_image"),
                    "file_count": whole_number(one("oa_file_count")) or "",
                    "author": one("oa_author"),
                }
            ),
        }
        return {"msgtype": "oa", "oa": _drop_empty(oa) | {"head": oa["head"], "body": oa["body"]}}
    if t in ("image", "file"):
        return {"msgtype": t, t: {"media_id": one("media_id")}}
    if t == "voice":
        duration = one("voice_duration")
        return {
            "msgtype": "voice",
            "voice": {"media_id": one("media_id"), "duration": whole_number(duration) or duration},
        }
    return {"msgtype": t, t: {}}
