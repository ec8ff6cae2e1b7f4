"""The emulator's WSGI app and the request pipeline every oapi call goes through.

Order of checks (§12): IP ban, injected faults, routing (404 / 22), HTTP verb
(optional), access token (41001 / 40014 / 42001), rate limits (90002 / 90018 /
90006), body decoding and Content-Type, then the endpoint itself. Control
endpoints under /_sandbox/ skip the pipeline entirely.
"""

from __future__ import annotations

import json
import logging
import re
import time
from typing import Any

from flask import Flask, Response, g, request

from dashboard.sandbox import admin, chats, contacts, contacts_v2, isv, messages, tokens, v1
from dashboard.sandbox.envelope import (
    bare_88_body,
    error_body,
    invalid_method_body,
    json_response,
)
from dashboard.sandbox.errors import (
    APP_QPS,
    EMPTY_BODY,
    GET_REQUIRED,
    INVALID_CONTENT_TYPE,
    INVALID_TOKEN,
    JSON_PARSE,
    MESSAGES,
    MISSING_TOKEN,
    NOT_FOUND_URI,
    POST_REQUIRED,
    SYSTEM_BUSY,
    TOKEN_EXPIRED,
    OapiError,
)
from dashboard.sandbox.params import Params
from dashboard.sandbox.routing import ENDPOINTS, Endpoint, get_state
from dashboard.sandbox.settings import SandboxSettings
from dashboard.sandbox.state import Fault, SandboxState

logger = logging.getLogger("dashboard.sandbox")

CONTROL_PREFIX = "/_sandbox"

# Query parameters of a POST call: the token and the ISV signature (§0.1, §7.1).
QUERY_ONLY_PARAMS = frozenset(
    ("access_token", "accessKey", "timestamp", "suiteTicket", "signature", "corpId")
)

IP_BAN_HTML = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>访问被拒绝</title></head>"
    "<body><h1>访问被拒绝</h1><p>您的访问过于频繁，请稍后再试。</p></body></html>"
)


class RedactQueryFilter(logging.Filter):
    """Strip query strings from werkzeug's access log lines: they carry access_token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _QUERY.sub(r"\1", arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


_QUERY = re.compile(r"^(\S+ [^?\s]*)\?\S*")


def install_log_redaction() -> None:
    """Attach the redaction filter to werkzeug's logger once."""
    werkzeug_logger = logging.getLogger("werkzeug")
    if not any(isinstance(f, RedactQueryFilter) for f in werkzeug_logger.filters):
        werkzeug_logger.addFilter(RedactQueryFilter())


def create_sandbox_app(settings: SandboxSettings | None = None) -> Flask:
    """Build the emulator; `settings` defaults to `SandboxSettings.from_env()`."""
    install_log_redaction()
    app = Flask(__name__)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["sandbox_state"] = SandboxState(settings or SandboxSettings.from_env())
    register_blueprints(app)
    register_pipeline(app)
    return app


