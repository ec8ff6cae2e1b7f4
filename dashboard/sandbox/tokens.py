"""GET /gettoken (§1): one live token per app, reused and extended while valid."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from dashboard.sandbox.errors import INVALID_CORP_SECRET, IP_NOT_ALLOWED, OapiError
from dashboard.sandbox.routing import OapiCall, oapi_route

bp = Blueprint("sandbox_tokens", __name__)


@oapi_route(bp, "/gettoken", "GET", needs_token=False)
def gettoken(call: OapiCall) -> dict[str, Any]:
    """appkey/appsecret (internal app) or corpid/corpsecret (legacy corp form)."""
    settings = call.settings
    params = call.params
    if params.has("appkey") or params.has("appsecret"):
        pair = (params.string("appkey"), params.string("appsecret"))
        expected = (settings.app_key, settings.app_secret)
        app_id = settings.app_key
    else:
        pair = (params.string("corpid"), params.string("corpsecret"))
        expected = (settings.corp_id, settings.corp_secret)
        app_id = settings.corp_id
    if pair != expected:
        raise OapiError(INVALID_CORP_SECRET)
    caller = request.remote_addr or ""
    if settings.ip_allowlist and caller not in settings.ip_allowlist:
        raise OapiError(
            IP_NOT_ALLOWED, f"访问ip不在白名单之中,request ip={caller} appKey({app_id})"
        )
    record = call.state.issue_token(app_id)
    return {"access_token": record.token, "expires_in": settings.token_ttl}
