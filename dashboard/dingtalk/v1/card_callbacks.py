"""The card callback over HTTP (reference §6.4): its signature, its body, its reply.

When a card was registered with an ``apiSecret``, DingTalk POSTs each button
press with ``x-ddpaas-signature-timestamp: <ms>`` and
``x-ddpaas-signature: Base64(HmacSHA256(key=apiSecret, msg=str(timestamp)))``.
The signature covers only the timestamp, so ``verify_signature`` also refuses
timestamps older (or further ahead) than ``max_age`` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .cards import card_param_map

TIMESTAMP_HEADER = "x-ddpaas-signature-timestamp"
SIGNATURE_HEADER = "x-ddpaas-signature"
DEFAULT_MAX_AGE = 300


class CardCallbackError(ValueError):
    """A card callback that must be refused (4xx): unsigned, forged, stale or malformed."""


def card_signature(api_secret: str, timestamp_ms: int | str) -> str:
    """Base64(HmacSHA256(key=apiSecret, msg=str(timestamp))), as DingTalk signs (§6.4)."""
    digest = hmac.new(
        api_secret.encode("utf-8"), str(timestamp_ms).encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_headers(api_secret: str, timestamp_ms: int) -> dict[str, str]:
    """The two headers of a signed callback (for emulators and tests)."""
    return {
        TIMESTAMP_HEADER: str(timestamp_ms),
        SIGNATURE_HEADER: card_signature(api_secret, timestamp_ms),
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    getter = getattr(headers, "get", None)
    value = getter(name) if getter else None
    if value is None:
        lowered = {str(k).lower(): v for k, v in headers.items()}
        value = lowered.get(name)
    return None if value is None else str(value).strip()


def verify_signature(
    headers: Mapping[str, str],
    api_secret: str,
    *,
    max_age: float = DEFAULT_MAX_AGE,
    now: float | None = None,
) -> int:
    """Check the callback's signature; return its timestamp (ms) or raise ``CardCallbackError``.

    ``now`` is the current time in seconds (``time.time()`` when None).
    """
    if not api_secret:
        raise CardCallbackError("no apiSecret is configured to verify card callbacks")
    stamp = _header(headers, TIMESTAMP_HEADER)
    signature = _header(headers, SIGNATURE_HEADER)
    if not stamp or not signature:
        raise CardCallbackError("the callback is not signed")
    if not stamp.isascii() or not stamp.isdigit():
        raise CardCallbackError("the signature timestamp is not a number")
    expected = card_signature(api_secret, stamp)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace")):
        raise CardCallbackError("the signature does not match")
    current = time.time() if now is None else now
    if abs(current - int(stamp) / 1000) > max_age:
        raise CardCallbackError("the signature timestamp is too old or in the future")
    return int(stamp)


def _json_string(value: Any, name: str) -> dict[str, Any]:
    if value in (None, ""):
        return {}
    if isinstance(value, Mapping):  # tolerated: the reference says a JSON string
        return dict(value)
    if not isinstance(value, str):
        raise CardCallbackError(f"{name} is not a JSON string")
    try:
        decoded = json.loads(value)
    except ValueError:
        raise CardCallbackError(f"{name} is not valid JSON") from None
    if not isinstance(decoded, dict):
        raise CardCallbackError(f"{name} is not a JSON object")
    return decoded


@dataclass(frozen=True)
class CardCallback:
    """One button press: who (``user_id``, by the card's userIdType), on which card, what."""

    type: str
    out_track_id: str
    user_id: str
    corp_id: str | None
    content: dict[str, Any]
    action_ids: list[str] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    space_type: str | None = None
    space_id: str | None = None
    user_id_type: int | None = None
    extension: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)


def parse_callback(body: bytes | str | Mapping[str, Any]) -> CardCallback:
    """The press DingTalk posted (``content`` and ``extension`` are JSON strings, §6.4).

    ``spaceType``, ``spaceId``, ``userIdType`` and ``extension`` are read when
    present (their presence is unverified). Raises ``CardCallbackError``.
    """
    if isinstance(body, bytes | str):
        try:
            data = json.loads(body)
        except ValueError:
            raise CardCallbackError("the body is not JSON") from None
    else:
        data = dict(body)
    if not isinstance(data, dict):
        raise CardCallbackError("the body is not a JSON object")
    out_track_id = data.get("outTrackId")
    user_id = data.get("userId")
    if not isinstance(out_track_id, str) or not out_track_id:
        raise CardCallbackError("outTrackId is missing")
    if not isinstance(user_id, str) or not user_id:
        raise CardCallbackError("userId is missing")
    content = _json_string(data.get("content"), "content")
    private = content.get("cardPrivateData")
    private = private if isinstance(private, dict) else {}
    actions = private.get("actionIds")
    params = private.get("params")
    user_id_type = data.get("userIdType")
    return CardCallback(
        type=str(data.get("type") or ""),
        out_track_id=out_track_id,
        user_id=user_id,
        corp_id=data.get("corpId") if isinstance(data.get("corpId"), str) else None,
        content=content,
        action_ids=[str(a) for a in actions] if isinstance(actions, list) else [],
        params=dict(params) if isinstance(params, dict) else {},
        space_type=data.get("spaceType") if isinstance(data.get("spaceType"), str) else None,
        space_id=data.get("spaceId") if isinstance(data.get("spaceId"), str) else None,
        user_id_type=int(user_id_type) if str(user_id_type or "").isdigit() else None,
        extension=_json_string(data.get("extension"), "extension"),
        raw=data,
    )


def callback_reply(
    card_params: Mapping[str, Any] | None = None,
    user_private_params: Mapping[str, Any] | None = None,
    *,
    by_key: bool = True,
) -> dict[str, Any]:
    """The reply body to a press (within 2 s): the card's new values, the presser's own."""
    reply: dict[str, Any] = {}
    if card_params is not None:
        reply["cardData"] = {"cardParamMap": card_param_map(card_params)}
    if user_private_params is not None:
        reply["userPrivateData"] = {"cardParamMap": card_param_map(user_private_params)}
    if reply:
        reply["cardUpdateOptions"] = {
            "updateCardDataByKey": bool(by_key),
            "updatePrivateDataByKey": bool(by_key),
        }
    return reply
