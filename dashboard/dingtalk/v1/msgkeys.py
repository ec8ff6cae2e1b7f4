"""The robot's built-in message templates (msgKey) and their msgParam (reference §3.4).

Shared by 1:1 (``oToMessages/batchSend``) and group (``groupMessages/send``)
messages. ``msgParam`` goes out as a **JSON string** whose values are strings;
``msg_param_json`` builds it (numbers and booleans become ``"3000"``/``"true"``)
and checks the template's keys and the size.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NamedTuple

from ..errors import InvalidMessage

#: Group msgParam limit (§4.1); the 1:1 limit is not stated (§3.4: apply the same).
MAX_MSG_PARAM_BYTES = 15000


class MsgKey(NamedTuple):
    """One built-in template: the msgParam keys it needs, and the ones it may have."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()


def _action_card(buttons: int) -> MsgKey:
    keys = ["title", "text"]
    for n in range(1, buttons + 1):
        keys += [f"actionTitle{n}", f"actionURL{n}"]
    return MsgKey(tuple(keys))


#: The catalogue of §3.4. There is no ``sampleActionCard1``; ``sampleActionCard6``
#: spells its URLs ``buttonUrlN``, not ``actionURLN``.
MSG_KEYS: dict[str, MsgKey] = {
    "sampleText": MsgKey(("content",)),
    "sampleMarkdown": MsgKey(("title", "text")),
    "sampleImageMsg": MsgKey(("photoURL",)),
    "sampleLink": MsgKey(("text", "title", "picUrl", "messageUrl")),
    "sampleActionCard": MsgKey(("title", "text", "singleTitle", "singleURL")),
    "sampleActionCard2": _action_card(2),
    "sampleActionCard3": _action_card(3),
    "sampleActionCard4": _action_card(4),
    "sampleActionCard5": _action_card(5),
    "sampleActionCard6": MsgKey(
        ("title", "text", "buttonTitle1", "buttonUrl1", "buttonTitle2", "buttonUrl2")
    ),
    "sampleAudio": MsgKey(("mediaId", "duration")),  # duration in milliseconds
    "sampleFile": MsgKey(("mediaId", "fileName", "fileType")),
    "sampleVideo": MsgKey(
        ("duration", "videoMediaId", "videoType", "picMediaId"),  # duration in seconds
        ("height", "width"),
    ),
}


def as_wire_string(value: Any) -> str:
    """A template value as DingTalk takes it: strings as they are, ``1000`` → ``"1000"``,
    ``True`` → ``"true"``, lists and objects as compact JSON text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def msg_param_json(
    msg_key: str,
    msg_param: Mapping[str, Any] | str,
    *,
    max_bytes: int = MAX_MSG_PARAM_BYTES,
    strict: bool = True,
) -> str:
    """The ``msgParam`` string for ``msg_key``: keys checked, values strings, size bounded.

    ``msg_param`` is a mapping or already a JSON string (the API's callers send
    it as DingTalk does). ``strict=False`` lets a preview show a message still
    being typed (missing keys allowed). Raises ``InvalidMessage``.
    """
    if not isinstance(msg_key, str) or msg_key not in MSG_KEYS:
        raise InvalidMessage("msgKey", f"must be one of {', '.join(MSG_KEYS)}")
    if isinstance(msg_param, str):
        try:
            decoded = json.loads(msg_param)
        except ValueError:
            raise InvalidMessage("msgParam", "is not valid JSON") from None
    else:
        decoded = msg_param
    if not isinstance(decoded, Mapping):
        raise InvalidMessage("msgParam", "must be a JSON object")
    template = MSG_KEYS[msg_key]
    params = {str(key): as_wire_string(value) for key, value in decoded.items()}
    if strict:
        missing = [key for key in template.required if not params.get(key, "").strip()]
        if missing:
            raise InvalidMessage("msgParam", f"{msg_key} needs {', '.join(missing)}")
    unknown = sorted(set(params) - set(template.required) - set(template.optional))
    if unknown:
        raise InvalidMessage("msgParam", f"{msg_key} has no {', '.join(unknown)}")
    text = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise InvalidMessage("msgParam", f"is {size} bytes, at most {max_bytes}")
    return text
