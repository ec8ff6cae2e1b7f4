"""ISV suite emulation (§7): signed calls, authorised companies, per-company tokens.

One suite (``suitesandboxkey`` / ``suite-sandbox-secret``) authorised by two
demo companies, each with its own directory: 云帆科技 (``dingisvcorpa``) is the
demo company, 星河物流 (``dingisvcorpb``) has its own departments and people
(same ids and shape, other names); any other company gets one seeded by its corpid. Signed calls are
checked the way §12.8 describes: unknown accessKey, a timestamp outside the
allowed skew or a wrong signature give a generic signature error
(``signature_errcode``, unverified), a bad ticket gives 853005. By default any
non-empty ticket is accepted (a test suite); ``strict_ticket`` accepts only
the current ticket, which changes each time one is pushed.

Corp tokens go into the emulator's token table with the corpid as their app id,
so every other endpoint accepts them. Control endpoints under ``/_sandbox/isv/``
read and change this state and push encrypted callbacks (``push_ticket``,
``push_event``) to a dashboard URL on this machine.

The ISV state follows ``/_sandbox/reset``: it notices that the main state was
reset (its counters are a new object) and starts over too.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from flask import Blueprint, Response, current_app, jsonify, request

from dashboard.dingtalk.callback_crypto import DingTalkCrypto, random_nonce
from dashboard.sandbox.demo import LOGISTICS_PROFILE, profile_for
from dashboard.sandbox.errors import OapiError, missing_param
from dashboard.sandbox.routing import OapiCall, get_state, oapi_route
from dashboard.sandbox.settings import coerce_value
from dashboard.sandbox.state import SandboxState, TokenRecord

DEFAULT_SUITE_KEY = "suitesandboxkey"
DEFAULT_SUITE_SECRET = "suite-sandbox-secret"
DEFAULT_CALLBACK_TOKEN = "sandbox-callback-token"
DEFAULT_CALLBACK_AES_KEY = "c2FuZGJveC1jYWxsYmFjay1hZXMta2V5LTMyYnl0ZXM"  # 43 chars
INVALID_TICKET = 853005
INVALID_TICKET_MSG = "签名中套件ticket参数无效"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
#: The two demo companies that authorised the sandbox suite.
DEMO_CORP_A = "dingisvcorpa"
DEMO_CORP_B = "dingisvcorpb"

bp = Blueprint("sandbox_isv", __name__)


@dataclass
class IsvCorp:
    """A company that authorised the suite."""

    corpid: str
    corp_name: str
    full_corp_name: str
    auth_level: int
    agent_name: str
    admin_userid: str = "manager01"
    authorised: bool = True


def default_corps() -> list[IsvCorp]:
    """Two demo companies, each with its own directory (see `issue_corp_token`)."""
    return [
        IsvCorp(DEMO_CORP_A, "云帆科技", "杭州云帆科技有限公司", 1, "云帆通知"),
        IsvCorp(DEMO_CORP_B, "星河物流", "苏州星河物流有限公司", 0, "星河通知"),
    ]


@dataclass
class IsvSettings:
    """Knobs of the suite emulation (``POST /_sandbox/isv/config``)."""

    suite_key: str = DEFAULT_SUITE_KEY
    suite_secret: str = DEFAULT_SUITE_SECRET
    callback_token: str = DEFAULT_CALLBACK_TOKEN
    callback_aes_key: str = DEFAULT_CALLBACK_AES_KEY
    strict_ticket: bool = False  # only the current ticket is accepted
    timestamp_skew: float = 900.0  # seconds either way (unverified)
    signature_errcode: int = 853002  # unverified: any signature failure but a bad ticket
    signature_errmsg: str = "签名校验失败"


@dataclass
class IsvState:
    """The suite's ticket, companies, issued corp tokens and per-company counters."""

    settings: IsvSettings = field(default_factory=IsvSettings)
    current_ticket: str = field(default_factory=lambda: "ticket-" + secrets.token_hex(8))
    corps: dict[str, IsvCorp] = field(
        default_factory=lambda: {c.corpid: c for c in default_corps()}
    )
    corp_tokens: dict[str, str] = field(default_factory=dict)
    corp_token_calls: dict[str, int] = field(default_factory=dict)
    auth_info_calls: dict[str, int] = field(default_factory=dict)
    pushes: int = 0
    marker: object = None

    def as_dict(self, agent_id: int) -> dict[str, Any]:
        return {
            "suite_key": self.settings.suite_key,
            "current_ticket": self.current_ticket,
            "settings": dataclasses.asdict(self.settings),
            "corps": [dict(dataclasses.asdict(c), agent_id=agent_id) for c in self.corps.values()],
            "corp_tokens": dict(self.corp_tokens),
            "corp_token_calls": dict(self.corp_token_calls),
            "auth_info_calls": dict(self.auth_info_calls),
            "pushes": self.pushes,
        }


