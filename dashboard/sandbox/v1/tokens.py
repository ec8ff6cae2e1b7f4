"""Access tokens of the v1.0 host (§1): one token per app, valid on both hosts (§1.4)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from dashboard.sandbox.params import Params
from dashboard.sandbox.routing import ENDPOINTS, OapiCall
from dashboard.sandbox.v1.errors import V1Error, bad_request
from dashboard.sandbox.v1.routing import V1Call, v1_route

bp = Blueprint("sandbox_v1_tokens", __name__)


@v1_route(bp, "/v1.0/oauth2/accessToken", "POST", needs_token=False, quota_exempt=True)
def access_token(call: V1Call) -> dict[str, Any]:
    """{appKey, appSecret} -> {accessToken, expireIn}; a repeat returns the same token, extended."""
    settings = call.settings
    app_key = call.string("appKey", required=True)
    app_secret = call.string("appSecret", required=True)
    if (app_key, app_secret) != (settings.app_key, settings.app_secret):
        raise bad_request("invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    caller = request.remote_addr or ""
    if settings.ip_allowlist and caller not in settings.ip_allowlist:
        raise V1Error(
            403,
            "Forbidden.AccessDenied.IpNotInWhiteList",
            f"访问ip不在白名单之中,request ip={caller}",
        )
    record = call.state.issue_token(settings.app_key, host="v1")
    return {"accessToken": record.token, "expireIn": settings.token_ttl}


@v1_route(bp, "/v1.0/oauth2/corpAccessToken", "POST", needs_token=False, quota_exempt=True)
def corp_access_token(call: V1Call) -> dict[str, Any]:
    """ISV: {authCorpId, suiteKey, suiteSecret, suiteTicket}; a repeat returns a new token."""
    from dashboard.sandbox.isv import issue_corp_token, isv_state

    isv = isv_state(call.state)
    corpid = call.string("authCorpId", required=True)
    suite_key = call.string("suiteKey", required=True)
    suite_secret = call.string("suiteSecret", required=True)
    ticket = call.string("suiteTicket", required=True)
    if (suite_key, suite_secret) != (isv.settings.suite_key, isv.settings.suite_secret):
        raise bad_request("invalidSuiteKey", "suitekey不合法")
    if isv.settings.strict_ticket and ticket != isv.current_ticket:
        raise bad_request("invalidSuiteTicket", "suiteTicket不合法")
    corp = isv.corps.get(corpid)
    if corp is None or not corp.authorised:
        raise bad_request("invalidAuthCorpId", "企业未授权该应用")
    isv.corp_token_calls[corpid] = isv.corp_token_calls.get(corpid, 0) + 1
    oapi_call = OapiCall(call.state, Params({}), None, ENDPOINTS["/service/get_corp_token"])
    token = issue_corp_token(oapi_call, isv, corpid)
    call.state.tokens[token].host = "v1"
    return {"accessToken": token, "expireIn": call.settings.token_ttl}


@v1_route(bp, "/v1.0/oauth2/suiteAccessToken", "POST", needs_token=False, quota_exempt=True)
def suite_access_token(call: V1Call) -> dict[str, Any]:
    """ISV: the suite's own token, {suiteKey, suiteSecret, suiteTicket}."""
    from dashboard.sandbox.isv import isv_state

    isv = isv_state(call.state)
    suite_key = call.string("suiteKey", required=True)
    suite_secret = call.string("suiteSecret", required=True)
    ticket = call.string("suiteTicket", required=True)
    if (suite_key, suite_secret) != (isv.settings.suite_key, isv.settings.suite_secret):
        raise bad_request("invalidSuiteKey", "suitekey不合法")
    if isv.settings.strict_ticket and ticket != isv.current_ticket:
        raise bad_request("invalidSuiteTicket", "suiteTicket不合法")
    record = call.state.issue_token(suite_key, host="v1")
    return {"accessToken": record.token, "expireIn": call.settings.token_ttl}


@v1_route(bp, "/v1.0/oauth2/<corp_id>/token", "POST", needs_token=False, quota_exempt=True)
def unified_token(call: V1Call, corp_id: str) -> dict[str, Any]:
    """The "unified" endpoint (snake_case): client_credentials of the internal app."""
    settings = call.settings
    if corp_id != settings.corp_id:
        raise V1Error(500, "unknownError", "未知错误")
    client_id = call.string("client_id", required=True)
    client_secret = call.string("client_secret", required=True)
    if call.string("grant_type", required=True) != "client_credentials":
        raise bad_request("invalidGrantType", "grant_type不合法")
    if (client_id, client_secret) != (settings.app_key, settings.app_secret):
        raise bad_request("invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    record = call.state.issue_token(settings.app_key, host="v1")
    return {"access_token": record.token, "expires_in": settings.token_ttl}
