"""The one place the dashboard builds a DingTalk client: internal app, suite, each company.

Views call `get_client()` and never build clients or touch `requests`. The
client for the internal app and the suite client are built once per process;
every client shares the token store (Flask-Caching, so every worker sees one
token) and one rate limiter. In ISV mode (`isv_mode()`) `get_client()` is the
`CorpClient` of the company selected in the session, or of the `corpid` passed
in (the JSON API's field). A `corpid` the console has not seen through the
callback is asked about once (service/get_auth_info): adopted when DingTalk
confirms, refused with DingTalk's answer (for a minute) when it does not.

The ISV package (`dashboard.isv`) imports from here, never the other way round:
it hands the suite its ticket with `use_ticket_provider` at start-up.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask, current_app, g, has_request_context, session

from dashboard.auth.models import utcnow
from dashboard.dingtalk import CacheTokenStore, DingTalkClient
from dashboard.dingtalk.errors import DingTalkError
from dashboard.dingtalk.isv import CorpClient, SuiteClient
from dashboard.dingtalk.ratelimit import (
    DEFAULT_MAX_WAIT,
    LocalRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from dashboard.dingtalk.v1 import V1Client
from dashboard.extensions import cache, db
from dashboard.isv.models import CORPID_RE, AuthorisedCompany

log = logging.getLogger(__name__)
audit = logging.getLogger("dashboard.audit")

EXTENSION_KEY = "dingtalk"
#: The session key of the ISV company chosen in the switcher.
SESSION_KEY = "isv_corpid"
#: Beside each cached token: when it expires (for the ISV page).
TOKEN_META_PREFIX = "dingtalk:tokenmeta:"
#: DingTalk's refusal of a corpid nobody saw through the callback, remembered for a while.
REFUSED_PREFIX = "isv:refused:"
REFUSAL_SECONDS = 60


class NotConfigured(RuntimeError):
    """The DingTalk app credentials are missing from the configuration."""


class NoCompanySelected(NotConfigured):
    """ISV mode, and no company was chosen (in the session or as `corpid`)."""


class UnknownCompany(NotConfigured):
    """ISV mode, and the `corpid` asked for has not authorised the suite.

    `message` is DingTalk's answer when it was asked (service/get_auth_info), else "".
    """

    def __init__(self, text: str = "", message: str = "") -> None:
        super().__init__(text or message)
        self.message = message


def build_rate_limiter(app: Flask) -> RateLimiter:
    """One budget per (app, operation): in Redis when configured, else per process.

    Redis is used when DINGTALK_RATE_LIMIT_REDIS_URL is set, or when the cache
    itself is Redis (CACHE_TYPE=RedisCache, same server). Then every worker on
    every host draws on one sliding window, so N workers stay under DingTalk's
    per-app QPS. The per-process fallback is only right for a single worker.
    """
    cfg = app.config
    rate = cfg["DINGTALK_RATE_LIMIT"]
    # A call over the budget waits its turn, at most this long (then Throttled, nothing sent).
    max_wait = float(cfg.get("DINGTALK_RATE_LIMIT_MAX_WAIT", DEFAULT_MAX_WAIT))
    client = _rate_limit_redis(cfg)
    if client is None:
        return LocalRateLimiter(rate=rate, per=1.0, max_wait=max_wait)
    prefix = f"{cfg.get('CACHE_KEY_PREFIX') or ''}dingtalk:ratelimit:"
    return RedisRateLimiter(client, rate=rate, per=1.0, prefix=prefix, max_wait=max_wait)


def _rate_limit_redis(cfg) -> Any | None:
    """A Redis client for the shared rate budget, or None when Redis is not configured."""
    import redis

    if cfg.get("DINGTALK_RATE_LIMIT_REDIS_URL"):
        return redis.Redis.from_url(cfg["DINGTALK_RATE_LIMIT_REDIS_URL"])
    if str(cfg.get("CACHE_TYPE") or "").lower().rsplit(".", 1)[-1] != "rediscache":
        return None
    if cfg.get("CACHE_REDIS_URL"):
        return redis.Redis.from_url(cfg["CACHE_REDIS_URL"])
    return redis.Redis(
        host=cfg.get("CACHE_REDIS_HOST", "localhost"),
        port=int(cfg.get("CACHE_REDIS_PORT", 6379)),
        db=int(cfg.get("CACHE_REDIS_DB", 0)),
        password=cfg.get("CACHE_REDIS_PASSWORD") or None,
    )


def build_internal_client(app: Flask) -> DingTalkClient:
    cfg = app.config
    has_app = cfg.get("DINGTALK_APP_KEY") and cfg.get("DINGTALK_APP_SECRET")
    has_corp = cfg.get("DINGTALK_CORP_ID") and cfg.get("DINGTALK_CORP_SECRET")
    if not (has_app or has_corp):
        raise NotConfigured(
            "Set DINGTALK_APP_KEY and DINGTALK_APP_SECRET (or DINGTALK_CORP_ID and "
            "DINGTALK_CORP_SECRET)."
        )
    agent_id = cfg.get("DINGTALK_AGENT_ID")
    return DingTalkClient(
        app_key=cfg.get("DINGTALK_APP_KEY") if has_app else None,
        app_secret=cfg.get("DINGTALK_APP_SECRET") if has_app else None,
        corp_id=None if has_app else cfg.get("DINGTALK_CORP_ID"),
        corp_secret=None if has_app else cfg.get("DINGTALK_CORP_SECRET"),
        agent_id=int(agent_id) if agent_id else None,
        base_url=cfg["DINGTALK_API_BASE"],
        timeout=cfg["DINGTALK_TIMEOUT"],
        token_store=CacheTokenStore(cache),
        rate_limiter=shared_rate_limiter(app),
        max_retries=cfg["DINGTALK_MAX_RETRIES"],
        backoff_base=cfg["DINGTALK_BACKOFF_BASE"],
    )


def isv_mode(app: Flask | None = None) -> bool:
    """ISV mode: the console acts as a third-party suite (DINGTALK_SUITE_KEY is set).

    The one place this is asked; everything else calls it.
    """
    return bool((app or current_app).config.get("DINGTALK_SUITE_KEY"))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {
        "internal": None,
        "suite": None,
        "limiter": None,
        "ticket_provider": None,
    }


def _state(app: Flask) -> dict[str, Any]:
    if EXTENSION_KEY not in app.extensions:
        init_app(app)
    return app.extensions[EXTENSION_KEY]


def shared_rate_limiter(app: Flask) -> RateLimiter:
    """The one rate limiter of this process: the internal app, the suite and every company."""
    state = _state(app)
    if state["limiter"] is None:
        state["limiter"] = build_rate_limiter(app)
    return state["limiter"]


# -- ISV: the suite and its companies ----------------------------------------------------


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


def use_ticket_provider(app: Flask, provider: Callable[[], str | None]) -> None:
    """The suite signs with the ticket `provider` returns (the ISV package sets it at start-up)."""
    _state(app)["ticket_provider"] = provider


def suite_key() -> str:
    return str(current_app.config["DINGTALK_SUITE_KEY"])


def suite_client() -> SuiteClient:
    """The suite's signed-call client, built once per process."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    state = _state(app)
    if state["suite"] is None:
        cfg = app.config
        if not (cfg.get("DINGTALK_SUITE_KEY") and cfg.get("DINGTALK_SUITE_SECRET")):
            raise NotConfigured("Set DINGTALK_SUITE_KEY and DINGTALK_SUITE_SECRET.")
        provider = state["ticket_provider"] or (lambda: cfg.get("DINGTALK_SUITE_TICKET"))
        state["suite"] = SuiteClient(
            cfg["DINGTALK_SUITE_KEY"],
            cfg["DINGTALK_SUITE_SECRET"],
            provider,
            base_url=cfg["DINGTALK_API_BASE"],
            token_store=TrackedTokenStore(cache),
            timeout=cfg["DINGTALK_TIMEOUT"],
            rate_limiter=shared_rate_limiter(app),
        )
    return state["suite"]