def register_blueprints(app: Flask) -> None:
    """One blueprint per oapi area, plus the control endpoints."""
    app.register_blueprint(tokens.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(contacts.bp)
    app.register_blueprint(contacts_v2.bp)
    app.register_blueprint(chats.bp)
    app.register_blueprint(isv.bp)
    app.register_blueprint(admin.bp, url_prefix=CONTROL_PREFIX)
    v1.register(app)  # the v1.0 host (api.dingtalk.com) on the same port, by path


def register_pipeline(app: Flask) -> None:
    """Hooks that apply the cross-cutting oapi rules around every view."""
    app.before_request(before_oapi_call)
    app.after_request(after_oapi_call)
    app.register_error_handler(OapiError, oapi_error_reply)


def is_control_path(path: str) -> bool:
    """Control endpoints are not oapi and are neither counted nor faulted."""
    return path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")


def before_oapi_call() -> Response | None:
    """Run the cross-cutting checks; a returned response short-circuits the view."""
    path = request.path
    if is_control_path(path) or v1.handles(path):
        return None
    state = get_state()
    g.oapi_topapi = path.startswith("/topapi/")
    with state.lock:
        state.calls[path] += 1
        if path == "/gettoken":
            state.gettoken_calls += 1
        settings = state.settings
        if settings.ip_ban or not state.check_ip(request.remote_addr or ""):
            return ip_ban_reply(settings)
        fault = state.take_fault(path)
    if fault is not None:
        reply = apply_fault(fault, path, settings)
        if reply is not None:
            return reply
    endpoint = ENDPOINTS.get(request.url_rule.rule) if request.url_rule else None
    if endpoint is None:
        return unknown_path_reply(path)
    if settings.enforce_http_method and request.method != endpoint.method:
        raise OapiError(GET_REQUIRED if endpoint.method == "GET" else POST_REQUIRED)
    params, body_error = read_params(endpoint)
    g.oapi_params = params
    with state.lock:
        app_id = check_token(state, endpoint, params)
        g.oapi_app_id = app_id
        throttle = state.check_rate(app_id or request.remote_addr or "", path)
    if throttle is not None:
        raise throttle_error(throttle, path, settings)
    if body_error is not None:
        raise body_error
    return None


def after_oapi_call(response: Response) -> Response:
    """Count errors and log method, path and errcode (never the query string)."""
    path = request.path
    if is_control_path(path) or v1.handles(path):
        return response
    state = get_state()
    errcode = g.get("oapi_errcode")
    sub_code = g.get("oapi_sub_code")
    with state.lock:
        if errcode not in (None, 0):
            state.errors[errcode] += 1
        if sub_code:
            state.sub_codes[sub_code] += 1
        if response.status_code != 200:
            state.http_errors[response.status_code] += 1
        log_requests = state.settings.log_requests
    if log_requests:
        logger.info(
            "%s %s -> %s errcode=%s%s",
            request.method,
            path,
            response.status_code,
            errcode,
            f" sub_code={sub_code}" if sub_code else "",
        )
    return response


def oapi_error_reply(error: OapiError) -> Response:
    """Render an OapiError in the envelope of the current path."""
    state = get_state()
    body = error_body(error, g.get("oapi_topapi", False), state.settings)
    return envelope_reply(body)


def envelope_reply(body: dict[str, Any]) -> Response:
    """Send an error envelope and remember its codes for stats and the log."""
    g.oapi_errcode = body.get("errcode")
    g.oapi_sub_code = body.get("sub_code")
    return json_response(body)


def read_params(endpoint: Endpoint) -> tuple[Params, OapiError | None]:
    """Collect query and body parameters; a body problem is reported after the token check.

    access_token is a query parameter (§0.1), or a field of a topapi form body as in
    the vendor's curl examples; a JSON body never carries it. The other fields of a
    POST endpoint come from its body unless `query_params_on_post` (unverified).
    """
    values: dict[str, Any] = request.args.to_dict()
    if request.method != "POST":
        return Params(values), None
    settings = get_state().settings
    if endpoint.method == "POST" and not settings.query_params_on_post:
        values = {k: v for k, v in values.items() if k in QUERY_ONLY_PARAMS}
    raw = request.get_data(cache=True)
    mimetype = request.mimetype
    if mimetype == "application/x-www-form-urlencoded" and endpoint.topapi:
        values.update(request.form.to_dict())
        return Params(values), None
    if mimetype != "application/json":
        if not endpoint.topapi and endpoint.method == "POST" and settings.enforce_content_type:
            return Params(values), OapiError(INVALID_CONTENT_TYPE)
        if not raw.strip():
            return Params(values), None
    if not raw.strip():
        error = OapiError(EMPTY_BODY) if endpoint.method == "POST" else None
        return Params(values), error
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return Params(values), OapiError(JSON_PARSE)
    if not isinstance(body, dict):
        return Params(values), OapiError(JSON_PARSE)
    body.pop("access_token", None)
    values.update(body)
    return Params(values), None


def check_token(state: SandboxState, endpoint: Endpoint, params: Params) -> str | None:
    """The app id behind the access token (41001 missing, 40014 unknown, expired per knob)."""
    if not endpoint.needs_token:
        return None
    token = params.string("access_token")
    if not token:
        if state.settings.v1_header_on_oapi_blank and request.headers.get(
            "x-acs-dingtalk-access-token"
        ):  # the v1.0 header is ignored here (dingtalk-v1.md §0.1)
            raise OapiError(88, "access_token is blank", "40000")
        raise OapiError(MISSING_TOKEN)
    record = state.tokens.get(token)
    if record is None or record.revoked:
        raise OapiError(INVALID_TOKEN)
    if record.host != "oapi" and not state.settings.v1_cross_host_tokens:
        raise OapiError(INVALID_TOKEN)
    if record.expires_at <= state.clock.now():
        code = state.settings.expired_token_errcode
        raise OapiError(code, MESSAGES.get(code))
    return record.app_id


def throttle_error(code: int, path: str, settings: SandboxSettings) -> OapiError:
    """The rate-limit error for `code`, with an errmsg like the real one."""
    if code == 90002:
        return OapiError(
            code,
            f"服务器繁忙，{path} 在 {settings.global_window:g} 秒窗口内调用超过 "
            f"{settings.global_limit} 次，请稍后重试",
        )
    return OapiError(code)


def apply_fault(fault: Fault, path: str, settings: SandboxSettings) -> Response | None:
    """The reply an injected fault produces, or None to let the call continue."""
    topapi = path.startswith("/topapi/")
    kind = fault.kind
    if kind == "latency":
        time.sleep(float(fault.params.get("seconds", 1.0)))
        return None
    if kind == "http_500":
        g.oapi_errcode = None
        return Response(
            "<html><body><h1>500 Internal Server Error</h1></body></html>",
            status=500,
            content_type="text/html; charset=utf-8",
        )
    if kind == "ip_ban":
        return ip_ban_reply(settings)
    if kind == "bare_88":
        return envelope_reply(bare_88_body())
    codes = {
        "throttle": APP_QPS,
        "system_busy": SYSTEM_BUSY,
        "token_expired": TOKEN_EXPIRED,
        "token_invalid": INVALID_TOKEN,
    }
    if kind == "errcode":
        code = int(fault.params.get("errcode", SYSTEM_BUSY))
        error = OapiError(code, fault.params.get("errmsg"), fault.params.get("sub_code"))
    else:
        error = OapiError(codes[kind])
    return envelope_reply(error_body(error, topapi, settings))


def ip_ban_reply(settings: SandboxSettings) -> Response:
    """The IP throttle's reply: not an errcode envelope (§0.1, §10)."""
    g.oapi_errcode = None
    if settings.ip_ban_style == "html":
        return Response(IP_BAN_HTML, status=200, content_type="text/html; charset=utf-8")
    body = {
        "status": 1111,
        "wait": 5,
        "source": "x5",
        "punish": "deny",
        "uuid": "sandbox-" + str(int(time.time() * 1000)),
    }
    return json_response(body)


def unknown_path_reply(path: str) -> Response:
    """errcode 22 for an unknown topapi method, 404 for any other unknown path."""
    if path.startswith("/topapi/"):
        return envelope_reply(invalid_method_body(path))
    return envelope_reply({"errcode": NOT_FOUND_URI, "errmsg": MESSAGES[NOT_FOUND_URI]})