_GUARD = threading.Lock()


def isv_state(state: SandboxState | None = None) -> IsvState:
    """This app's ISV state, started over whenever the main state was reset."""
    state = state or get_state()
    with _GUARD:
        current = current_app.extensions.get("sandbox_isv")
        if current is None or current.marker is not state.calls:
            current = IsvState(marker=state.calls)
            current_app.extensions["sandbox_isv"] = current
        return current


def expected_signature(secret: str, timestamp: str, ticket: str) -> str:
    """§7.1 computed on the server side."""
    message = f"{timestamp}\n{ticket}" if ticket else timestamp
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def check_signature(call: OapiCall, isv: IsvState) -> None:
    """accessKey, timestamp skew, ticket (853005) and the HMAC, in that order."""
    settings = isv.settings
    params = call.params
    signature_error = OapiError(settings.signature_errcode, settings.signature_errmsg)
    for name in ("accessKey", "timestamp", "signature"):
        if not params.has(name):
            raise missing_param(name)
    if params.string("accessKey") != settings.suite_key:
        raise signature_error
    timestamp = params.string("timestamp") or ""
    try:
        skew = abs(int(timestamp) / 1000 - call.now)
    except ValueError:
        raise signature_error from None
    if skew > settings.timestamp_skew:
        raise signature_error
    ticket = params.string("suiteTicket") or ""
    if not ticket or (settings.strict_ticket and ticket != isv.current_ticket):
        raise OapiError(INVALID_TICKET, INVALID_TICKET_MSG)
    expected = expected_signature(settings.suite_secret, timestamp, ticket)
    if not hmac.compare_digest(expected, params.string("signature") or ""):
        raise signature_error


def authorised_corp(call: OapiCall, isv: IsvState) -> IsvCorp:
    """The company named by auth_corpid, which must have authorised the suite."""
    corpid = call.params.string("auth_corpid", required=True) or ""
    corp = isv.corps.get(corpid)
    if corp is None or not corp.authorised:
        raise OapiError(40089, "不合法的corpid或corpsecret")
    return corp


@oapi_route(bp, "/service/get_corp_token", "POST", needs_token=False)
def get_corp_token(call: OapiCall) -> dict[str, Any]:
    """A token for one company; a repeat fetch returns a new one (``isv_token_refetch_new``)."""
    isv = isv_state(call.state)
    check_signature(call, isv)
    corp = authorised_corp(call, isv)
    isv.corp_token_calls[corp.corpid] = isv.corp_token_calls.get(corp.corpid, 0) + 1
    return {
        "access_token": issue_corp_token(call, isv, corp.corpid),
        "expires_in": call.settings.token_ttl,
    }


