"""The two reply envelopes: classic (plain errcode/errmsg) and topapi.

Every reply is HTTP 200 JSON. topapi replies carry `request_id`; on topapi the
token and permission errors come wrapped as errcode 88 with `sub_code` and
`sub_msg` (§0.1, §12.2), controlled by `wrap_topapi_errors` and
`topapi_wrapped_codes`.
"""

from __future__ import annotations

import json
import secrets
import string
from typing import Any

from flask import Response

from dashboard.sandbox.errors import WRAPPED, OapiError
from dashboard.sandbox.settings import SandboxSettings

_REQUEST_ID_ALPHABET = string.ascii_lowercase + string.digits


def new_request_id() -> str:
    """A request id shaped like the gateway's ("5imjny7u9xwa")."""
    return "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(12))


def json_response(body: dict[str, Any], status: int = 200) -> Response:
    """A JSON body sent as UTF-8 with the exact `application/json` content type."""
    text = json.dumps(body, ensure_ascii=False)
    response = Response(text, status=status, content_type="application/json")
    response.headers["Server"] = "DingTalk/1.0.0"
    return response


def success_body(payload: dict[str, Any], topapi: bool) -> dict[str, Any]:
    """errcode 0 and errmsg "ok" first, then the payload, then request_id on topapi."""
    body: dict[str, Any] = {"errcode": 0, "errmsg": "ok"}
    body.update(payload)
    if topapi:
        body.setdefault("request_id", new_request_id())
    return body


def error_body(error: OapiError, topapi: bool, settings: SandboxSettings) -> dict[str, Any]:
    """The error envelope for `error` on a classic or topapi path."""
    if error.sub_code is not None:
        return wrapped_body(error.sub_code, error.errmsg)
    if topapi and settings.wrap_topapi_errors and error.errcode in settings.topapi_wrapped_codes:
        return wrapped_body(str(error.errcode), error.errmsg)
    body: dict[str, Any] = {"errcode": error.errcode, "errmsg": error.errmsg}
    if topapi:
        body["request_id"] = new_request_id()
    return body


def wrapped_body(sub_code: str, sub_msg: str) -> dict[str, Any]:
    """errcode 88 with the real cause in sub_code/sub_msg."""
    return {
        "errcode": WRAPPED,
        "sub_code": sub_code,
        "sub_msg": sub_msg,
        "errmsg": f"ding talk error[subcode={sub_code},submsg={sub_msg}]",
        "request_id": new_request_id(),
    }


def bare_88_body() -> dict[str, Any]:
    """errcode 88 with no sub_code: the gateway's short temporary ban."""
    return {"errcode": WRAPPED, "errmsg": "ding talk error", "request_id": new_request_id()}


def invalid_method_body(path: str) -> dict[str, Any]:
    """errcode 22 for an unknown topapi method, as captured live."""
    api_name = "dingtalk.oapi." + ".".join(p for p in path.split("/")[2:] if p)
    sub_msg = f"不合法ApiName，ApiName = {api_name}"
    return {
        "errcode": 22,
        "sub_msg": sub_msg,
        "errmsg": f"Invalid method[submsg={sub_msg}]",
        "request_id": new_request_id(),
    }
