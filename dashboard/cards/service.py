"""Cards: the console's HTTP callback (registered with DingTalk, verified per press),
the presses as ``CardResponse`` rows, and updating a card sent earlier.

With DASHBOARD_PUBLIC_URL set, the first card a process sends (for each company)
registers ``<DASHBOARD_PUBLIC_URL>/cards/callback`` under DINGTALK_CARD_CALLBACK_ROUTE_KEY
with the console's apiSecret (``/v1.0/card/callbacks/register``, forceUpdate: the
secret must be ours), and cards are then made with ``callbackType`` HTTP and that key.
The apiSecret is DINGTALK_CARD_CALLBACK_SECRET, else derived from SECRET_KEY (every
process of the console has the same); it is never logged or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from flask import current_app
from flask_babel import gettext as _

from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.dingtalk.v1.card_callbacks import (
    CardCallback,
    CardCallbackError,
    parse_callback,
    verify_signature,
)
from dashboard.extensions import db
from dashboard.notifications.models import Send, SendTask

from .models import CardResponse

log = logging.getLogger("dashboard.audit.cards")
CALLBACK_PATH = "/cards/callback"


def api_secret() -> str:
    cfg = current_app.config
    configured = cfg.get("DINGTALK_CARD_CALLBACK_SECRET")
    if configured:
        return str(configured)
    key = str(cfg.get("SECRET_KEY") or "").encode()
    return hmac.new(key, b"dingtalk-card-callback", hashlib.sha256).hexdigest()[:32]


def callback_url() -> str | None:
    """Where DingTalk posts presses; None without DASHBOARD_PUBLIC_URL (no HTTP callback)."""
    base = (current_app.config.get("DASHBOARD_PUBLIC_URL") or "").rstrip("/")
    return f"{base}{CALLBACK_PATH}" if base else None


def route_key() -> str:
    return str(current_app.config.get("DINGTALK_CARD_CALLBACK_ROUTE_KEY") or "dashboard")


def _registered() -> set:
    return current_app.extensions.setdefault("dashboard_card_callbacks", set())


def ensure_callback(client: Any) -> bool:
    """Register the console's callback with DingTalk once per process and company.

    Returns True when cards may name it (registered now or before); False without
    DASHBOARD_PUBLIC_URL or when DingTalk refused (logged; cards then go out STREAM).
    """
    url = callback_url()
    if not url:
        return False
    marker = (client.credentials.token_key, url)
    done = _registered()
    if marker in done:
        return True
    try:
        reply = client.cards.register_callback(
            route_key(), url, api_secret=api_secret(), force_update=True
        )
    except DingTalkError as exc:
        log.warning("card callback not registered: %s", type(exc).__name__)
        return False
    if (reply.get("result") or {}).get("callbackUrl") not in (None, url):
        log.warning("card callback registered elsewhere: the route key is taken")
        return False
    done.add(marker)
    log.info("card callback registered at %s (route key %s)", url, route_key())
    return True


def callback_options(client: Any) -> dict[str, Any]:
    """The createAndDeliver options naming the console's callback (or STREAM)."""
    if ensure_callback(client):
        return {"callback_type": "HTTP", "callback_route_key": route_key()}
    return {"callback_type": "STREAM"}


def verify_press(headers: Any) -> int:
    """The press's signed timestamp (ms); raises ``CardCallbackError`` when it is not ours."""
    max_age = float(current_app.config.get("DINGTALK_CARD_CALLBACK_MAX_AGE") or 300)
    return verify_signature(headers, api_secret(), max_age=max_age)


def receive_press(headers: Any, body: bytes) -> CardResponse:
    """Verify and record one press; raises ``CardCallbackError`` (nothing recorded)."""
    verify_press(headers)
    return record_press(parse_callback(body))


def action_of(press: CardCallback) -> str:
    """The pressed action: its actionIds, else the params' ``action``."""
    if press.action_ids:
        return ",".join(press.action_ids)
    return str(press.params.get("action") or press.type or "")[:128]


def record_press(press: CardCallback) -> CardResponse:
    task = db.session.execute(
        db.select(SendTask).filter_by(out_key=press.out_track_id)
    ).scalar_one_or_none()
    send_id = task.send_id if task is not None and task.send.channel == "card" else None
    response = CardResponse(
        out_track_id=press.out_track_id,
        send_id=send_id,
        corp_id=press.corp_id,
        user_id=press.user_id[:64],
        action=action_of(press)[:128],
        params_json=json.dumps(press.params, ensure_ascii=False),
    )
    db.session.add(response)
    db.session.commit()
    log.info("card %s: %s pressed %s", press.out_track_id, press.user_id, response.action)
    return response


def responses(*, send_id: int | None = None, out_track_id: str | None = None):
    query = db.select(CardResponse).order_by(CardResponse.id)
    if send_id is not None:
        query = query.filter_by(send_id=send_id)
    if out_track_id is not None:
        query = query.filter_by(out_track_id=out_track_id)
    return list(db.session.execute(query).scalars())


def confirmations(send: Send) -> list[dict[str, Any]]:
    """Per person: their last press (who confirmed what, when), in the order they pressed."""
    last: dict[str, CardResponse] = {}
    for response in responses(send_id=send.id):
        last[response.user_id] = response
    return [
        {"user_id": r.user_id, "action": r.action, "at": r.created_at}
        for r in sorted(last.values(), key=lambda r: r.id)
    ]


def card_task(out_track_id: str) -> SendTask | None:
    task = db.session.execute(
        db.select(SendTask).filter_by(out_key=out_track_id)
    ).scalar_one_or_none()
    return task if task is not None and task.send.channel == "card" else None


def update_card(out_track_id: str, params: dict[str, Any], *, user: str) -> dict[str, Any]:
    """PUT /v1.0/card/instances (merge by key) of a card; raises InvalidMessage / DingTalkError."""
    from dashboard.services.dingtalk import get_v1_client

    task = card_task(out_track_id)
    corpid = task.send.corpid if task is not None else None
    if not params:
        raise InvalidMessage("cardParamMap", _("Give at least one value to change."))
    reply = get_v1_client(corpid).cards.update(out_track_id, params)
    log.info("card %s updated by %s (%d values)", out_track_id, user, len(params))
    return reply


__all__ = ["CardCallbackError", "receive_press", "update_card", "responses", "ensure_callback"]
