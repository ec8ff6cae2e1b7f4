"""The suite's callback protocol: verify, decrypt, guard against replays, act, reply.

`receive` is all the view calls. In order: the signature is checked over the
ciphertext before anything is decrypted; a push encrypted for the placeholder
receive id is accepted only as ``check_create_suite_url`` (a suite being created
has no suiteKey yet); events that change state must carry a recent timestamp
and be delivered once (their signature is remembered); the event is acted on
(`handle_event`) and the reply is the encrypted "success" (or the Random of a
suite URL check). Every refusal is a status and a short reason, never a secret.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app

from dashboard.dingtalk.callback_crypto import (
    CREATE_SUITE_KEY,
    CallbackCryptoError,
    DingTalkCrypto,
    ReceiveIdMismatch,
    SignatureMismatch,
)
from dashboard.dingtalk.errors import DingTalkError
from dashboard.extensions import cache, db
from dashboard.isv import service
from dashboard.isv.models import CORPID_RE
from dashboard.services.dingtalk import NotConfigured, company_row

log = logging.getLogger(__name__)
audit = logging.getLogger("dashboard.audit")


@dataclass(frozen=True)
class Answer:
    """What the callback view sends back: a JSON body and its status."""

    body: dict[str, Any]
    status: int = 200


def refused(status: int, errmsg: str) -> Answer:
    return Answer({"errcode": status, "errmsg": errmsg}, status)


def receive(
    body: Any,
    signature: str | None,
    timestamp: str | None,
    nonce: str | None,
    *,
    remote_addr: str | None = None,
) -> Answer:
    """Handle one push: the JSON body and the signed query's signature, timestamp and nonce."""
    try:
        crypto = callback_crypto()
    except NotConfigured as exc:
        log.error("isv callback refused: %s", exc)
        return refused(503, "callback not configured")
    encrypt = body.get("encrypt") if isinstance(body, dict) else None
    if not (isinstance(encrypt, str) and signature and timestamp and nonce):
        return refused(400, "signature, timestamp, nonce and encrypt are required")
    try:
        # The signature is checked first, over the ciphertext, before any decryption.
        event = json.loads(crypto.decrypt(encrypt, signature, timestamp, nonce))
    except SignatureMismatch:
        log.warning("isv callback with a bad signature from %s", remote_addr)
        return refused(403, "signature mismatch")
    except ReceiveIdMismatch:
        # A suite being created has no suiteKey yet: DingTalk encrypts its
        # check_create_suite_url for the placeholder key, and expects the reply so too.
        crypto = callback_crypto(CREATE_SUITE_KEY)
        try:
            event = json.loads(crypto.decrypt(encrypt, signature, timestamp, nonce))
        except (CallbackCryptoError, ValueError):
            event = None
        if not isinstance(event, dict) or event_type_of(event) != "check_create_suite_url":
            log.warning("isv callback encrypted for another receiver")
            return refused(403, "callback is for another suite")
    except (CallbackCryptoError, ValueError) as exc:
        log.warning("isv callback could not be decrypted: %s", type(exc).__name__)
        return refused(400, "payload could not be decrypted")
    if not isinstance(event, dict):
        return refused(400, "payload is not an event")
    if event_type_of(event) not in CHECK_EVENTS:
        # Events that change state must be recent and delivered once.
        problem = callback_timestamp_problem(timestamp, time.time())
        if problem:
            log.warning("isv callback refused: %s", problem)
            return refused(403, problem)
        if not first_delivery(signature):
            log.warning("isv callback refused: replayed")
            return refused(409, "callback already received")
    try:
        handle_event(event)
    except Exception:
        # Not handled: let DingTalk's retry of this very push through.
        forget_delivery(signature)
        raise
    return Answer(crypto.encrypt_reply(reply_for(event)))


def callback_crypto(receive_id: str | None = None) -> DingTalkCrypto:
    """Crypto for the suite's callback; receive id = the suite key unless given."""
    cfg = current_app.config
    token, aes_key = cfg.get("DINGTALK_CALLBACK_TOKEN"), cfg.get("DINGTALK_CALLBACK_AES_KEY")
    if not token or not aes_key:
        raise NotConfigured("Set DINGTALK_CALLBACK_TOKEN and DINGTALK_CALLBACK_AES_KEY.")
    try:
        return DingTalkCrypto(token, aes_key, receive_id or cfg["DINGTALK_SUITE_KEY"])
    except ValueError as exc:
        raise NotConfigured(f"DINGTALK_CALLBACK_AES_KEY is unusable: {exc}") from None