def corp_client(corpid: str | None) -> CorpClient:
    """A client acting for one authorised company (raises NoCompanySelected / UnknownCompany).

    A company not on record is asked about once (`adopt_company`).
    """
    if not corpid:
        raise NoCompanySelected("Choose a company first.")
    company = authorised_company(corpid) or adopt_company(corpid)
    cfg = current_app.config
    return suite_client().corp_client(
        company.corpid,
        agent_id=company.agent_id,
        rate_limiter=shared_rate_limiter(current_app),
        max_retries=cfg["DINGTALK_MAX_RETRIES"],
        backoff_base=cfg["DINGTALK_BACKOFF_BASE"],
    )


def authorised_companies() -> list[AuthorisedCompany]:
    """Companies that currently authorise the suite, by name."""
    return list(
        db.session.execute(
            db.select(AuthorisedCompany)
            .filter_by(suite_key=suite_key(), authorised=True)
            .order_by(AuthorisedCompany.corp_name, AuthorisedCompany.corpid)
        ).scalars()
    )


def authorised_company(corpid: str) -> AuthorisedCompany | None:
    """An authorised company by corpid (None when not on record or deauthorised)."""
    return db.session.execute(
        db.select(AuthorisedCompany).filter_by(
            suite_key=suite_key(), corpid=corpid, authorised=True
        )
    ).scalar_one_or_none()


