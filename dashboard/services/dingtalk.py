"""The one place the dashboard gets a DingTalk client.

Views call `get_client()` and never build clients or touch `requests`. The
client for the internal app is built once per process and shares the token
store (Flask-Caching, so every worker sees one token) and the rate limiter.
In ISV mode (DINGTALK_SUITE_KEY set) it is the client of the company selected
in the session, or of the `corpid` passed in (the JSON API's field).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g, has_request_context

from dashboard.dingtalk import CacheTokenStore, DingTalkClient
from dashboard.dingtalk.ratelimit import (
    DEFAULT_MAX_WAIT,
    LocalRateLimiter,
    RateLimiter,
    RedisRateLimiter,
)
from dashboard.extensions import cache

EXTENSION_KEY = "dingtalk"


class NotConfigured(RuntimeError):
    """The DingTalk app credentials are missing from the configuration."""


class NoCompanySelected(NotConfigured):
    """ISV mode, and no company was chosen (in the session or as `corpid`)."""


class UnknownCompany(NotConfigured):
    """ISV mode, and the `corpid` asked for has not authorised the suite."""


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
        rate_limiter=build_rate_limiter(app),
        max_retries=cfg["DINGTALK_MAX_RETRIES"],
        backoff_base=cfg["DINGTALK_BACKOFF_BASE"],
    )


def isv_mode(app: Flask | None = None) -> bool:
    """ISV mode: the console acts as a third-party suite (DINGTALK_SUITE_KEY is set).

    The one place this is asked; everything else calls it.
    """
    return bool((app or current_app).config.get("DINGTALK_SUITE_KEY"))


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {"internal": None}


def current_company() -> str | None:
    """The ISV company this request acts for (None for an internal app, or none chosen).

    Sends and chats are recorded with it, so each company has its own history.
    """
    if not isv_mode():
        return None
    from dashboard.isv import service as isv

    return (g.get("acting_corpid") if has_request_context() else None) or isv.selected_corpid()


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
        from dashboard.isv import service as isv

        corpid = corpid or (g.get("acting_corpid") if has_request_context() else None)
        return isv.corp_client(corpid or isv.selected_corpid())
    state = current_app.extensions[EXTENSION_KEY]
    if state["internal"] is None:
        state["internal"] = build_internal_client(current_app)
    return state["internal"]