# -- callback events ----------------------------------------------------------------------

#: Events that only check the callback URL: answered, never acted on.
CHECK_EVENTS = ("check_url", "check_create_suite_url", "check_update_suite_url")
#: Where the signatures of callbacks already handled are remembered (the replay guard).
SEEN_CALLBACK_PREFIX = "isv:callback:seen:"


def event_field(event: dict[str, Any], *names: str) -> str:
    """The first of ``names`` present in ``event``, whatever its casing, as text ("" if none).

    The reference leaves the field casing unverified (``EventType``/``eventType``,
    ``SuiteTicket``/``suiteTicket``, ``AuthCorpId``/``authCorpId``, ...).
    """
    folded = {str(key).lower(): value for key, value in event.items()}
    for name in names:
        value = folded.get(name.lower())
        if value is not None and value != "" and not isinstance(value, (dict, list)):
            return str(value).strip()
    return ""


def event_type_of(event: dict[str, Any]) -> str:
    return event_field(event, "EventType")


def reply_for(event: dict[str, Any]) -> str:
    """The text to encrypt in the reply: the event's Random for the suite URL checks, else success."""
    if event_type_of(event) in ("check_create_suite_url", "check_update_suite_url"):
        return event_field(event, "Random") or "success"
    return "success"


def callback_timestamp_problem(timestamp: str, now: float) -> str | None:
    """Why a signed callback timestamp (ms, or s) is unacceptable, or None when it is fresh."""
    try:
        value = int(timestamp)
    except (TypeError, ValueError):
        return "timestamp is not a number"
    seconds = value / 1000 if value >= 10**11 else value
    max_age = current_app.config["DINGTALK_CALLBACK_MAX_AGE"]
    if abs(now - seconds) > float(max_age):
        return "stale timestamp"
    return None


def _seen_key(signature: str) -> str:
    return SEEN_CALLBACK_PREFIX + hashlib.sha256(signature.lower().encode("utf-8")).hexdigest()


def first_delivery(signature: str) -> bool:
    """Remember a callback's signature; False when it was seen before (a replay)."""
    max_age = current_app.config["DINGTALK_CALLBACK_MAX_AGE"]
    return bool(cache.add(_seen_key(signature), 1, timeout=int(max_age) * 2 + 60))


def forget_delivery(signature: str) -> None:
    """Undo `first_delivery` for a push that could not be handled, so its retry is accepted."""
    cache.delete(_seen_key(signature))


def handle_event(event: dict[str, Any]) -> str:
    """Act on one decrypted callback event; returns its EventType.

    Events for companies are acted on best effort: a failed get_auth_info is
    recorded on the company row (and logged) so DingTalk still gets "success".
    """
    event_type = event_type_of(event)
    corpid = event_field(event, "AuthCorpId", "CorpId")
    if corpid and not CORPID_RE.match(corpid):
        log.warning("isv callback event %s names an unusable corpid; ignored", event_type)
        corpid = ""
    if event_type == "suite_ticket":
        ticket = event_field(event, "SuiteTicket")
        if ticket:
            service.record_ticket(ticket)
    elif event_type in ("tmp_auth_code", "change_auth") and corpid:
        try:
            service.refresh_company(
                corpid, permanent_code=event_field(event, "PermanentCode") or None
            )
        except DingTalkError as exc:
            db.session.rollback()
            row = company_row(corpid)
            row.last_error = str(exc)[:500]
            db.session.commit()
            log.warning("get_auth_info for %s after %s failed: %s", corpid, event_type, exc)
        audit.info("isv %s for %s", event_type, corpid)
    elif event_type == "suite_relieve" and corpid:
        service.deauthorise(corpid)
        audit.info("isv suite_relieve for %s", corpid)
    else:
        log.info("isv callback event %s acknowledged", event_type or "(none)")
    return event_type