def company_row(corpid: str) -> AuthorisedCompany:
    """The company's row, authorised or not; a new (unsaved) one when there is none."""
    row = db.session.execute(
        db.select(AuthorisedCompany).filter_by(suite_key=suite_key(), corpid=corpid)
    ).scalar_one_or_none()
    if row is None:
        row = AuthorisedCompany(suite_key=suite_key(), corpid=corpid)
        db.session.add(row)
    return row


def record_company(corpid: str, info: dict[str, Any]) -> AuthorisedCompany:
    """Store what service/get_auth_info said about ``corpid`` (authorised again if it was not)."""
    row = company_row(corpid)
    if not row.authorised or row.id is None:
        row.authorised_at = utcnow()
    row.apply_auth_info(info)
    row.authorised = True
    row.deauthorised_at = None
    row.refreshed_at = utcnow()
    row.last_error = None
    return row


def _refusal_key(corpid: str) -> str:
    digest = hashlib.sha256(f"{suite_key()}\0{corpid}".encode()).hexdigest()
    return REFUSED_PREFIX + digest


def adopt_company(corpid: str) -> AuthorisedCompany:
    """A company not seen through the callback: ask DingTalk once, record it if it confirms.

    The company may have authorised the suite before the console was installed,
    or while a callback was missed. DingTalk's refusal is raised as UnknownCompany
    carrying its message, and remembered for REFUSAL_SECONDS so a wrong corpid
    does not reach DingTalk on every call.
    """
    if not CORPID_RE.match(corpid):
        raise UnknownCompany(f"{corpid!r} is not a corpid.")
    key = _refusal_key(corpid)
    refused = cache.get(key)
    if isinstance(refused, str):
        raise UnknownCompany(f"{corpid} has not authorised this suite.", refused)
    try:
        info = suite_client().get_auth_info(corpid)
    except DingTalkError as exc:
        message = exc.errmsg or str(exc)
        cache.set(key, message, timeout=REFUSAL_SECONDS)
        log.info("get_auth_info refused %s: %s", corpid, message)
        raise UnknownCompany(f"{corpid} has not authorised this suite.", message) from None
    row = record_company(corpid, info)
    db.session.commit()
    audit.info("isv company %s adopted after get_auth_info confirmed it", corpid)
    return row


def selected_corpid() -> str | None:
    """The company chosen in the session (or the only one), if it still authorises the suite."""
    if not has_request_context():
        return None
    corpid = session.get(SESSION_KEY)
    if corpid and authorised_company(corpid) is not None:
        return corpid
    authorised = authorised_companies()
    if len(authorised) == 1:
        return authorised[0].corpid
    return None


def current_company() -> str | None:
    """The ISV company this request acts for (None for an internal app, or none chosen).

    Sends and chats are recorded with it, so each company has its own history.
    """
    if not isv_mode():
        return None
    return (g.get("acting_corpid") if has_request_context() else None) or selected_corpid()


def of_current_company(column):
    """A filter on a `corpid` column: the rows of the company this request acts for."""
    corpid = current_company()
    return column.is_(None) if corpid is None else column == corpid


def act_for_company(corpid: str | None) -> None:
    """Make `corpid` the company of every client fetched in this request (the JSON API)."""
    g.acting_corpid = corpid


