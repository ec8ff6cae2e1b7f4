"""The one place the dashboard gets a DingTalk client.

Views call `get_client()` and never build clients or touch `requests`. The
client for the internal app is built once per process and shares the token
store (Flask-Caching, so every worker sees one token) and the rate limiter.
"""

from __future__ import annotations

from flask import Flask, current_app

from dashboard.dingtalk import CacheTokenStore, DingTalkClient
from dashboard.extensions import cache

EXTENSION_KEY = "dingtalk"


class NotConfigured(RuntimeError):
    """The DingTalk app credentials are missing from the configuration."""


def build_rate_limiter(app: Flask):
    """One budget per (app, operation): in Redis when configured, else per process."""
    from dashboard.dingtalk.ratelimit import LocalRateLimiter, RedisRateLimiter

    rate = app.config["DINGTALK_RATE_LIMIT"]
    redis_url = app.config.get("DINGTALK_RATE_LIMIT_REDIS_URL") or app.config.get(
        "CACHE_REDIS_URL"
    )
    if redis_url and app.config.get("CACHE_TYPE", "").lower().endswith("rediscache"):
        import redis

        return RedisRateLimiter(redis.Redis.from_url(redis_url), rate=rate, per=1.0)
    return LocalRateLimiter(rate=rate, per=1.0)


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


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = {"internal": None}


def get_client() -> DingTalkClient:
    """The client acting for the current request's company."""
    state = current_app.extensions[EXTENSION_KEY]
    if state["internal"] is None:
        state["internal"] = build_internal_client(current_app)
    return state["internal"]
