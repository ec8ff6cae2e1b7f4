"""The checks every v1.0 call goes through, in order (shared/dingtalk-v1.md §0, §2, §9, §10).

IP ban, injected faults, routing (unknown path: HTTP 200 `{"errcode":404}`; a path
without its product segment: `InvalidVersion`), the `x-acs-dingtalk-access-token`
header (400 `AuthenticationFailed.MissingParameter` / `InvalidAuthentication`), the
IP allow-list, rate limits (403 `Forbidden.AccessDenied.*Limit*`), the JSON body
(400 `Missingbody`), then the view. Control pages under /_sandbox/ skip all of it.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from flask import Flask, Response, g, request

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.state import Fault, SandboxState, _prune
from dashboard.sandbox.v1 import errors as E
from dashboard.sandbox.v1.envelope import error_response, unknown_path_response
from dashboard.sandbox.v1.errors import V1Error
from dashboard.sandbox.v1.routing import V1Endpoint, known_products, route_for
from dashboard.sandbox.v1.state import V1State, v1_state

logger = logging.getLogger("dashboard.sandbox")

VERSION_PREFIXES = ("/v1.0/", "/v2.0/")
TOKEN_HEADER = "x-acs-dingtalk-access-token"
#: Calls a path-less fault never hits (as /gettoken on oapi).
TOKEN_PATHS = ("/v1.0/oauth2/accessToken", "/v1.0/oauth2/corpAccessToken")


def is_v1_path(path: str) -> bool:
    return path.startswith(VERSION_PREFIXES)


def install(app: Flask) -> None:
    """Hook the pipeline into the sandbox app (it ignores every non-v1.0 path)."""
    app.before_request(before_v1_call)
    app.after_request(after_v1_call)
    app.register_error_handler(V1Error, v1_error_reply)


def before_v1_call() -> Response | None:
    path = request.path
    if not is_v1_path(path):
        return None
    state = get_state()
    g.v1_path = True
    with state.lock:
        v1 = v1_state(state)
        state.calls[path] += 1
        settings = state.settings
        if settings.ip_ban or not state.check_ip(request.remote_addr or ""):
            from dashboard.sandbox.app import ip_ban_reply

            return ip_ban_reply(settings)
        fault = take_fault(state, path)
    if fault is not None:
        reply = apply_fault(fault)
        if reply is not None:
            return reply
    rule = request.url_rule.rule if request.url_rule else None
    found = route_for(rule, request.method)
    if found is None:
        return missing_route_reply(path)
    endpoint = found[0]
    with state.lock:
        app_id = check_token(state, endpoint)
        g.v1_app_id = app_id
        check_allowlist(state, endpoint, app_id)
        check_permission(state, endpoint, path)
        check_rate(state, v1, endpoint, app_id or request.remote_addr or "", path)
    g.v1_body = read_body(endpoint)
    return None


def after_v1_call(response: Response) -> Response:
    """Count HTTP errors and codes; log method, path, status and code (never the token)."""
    if not g.get("v1_path"):
        return response
    state = get_state()
    code = g.get("v1_code")
    with state.lock:
        if response.status_code != 200:
            state.http_errors[response.status_code] += 1
        if code:
            v1_state(state).codes[code] += 1
        log_requests = state.settings.log_requests
    if log_requests:
        suffix = f" code={code}" if code else ""
        logger.info("%s %s -> %s%s", request.method, request.path, response.status_code, suffix)
    return response


def v1_error_reply(error: V1Error) -> Response:
    g.v1_code = error.code
    response = error_response(error)
    if error.status == 403 and "Limit" in error.code:
        with get_state().lock:
            retry_after = get_state().settings.v1_retry_after
        if retry_after:
            response.headers["Retry-After"] = "1"
    return response


def missing_route_reply(path: str) -> Response:
    """A path of no known product gives InvalidVersion (§0.2); any other, the 404 body."""
    parts = path.split("/")
    if len(parts) > 3 and parts[2] not in known_products():
        with get_state().lock:
            status = get_state().settings.v1_invalid_version_status
        raise V1Error(status, E.INVALID_VERSION)
    return unknown_path_response()


def check_token(state: SandboxState, endpoint: V1Endpoint) -> str | None:
    """The app behind the header token; only the header counts (§1.3, §10.2)."""
    if not endpoint.needs_token:
        return None
    token = request.headers.get(TOKEN_HEADER, "").strip()
    if not token:
        raise V1Error(400, E.MISSING_TOKEN)
    record = state.tokens.get(token)
    if record is None or record.revoked or record.expires_at <= state.clock.now():
        raise V1Error(400, E.INVALID_AUTHENTICATION)
    if record.host != "v1" and not state.settings.v1_cross_host_tokens:
        raise V1Error(400, E.INVALID_AUTHENTICATION)
    return record.app_id


def check_allowlist(state: SandboxState, endpoint: V1Endpoint, app_id: str | None) -> None:
    """ip_allowlist: a call from another address gets 403 (aircodelabs/aircode#46)."""
    allowlist = state.settings.ip_allowlist
    caller = request.remote_addr or ""
    if allowlist and endpoint.needs_token and caller not in allowlist:
        code = state.settings.v1_ip_denied_code
        raise V1Error(403, code, f"访问ip不在白名单之中,request ip={caller}")


#: The permission each product needs (§2.1 accessdenieddetail.requiredScopes).
REQUIRED_SCOPES = {
    "/v1.0/robot/": "qyapi_robot_sendmsg",
    "/v1.0/card/": "Card.Instance.Write",
    "/v1.0/im/": "qyapi_chat_manage",
}


def check_permission(state: SandboxState, endpoint: V1Endpoint, path: str) -> None:
    """`v1_denied_paths`: the app lacks this API's permission (403 + accessdenieddetail)."""
    if endpoint.needs_token and path in state.settings.v1_denied_paths:
        scope = next((s for p, s in REQUIRED_SCOPES.items() if path.startswith(p)), "")
        detail = {"accessdenieddetail": {"requiredScopes": [scope] if scope else []}}
        raise V1Error(403, E.PERMISSION_DENIED, extra=detail)


def check_rate(
    state: SandboxState, v1: V1State, endpoint: V1Endpoint, caller: str, path: str
) -> None:
    """Per (app, API) QPS with its penalty, QPM, all apps per API, the org's month (§9)."""
    settings = state.settings
    now = state.clock.now()
    key = (caller, path)
    if v1.penalties.get(key, 0.0) > now:
        raise V1Error(403, E.QPS_APP_API)
    if settings.v1_global_limit > 0:
        everyone = v1.windows[("*", path)]
        _prune(everyone, now - settings.v1_global_window)
        if len(everyone) >= settings.v1_global_limit:
            raise V1Error(403, E.QPS_API)
    window = v1.windows[key]
    _prune(window, now - 60.0)
    if settings.v1_qps_limit > 0:
        last_second = sum(1 for t in reversed(window) if t > now - 1.0)
        if last_second >= settings.v1_qps_limit:
            if settings.v1_qps_penalty > 0:
                v1.penalties[key] = now + settings.v1_qps_penalty
            raise V1Error(403, E.QPS_APP_API)
    if settings.v1_qpm_limit > 0 and len(window) >= settings.v1_qpm_limit:
        raise V1Error(settings.v1_qpm_status, E.QPM_APP_API)
    if settings.v1_monthly_limit > 0 and endpoint.needs_token and not endpoint.quota_exempt:
        month = time.strftime("%Y-%m", time.gmtime(now + 8 * 3600))
        if v1.monthly[(caller, month)] >= settings.v1_monthly_limit:
            raise V1Error(403, E.MONTHLY_QUOTA)
        v1.monthly[(caller, month)] += 1
    window.append(now)
    if settings.v1_global_limit > 0:
        v1.windows[("*", path)].append(now)


def read_body(endpoint: V1Endpoint) -> dict[str, Any]:
    """POST/PUT bodies are a JSON object sent as application/json, else 400 Missingbody."""
    if endpoint.method == "GET" or request.method in ("GET", "DELETE"):
        return {}
    if not endpoint.takes_body and not request.get_data(cache=True).strip():
        return {}
    raw = request.get_data(cache=True)
    if request.mimetype != "application/json" or not raw.strip():
        raise V1Error(400, E.MISSING_BODY)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise V1Error(400, E.MISSING_BODY) from None
    if not isinstance(body, dict):
        raise V1Error(400, E.MISSING_BODY)
    return body


def take_fault(state: SandboxState, path: str) -> Fault | None:
    """The first pending fault for `path`; path-less faults skip the token endpoints."""
    for fault in state.faults:
        if fault.path == path or (fault.path is None and path not in TOKEN_PATHS):
            fault.remaining -= 1
            if fault.remaining <= 0:
                state.faults.remove(fault)
            return fault
    return None


def apply_fault(fault: Fault) -> Response | None:
    """The v1.0 reply of an injected fault (the oapi kinds mapped onto v1.0 codes)."""
    kind = fault.kind
    params = fault.params
    if kind == "latency":
        time.sleep(float(params.get("seconds", 1.0)))
        return None
    if kind == "http_500":
        return Response(
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
            status=500,
            content_type="text/html; charset=utf-8",
        )
    if kind == "ip_ban":
        from dashboard.sandbox.app import ip_ban_reply

        return ip_ban_reply(get_state().settings)
    errors = {
        "throttle": V1Error(403, E.QPS_APP_API),
        "system_busy": V1Error(500, E.SYSTEM_BUSY),
        "bare_88": V1Error(403, E.QPS_API),
        "token_expired": V1Error(400, E.INVALID_AUTHENTICATION),
        "token_invalid": V1Error(400, E.INVALID_AUTHENTICATION),
    }
    if kind == "errcode":
        error = V1Error(
            int(params.get("status", 400)),
            str(params.get("code") or params.get("errcode") or E.SYSTEM_BUSY),
            params.get("message") or params.get("errmsg"),
        )
    else:
        error = errors[kind]
    return v1_error_reply(error)