def get_client(corpid: str | None = None) -> DingTalkClient:
    """The client acting for the current request's company.

    In ISV mode: the company `corpid`, else the one named for this request by
    `act_for_company`, else the one selected in the session; raises
    NoCompanySelected or UnknownCompany. Call it per request, never keep it.
    """
    if isv_mode():
        corpid = corpid or (g.get("acting_corpid") if has_request_context() else None)
        return corp_client(corpid or selected_corpid())
    state = current_app.extensions[EXTENSION_KEY]
    if state["internal"] is None:
        state["internal"] = build_internal_client(current_app)
    return state["internal"]


# -- the v1.0 host (api.dingtalk.com) -----------------------------------------------------


def _v1_options(app: Flask) -> dict[str, Any]:
    """What every v1.0 client takes from the settings: the host, the retry policy, the
    shared rate budget (the same one as the classic client's)."""
    cfg = app.config
    codes = str(cfg.get("DINGTALK_V1_THROTTLE_CODES") or "")
    return {
        "base_url": cfg.get("DINGTALK_API_V1_BASE") or "https://api.dingtalk.com",
        "timeout": cfg["DINGTALK_TIMEOUT"],
        "rate_limiter": shared_rate_limiter(app),
        "max_retries": cfg["DINGTALK_MAX_RETRIES"],
        "backoff_base": cfg["DINGTALK_BACKOFF_BASE"],
        "throttle_codes": [code.strip() for code in codes.split(",") if code.strip()],
        "retry_server_errors_on_send": bool(cfg.get("DINGTALK_V1_RETRY_SERVER_ERRORS_ON_SEND")),
        "share_classic_token": bool(cfg.get("DINGTALK_V1_SHARE_TOKEN")),
        "max_user_ids": int(cfg.get("DINGTALK_ROBOT_USER_BATCH") or 20),
        "max_msg_param_bytes": int(cfg.get("DINGTALK_ROBOT_MSG_PARAM_MAX_BYTES") or 15000),
        "max_out_track_id": int(cfg.get("DINGTALK_CARD_OUT_TRACK_ID_MAX") or 64),
    }


def build_internal_v1_client(app: Flask) -> V1Client:
    """The internal app's v1.0 client: its token beside the classic one in the same store."""
    cfg = app.config
    if not (cfg.get("DINGTALK_APP_KEY") and cfg.get("DINGTALK_APP_SECRET")):
        raise NotConfigured(
            "Robot messages and cards need DINGTALK_APP_KEY and DINGTALK_APP_SECRET "
            "(the legacy corp id and secret have no v1.0 token)."
        )
    return V1Client.for_app(
        cfg["DINGTALK_APP_KEY"],
        cfg["DINGTALK_APP_SECRET"],
        robot_code=cfg.get("DINGTALK_ROBOT_CODE") or None,
        token_store=CacheTokenStore(cache),
        **_v1_options(app),
    )


def corp_v1_client(corpid: str | None) -> V1Client:
    """The v1.0 client of one authorised company (POST /v1.0/oauth2/corpAccessToken)."""
    if not corpid:
        raise NoCompanySelected("Choose a company first.")
    company = authorised_company(corpid) or adopt_company(corpid)
    suite = suite_client()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    return V1Client.for_suite_corp(
        suite.suite_key,
        str(app.config["DINGTALK_SUITE_SECRET"]),
        suite.ticket_provider,
        company.corpid,
        classic_token_key=suite.token_key(company.corpid),
        robot_code=app.config.get("DINGTALK_ROBOT_CODE") or None,
        token_store=suite.token_store,
        **_v1_options(app),
    )


def get_v1_client(corpid: str | None = None) -> V1Client:
    """The v1.0 client acting for the current request's company, as `get_client()` picks it.

    Call it per request, never keep it. Raises NotConfigured (no app key),
    NoCompanySelected or UnknownCompany.
    """
    if isv_mode():
        corpid = corpid or (g.get("acting_corpid") if has_request_context() else None)
        return corp_v1_client(corpid or selected_corpid())
    state = _state(current_app)
    if state.get("v1") is None:
        state["v1"] = build_internal_v1_client(current_app)
    return state["v1"]