def issue_corp_token(call: OapiCall, isv: IsvState, corpid: str) -> str:
    state = call.state
    now = call.now
    previous = state.tokens.get(isv.corp_tokens.get(corpid, ""))
    live = previous is not None and not previous.revoked and previous.expires_at > now
    if live and not call.settings.isv_token_refetch_new:
        previous.expires_at = now + call.settings.token_ttl
        return previous.token
    if live and not call.settings.isv_old_token_valid:
        previous.revoked = True
    record = TokenRecord(secrets.token_hex(16), corpid, now + call.settings.token_ttl)
    if corpid != DEMO_CORP_A:  # company A is the demo company; every other one has its own
        state.add_tenant(
            corpid, LOGISTICS_PROFILE if corpid == DEMO_CORP_B else profile_for(corpid)
        )
    state.tokens[record.token] = record
    isv.corp_tokens[corpid] = record.token
    return record.token


@oapi_route(bp, "/service/get_auth_info", "POST", needs_token=False)
def get_auth_info(call: OapiCall) -> dict[str, Any]:
    """The company, its auth level and the suite's agent in it (§7.3)."""
    isv = isv_state(call.state)
    check_signature(call, isv)
    corp = authorised_corp(call, isv)
    isv.auth_info_calls[corp.corpid] = isv.auth_info_calls.get(corp.corpid, 0) + 1
    return {
        "auth_corp_info": {
            "corpid": corp.corpid,
            "corp_name": corp.corp_name,
            "full_corp_name": corp.full_corp_name,
            "corp_logo_url": "",
            "industry": "",
            "invite_code": "",
            "license_code": "",
            "auth_channel": "",
            "auth_channel_type": "",
            "is_authenticated": corp.auth_level > 0,
            "auth_level": corp.auth_level,
            "invite_url": "",
            "belong_corp_id": "",
            "unifiedSocialCredit": "",
        },
        "auth_user_info": {"userId": corp.admin_userid},
        "auth_info": {
            "agent": [
                {
                    "agentid": call.settings.agent_id,
                    "agent_name": corp.agent_name,
                    "logo_url": "",
                    "appid": 62282,
                    "admin_list": [corp.admin_userid],
                }
            ]
        },
        "channel_auth_info": {"channelAgent": []},
    }


# -- control ------------------------------------------------------------------------------


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _bad_request(message: str) -> tuple[Response, int]:
    return jsonify(error=message), 400


@bp.get("/_sandbox/isv/state")
def state_view():
    """Suite key, current ticket, knobs, companies and per-company call counters."""
    state = get_state()
    with state.lock:
        return jsonify(isv_state(state).as_dict(state.settings.agent_id))


@bp.post("/_sandbox/isv/config")
def config_view():
    """Change IsvSettings fields, and optionally ``current_ticket``."""
    state = get_state()
    body = _body()
    with state.lock:
        isv = isv_state(state)
        if "current_ticket" in body:
            isv.current_ticket = str(body.pop("current_ticket"))
        defaults = IsvSettings()
        values = {}
        for name, value in body.items():
            if not hasattr(defaults, name):
                return _bad_request(f"unknown ISV setting {name!r}")
            try:
                values[name] = coerce_value(getattr(defaults, name), value)
            except ValueError as exc:
                return _bad_request(str(exc))
        isv.settings = dataclasses.replace(isv.settings, **values)
        return jsonify(isv.as_dict(state.settings.agent_id))


@bp.post("/_sandbox/isv/corps/<corpid>")
def corp_view(corpid: str):
    """Add a company or change one (``authorised: false`` = the suite was removed)."""
    state = get_state()
    body = _body()
    with state.lock:
        isv = isv_state(state)
        corp = isv.corps.get(corpid) or IsvCorp(corpid, corpid, corpid, 0, "sandbox")
        for name in ("corp_name", "full_corp_name", "auth_level", "agent_name", "authorised"):
            if name in body:
                setattr(corp, name, coerce_value(getattr(corp, name), body[name]))
        isv.corps[corpid] = corp
        return jsonify(isv.as_dict(state.settings.agent_id))


