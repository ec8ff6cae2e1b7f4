"""ISV mode: the suite ticket, the authorised companies, the ISV page's facts.

ISV mode is on when DINGTALK_SUITE_KEY is set (`dashboard.services.dingtalk.isv_mode`).
The suite signs its calls with the latest ticket: the one pushed to
``/isv/callback`` (kept in the database and the cache with its received time),
else DINGTALK_SUITE_TICKET (test suites and custom apps accept any ticket).
The clients (the suite's, each company's) are built in
`dashboard.services.dingtalk`; the callback protocol is in `dashboard.isv.callback`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken
from flask import Flask, current_app, session
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from dashboard.auth.models import utcnow
from dashboard.dingtalk.isv import canonical_string
from dashboard.extensions import cache, db
from dashboard.isv.models import AuthorisedCompany, SuiteTicket
from dashboard.services.dingtalk import (
    SESSION_KEY,
    TrackedTokenStore,
    UnknownCompany,
    authorised_companies,
    authorised_company,
    isv_mode,
    record_company,
    suite_client,
    suite_key,
)

log = logging.getLogger(__name__)
audit = logging.getLogger("dashboard.audit")

TICKET_CACHE_KEY = "isv:ticket:"
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


def record_ticket(ticket: str, received_at: datetime | None = None) -> None:
    """Store the latest pushed ticket (encrypted in the database, and in the cache)."""
    received_at = received_at or utcnow()
    key = suite_key()
    row = db.session.execute(db.select(SuiteTicket).filter_by(suite_key=key)).scalar_one_or_none()
    if row is None:
        row = SuiteTicket(suite_key=key, ticket_encrypted="")
        db.session.add(row)
    row.ticket_encrypted = encrypt_secret(ticket)
    row.received_at = received_at
    db.session.commit()
    cache.set(
        TICKET_CACHE_KEY + key,
        {"ticket": encrypt_secret(ticket), "received_at": received_at.isoformat()},
        timeout=0,
    )
    log.info("suite ticket received for %s", key)


def latest_ticket() -> TicketInfo:
    """The pushed ticket (cache, then database), else the configured one."""
    key = suite_key()
    cached = cache.get(TICKET_CACHE_KEY + key)
    if isinstance(cached, dict) and cached.get("ticket"):
        ticket = decrypt_secret(cached["ticket"])
        if ticket:
            return TicketInfo(ticket, "callback", datetime.fromisoformat(cached["received_at"]))
    try:
        row = db.session.execute(
            db.select(SuiteTicket).filter_by(suite_key=key)
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


# -- companies ----------------------------------------------------------------------------


def refresh_company(corpid: str, permanent_code: str | None = None) -> AuthorisedCompany:
    """Ask service/get_auth_info about ``corpid`` and store what it says.

    Raises DingTalkError when DingTalk refuses; nothing is stored then.
    """
    info = suite_client().get_auth_info(corpid)
    row = record_company(corpid, info)
    if permanent_code:
        row.permanent_code_encrypted = encrypt_secret(permanent_code)
    db.session.commit()
    return row


def deauthorise(corpid: str) -> AuthorisedCompany | None:
    """The company removed the suite: keep the row, mark it, forget its token."""
    row = db.session.execute(
        db.select(AuthorisedCompany).filter_by(suite_key=suite_key(), corpid=corpid)
    ).scalar_one_or_none()
    if row is None:
        return None
    row.authorised = False
    row.deauthorised_at = utcnow()
    row.permanent_code_encrypted = None
    db.session.commit()
    suite_client().token_store.delete(suite_client().token_key(corpid))
    return row


# -- the console ----------------------------------------------------------------------------


def select_company(corpid: str) -> AuthorisedCompany:
    """Make ``corpid`` the session's company (UnknownCompany when it is not authorised)."""
    company = authorised_company(corpid)
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
    for company in authorised_companies():
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
