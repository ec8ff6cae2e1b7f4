"""ISV mode: the suite client, the suite ticket, authorised companies and callback events.

ISV mode is on when DINGTALK_SUITE_KEY is set. The suite signs its calls with
the latest ticket: the one pushed to ``/isv/callback`` (kept in the database
and the cache with its received time), else DINGTALK_SUITE_TICKET (test suites
and custom apps accept any ticket). Each authorised company gets a
``CorpClient`` whose token is cached per (suite, corp) in the shared cache.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app, has_request_context, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from dashboard.auth.models import utcnow
from dashboard.dingtalk import CacheTokenStore
from dashboard.dingtalk.callback_crypto import DingTalkCrypto
from dashboard.dingtalk.isv import CorpClient, SuiteClient, canonical_string
from dashboard.extensions import cache, db
from dashboard.isv.models import AuthorisedCompany, SuiteTicket
from dashboard.services.dingtalk import (
    NoCompanySelected,
    NotConfigured,
    UnknownCompany,
    build_rate_limiter,
)

log = logging.getLogger(__name__)
audit = logging.getLogger("dashboard.audit")

EXTENSION_KEY = "isv"
SESSION_KEY = "isv_corpid"
TICKET_CACHE_KEY = "isv:ticket:"
TOKEN_META_PREFIX = "dingtalk:tokenmeta:"
#: DingTalk pushes a ticket about every 20 minutes; older than that is stale.
TICKET_FRESH_SECONDS = 20 * 60


#: DingTalk's corp authentication levels (auth_corp_info.auth_level).
AUTH_LEVELS = {
    0: _l("Not verified"),
    1: _l("Senior verification"),
    2: _l("Intermediate verification"),
    3: _l("Basic verification"),
}


def auth_level_label(level: int | None) -> str:
    """The auth level in words."""
    return str(AUTH_LEVELS.get(level or 0, _l("Level %(level)s", level=level)))


class IsvConfigError(RuntimeError):
    """ISV mode is on but a required setting is missing or unusable."""


# -- configuration ------------------------------------------------------------------------


def isv_mode(app: Flask | None = None) -> bool:
    """ISV mode = a suite key is configured."""
    return bool((app or current_app).config.get("DINGTALK_SUITE_KEY"))


def check_config(app: Flask) -> None:
    """Refuse to start ISV mode without the suite secret and the encryption key."""
    if not isv_mode(app):
        return
    missing = [
        name
        for name in ("DINGTALK_SUITE_SECRET", "DASHBOARD_ENCRYPTION_KEY")
        if not app.config.get(name)
    ]
    if missing:
        raise IsvConfigError(
            "ISV mode (DINGTALK_SUITE_KEY is set) needs " + " and ".join(missing) + "."
        )
    if len(app.config["DASHBOARD_ENCRYPTION_KEY"]) < 16:
        raise IsvConfigError("DASHBOARD_ENCRYPTION_KEY must be at least 16 characters.")


def fernet(app: Flask | None = None) -> Fernet:
    """Fernet keyed by SHA-256 of DASHBOARD_ENCRYPTION_KEY (any length of passphrase works)."""
    secret = (app or current_app).config.get("DASHBOARD_ENCRYPTION_KEY")
    if not secret:
        raise IsvConfigError("DASHBOARD_ENCRYPTION_KEY is not set.")
    key = base64.urlsafe_b64encode(hashlib.sha256(secret.encode("utf-8")).digest())
    return Fernet(key)


def encrypt_secret(text: str) -> str:
    """Encrypt a secret for storage."""
    return fernet().encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str | None) -> str | None:
    """Decrypt a stored secret; None when absent or encrypted with another key."""
    if not token:
        return None
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        log.warning(
            "a stored ISV secret could not be decrypted (DASHBOARD_ENCRYPTION_KEY changed?)"
        )
        return None


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


# -- the suite ticket ---------------------------------------------------------------------


@dataclass(frozen=True)
class TicketInfo:
    """The ticket the suite signs with, where it came from and when it arrived."""

    ticket: str | None
    source: str | None  # "callback", "config" or None
    received_at: datetime | None  # naive UTC

    @property
    def age_seconds(self) -> int | None:
        if self.received_at is None:
            return None
        return max(0, int((utcnow() - self.received_at).total_seconds()))

    @property
    def fresh(self) -> bool:
        """A pushed ticket younger than 20 minutes; a configured test ticket never expires."""
        if self.source == "config":
            return True
        age = self.age_seconds
        return age is not None and age < TICKET_FRESH_SECONDS


def _suite_key() -> str:
    return str(current_app.config["DINGTALK_SUITE_KEY"])


def record_ticket(ticket: str, received_at: datetime | None = None) -> None:
    """Store the latest pushed ticket (encrypted in the database, and in the cache)."""
    received_at = received_at or utcnow()
    suite_key = _suite_key()
    row = db.session.execute(
        db.select(SuiteTicket).filter_by(suite_key=suite_key)
    ).scalar_one_or_none()
    if row is None:
        row = SuiteTicket(suite_key=suite_key, ticket_encrypted="")
        db.session.add(row)
    row.ticket_encrypted = encrypt_secret(ticket)
    row.received_at = received_at
    db.session.commit()
    cache.set(
        TICKET_CACHE_KEY + suite_key,
        {"ticket": encrypt_secret(ticket), "received_at": received_at.isoformat()},
        timeout=0,
    )
    log.info("suite ticket received for %s", suite_key)


def latest_ticket() -> TicketInfo:
    """The pushed ticket (cache, then database), else the configured one."""
    suite_key = _suite_key()
    cached = cache.get(TICKET_CACHE_KEY + suite_key)
    if isinstance(cached, dict) and cached.get("ticket"):
        ticket = decrypt_secret(cached["ticket"])
        if ticket:
            return TicketInfo(ticket, "callback", datetime.fromisoformat(cached["received_at"]))
    try:
        row = db.session.execute(
            db.select(SuiteTicket).filter_by(suite_key=suite_key)
        ).scalar_one_or_none()
    except SQLAlchemyError:
        db.session.rollback()
        row = None
    if row is not None:
        ticket = decrypt_secret(row.ticket_encrypted)
        if ticket:
            return TicketInfo(ticket, "callback", row.received_at)
    configured = current_app.config.get("DINGTALK_SUITE_TICKET")
    if configured:
        return TicketInfo(configured, "config", None)
    return TicketInfo(None, None, None)


def current_ticket() -> str | None:
    """The ticket provider handed to the SuiteClient."""
    return latest_ticket().ticket


# -- clients ------------------------------------------------------------------------------


class TrackedTokenStore(CacheTokenStore):
    """The shared cache token store, also remembering each token's expiry for the ISV page."""

    def set(self, key: str, token: str, ttl: int) -> None:
        super().set(key, token, ttl)
        expires_at = datetime.now(UTC) + timedelta(seconds=int(ttl))
        self.cache.set(TOKEN_META_PREFIX + key, expires_at.isoformat(), timeout=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        super().delete(key)
        self.cache.delete(TOKEN_META_PREFIX + key)

    def expires_at(self, key: str) -> datetime | None:
        """When the cached token for ``key`` expires (UTC), or None when none is cached."""
        if self.get(key) is None:
            return None
        value = self.cache.get(TOKEN_META_PREFIX + key)
        return datetime.fromisoformat(value) if isinstance(value, str) else None


def _state(app: Flask) -> dict[str, Any]:
    return app.extensions.setdefault(EXTENSION_KEY, {"suite": None, "limiter": None})


def suite_client() -> SuiteClient:
    """The suite's signed-call client, built once per process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = _state(app)
    if state["suite"] is None:
        cfg = app.config
        check_config(app)
        state["limiter"] = build_rate_limiter(app)
        state["suite"] = SuiteClient(
            cfg["DINGTALK_SUITE_KEY"],
            cfg["DINGTALK_SUITE_SECRET"],
            current_ticket,
            base_url=cfg["DINGTALK_API_BASE"],
            token_store=TrackedTokenStore(cache),
            timeout=cfg["DINGTALK_TIMEOUT"],
            rate_limiter=state["limiter"],
        )
    return state["suite"]


def corp_client(corpid: str | None) -> CorpClient:
    """A client acting for one authorised company (raises NoCompanySelected / UnknownCompany)."""
    if not corpid:
        raise NoCompanySelected("Choose a company first.")
    company = get_company(corpid)
    if company is None:
        raise UnknownCompany(f"{corpid} has not authorised this suite.")
    suite = suite_client()
    cfg = current_app.config
    return suite.corp_client(
        company.corpid,
        agent_id=company.agent_id,
        rate_limiter=_state(current_app)["limiter"],
        max_retries=cfg["DINGTALK_MAX_RETRIES"],
        backoff_base=cfg["DINGTALK_BACKOFF_BASE"],
    )


# -- companies ----------------------------------------------------------------------------


def companies() -> list[AuthorisedCompany]:
    """Companies that currently authorise the suite, by name."""
    return list(
        db.session.execute(
            db.select(AuthorisedCompany)
            .filter_by(suite_key=_suite_key(), authorised=True)
            .order_by(AuthorisedCompany.corp_name, AuthorisedCompany.corpid)
        ).scalars()
    )


def get_company(corpid: str) -> AuthorisedCompany | None:
    """An authorised company by corpid."""
    return db.session.execute(
        db.select(AuthorisedCompany).filter_by(
            suite_key=_suite_key(), corpid=corpid, authorised=True
        )
    ).scalar_one_or_none()


def _company_row(corpid: str) -> AuthorisedCompany:
    row = db.session.execute(
        db.select(AuthorisedCompany).filter_by(suite_key=_suite_key(), corpid=corpid)
    ).scalar_one_or_none()
    if row is None:
        row = AuthorisedCompany(suite_key=_suite_key(), corpid=corpid)
        db.session.add(row)
    return row


def refresh_company(corpid: str, permanent_code: str | None = None) -> AuthorisedCompany:
    """Ask service/get_auth_info about ``corpid`` and store what it says.

    Raises DingTalkError when DingTalk refuses; nothing is stored then.
    """
    info = suite_client().get_auth_info(corpid)
    corp = info.get("auth_corp_info") or {}
    agents = (info.get("auth_info") or {}).get("agent") or []
    agent = agents[0] if agents else {}
    row = _company_row(corpid)
    if not row.authorised or row.id is None:
        row.authorised_at = utcnow()
    row.corp_name = str(corp.get("corp_name") or corpid)[:200]
    row.full_corp_name = str(corp.get("full_corp_name") or "")[:200]
    row.auth_level = _as_int(corp.get("auth_level"), 0)
    row.agent_id = _as_int(agent.get("agentid"), None)
    row.agent_name = str(agent.get("agent_name") or "")[:200]
    row.admin_userid = str((info.get("auth_user_info") or {}).get("userId") or "")[:64]
    if permanent_code:
        row.permanent_code_encrypted = encrypt_secret(permanent_code)
    row.authorised = True
    row.deauthorised_at = None
    row.refreshed_at = utcnow()
    row.last_error = None
    db.session.commit()
    return row


def deauthorise(corpid: str) -> AuthorisedCompany | None:
    """The company removed the suite: keep the row, mark it, forget its token."""
    row = db.session.execute(
        db.select(AuthorisedCompany).filter_by(suite_key=_suite_key(), corpid=corpid)
    ).scalar_one_or_none()
    if row is None:
        return None
    row.authorised = False
    row.deauthorised_at = utcnow()
    row.permanent_code_encrypted = None
    db.session.commit()
    suite_client().token_store.delete(suite_client().token_key(corpid))
    return row


def _as_int(value: Any, default: int | None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# -- callback events ----------------------------------------------------------------------

#: Events that only check the callback URL: answered, never acted on.
CHECK_EVENTS = ("check_url", "check_create_suite_url", "check_update_suite_url")
#: A callback whose signed timestamp is further than this from now is refused.
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
    from dashboard.dingtalk.errors import DingTalkError
    from dashboard.isv.forms import CORPID_RE

    event_type = event_type_of(event)
    corpid = event_field(event, "AuthCorpId", "CorpId")
    if corpid and not CORPID_RE.match(corpid):
        log.warning("isv callback event %s names an unusable corpid; ignored", event_type)
        corpid = ""
    if event_type == "suite_ticket":
        ticket = event_field(event, "SuiteTicket")
        if ticket:
            record_ticket(ticket)
    elif event_type in ("tmp_auth_code", "change_auth") and corpid:
        try:
            refresh_company(corpid, permanent_code=event_field(event, "PermanentCode") or None)
        except DingTalkError as exc:
            db.session.rollback()
            row = _company_row(corpid)
            row.last_error = str(exc)[:500]
            db.session.commit()
            log.warning("get_auth_info for %s after %s failed: %s", corpid, event_type, exc)
        audit.info("isv %s for %s", event_type, corpid)
    elif event_type == "suite_relieve" and corpid:
        deauthorise(corpid)
        audit.info("isv suite_relieve for %s", corpid)
    else:
        log.info("isv callback event %s acknowledged", event_type or "(none)")
    return event_type


# -- the console ----------------------------------------------------------------------------


def selected_corpid() -> str | None:
    """The company chosen in the session (or the only one), if it still authorises the suite."""
    if not has_request_context():
        return None
    corpid = session.get(SESSION_KEY)
    if corpid and get_company(corpid) is not None:
        return corpid
    authorised = companies()
    if len(authorised) == 1:
        return authorised[0].corpid
    return None


def select_company(corpid: str) -> AuthorisedCompany:
    """Make ``corpid`` the session's company (UnknownCompany when it is not authorised)."""
    company = get_company(corpid)
    if company is None:
        raise UnknownCompany(f"{corpid} has not authorised this suite.")
    session[SESSION_KEY] = company.corpid
    return company


@dataclass(frozen=True)
class TokenState:
    """A company's token as the ISV page shows it (never the value)."""

    company: AuthorisedCompany
    cached: bool
    expires_at: datetime | None

    @property
    def seconds_left(self) -> int | None:
        if self.expires_at is None:
            return None
        return max(0, int((self.expires_at - datetime.now(UTC)).total_seconds()))


def token_states() -> list[TokenState]:
    """Each authorised company with whether its token is cached and until when."""
    suite = suite_client()
    store = suite.token_store
    states = []
    for company in companies():
        key = suite.token_key(company.corpid)
        cached = store.get(key) is not None
        expires = store.expires_at(key) if isinstance(store, TrackedTokenStore) else None
        states.append(TokenState(company, cached, expires))
    return states


@dataclass(frozen=True)
class SignatureDebug:
    """The signature debugger's answer; the secret itself is never part of it."""

    timestamp: str
    canonical: str
    signature: str
    url_encoded: str


def debug_signature(timestamp: str, ticket: str) -> SignatureDebug:
    """Canonical string and signature for a timestamp and ticket, signed with the suite secret."""
    from urllib.parse import quote

    signature = suite_client().signature_for(timestamp, ticket)
    return SignatureDebug(
        timestamp=timestamp,
        canonical=canonical_string(timestamp, ticket),
        signature=signature,
        url_encoded=quote(signature, safe=""),
    )