@bp.post("/_sandbox/isv/push_ticket")
def push_ticket_view():
    """Issue a new ticket (or the given one) and push it encrypted to ``url``."""
    body = _body()
    state = get_state()
    with state.lock:
        isv = isv_state(state)
        isv.current_ticket = str(body.get("ticket") or "ticket-" + secrets.token_hex(8))
        event = {
            "EventType": "suite_ticket",
            "SuiteKey": isv.settings.suite_key,
            "SuiteTicket": isv.current_ticket,
            "TimeStamp": str(int(state.clock.now() * 1000)),
        }
    return push(body, event)


@bp.post("/_sandbox/isv/push_event")
def push_event_view():
    """Push any event (tmp_auth_code, change_auth, suite_relieve, check_url) to ``url``."""
    body = _body()
    event = body.get("event")
    if not isinstance(event, dict) or not event.get("EventType"):
        return _bad_request("event must be an object with an EventType")
    return push(body, event)


def push(body: dict[str, Any], event: dict[str, Any]):
    """Encrypt ``event`` as DingTalk does, POST it to ``body["url"]``, check the reply.

    The state lock is not held while posting: the dashboard may call back.
    """
    url = str(body.get("url") or "")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOCAL_HOSTS:
        return _bad_request("url must be an http(s) URL on this machine")
    state = get_state()
    with state.lock:
        isv = isv_state(state)
        settings = isv.settings
        timestamp = str(int(state.clock.now() * 1000))
    crypto = DingTalkCrypto(settings.callback_token, settings.callback_aes_key, settings.suite_key)
    nonce = random_nonce()
    encrypted = crypto.encrypt(json.dumps(event, ensure_ascii=False))
    query = {
        "signature": crypto.signature(timestamp, nonce, encrypted),
        "timestamp": timestamp,
        "nonce": nonce,
    }
    try:
        response = requests.post(url, params=query, json={"encrypt": encrypted}, timeout=10)
    except requests.RequestException as exc:
        return jsonify(error=f"push failed: {type(exc).__name__}"), 502
    reply_text = None
    try:
        reply = response.json()
        reply_text = crypto.decrypt(
            reply["encrypt"], reply["msg_signature"], reply["timeStamp"], reply["nonce"]
        )
    except (ValueError, KeyError, TypeError):
        reply_text = None
    with state.lock:
        isv_state(state).pushes += 1
    return jsonify(
        status=response.status_code,
        reply=reply_text,
        success=response.status_code == 200 and reply_text == "success",
        event_type=event.get("EventType"),
        ticket=event.get("SuiteTicket"),
    )


class IsvSandboxControl:
    """Drive the ISV control endpoints from tests (beside ``SandboxControl``)."""

    def __init__(self, base_url: str, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def state(self) -> dict[str, Any]:
        """Suite key, current ticket, knobs, companies, corp_token_calls, auth_info_calls."""
        return self._call("GET", "/state")

    def configure(self, **values: Any) -> dict[str, Any]:
        """Change IsvSettings fields (strict_ticket=True, timestamp_skew=60, ...)."""
        return self._call("POST", "/config", values)

    def set_corp(self, corpid: str, **values: Any) -> dict[str, Any]:
        """Add or change a company (authorised=False: it removed the suite)."""
        return self._call("POST", f"/corps/{corpid}", values)

    def push_ticket(self, url: str, ticket: str | None = None) -> dict[str, Any]:
        """Issue a ticket and push it to the dashboard's callback ``url``."""
        return self._call("POST", "/push_ticket", {"url": url, "ticket": ticket})

    def push_event(self, url: str, event: dict[str, Any]) -> dict[str, Any]:
        """Push an arbitrary encrypted event to ``url``."""
        return self._call("POST", "/push_event", {"url": url, "event": event})

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.request(
            method, f"{self.base_url}/_sandbox/isv{path}", json=body, timeout=self.timeout
        )
        data = response.json()
        if response.status_code != 200:
            raise RuntimeError(
                f"{method} /_sandbox/isv{path}: {data.get('error', response.status_code)}"
            )
        return data
