"""Replies of the v1.0 host: bare payloads on success, `{code, message, requestid}` on error."""

from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response

from dashboard.sandbox.v1.errors import V1Error

CONTENT_TYPE = "application/json;charset=utf-8"


def new_request_id() -> str:
    """A 36-character upper-case hex id with dashes, like the gateway's requestid."""
    return str(uuid.uuid4()).upper()


def v1_response(body: Any, status: int = 200) -> Response:
    """JSON with the exact `application/json;charset=utf-8` content type (§0.1)."""
    text = json.dumps(body, ensure_ascii=False)
    response = Response(text, status=status, content_type=CONTENT_TYPE)
    response.headers["Server"] = "DingTalk/1.0.0"
    return response


def error_body(error: V1Error) -> dict[str, Any]:
    """Exactly the lower-case keys of §2.1, plus any extra (accessdenieddetail)."""
    body: dict[str, Any] = {
        "code": error.code,
        "requestid": new_request_id(),
        "message": error.message,
    }
    body.update(error.extra)
    return body


def error_response(error: V1Error) -> Response:
    """The error envelope with the error's HTTP status."""
    return v1_response(error_body(error), error.status)


def unknown_path_response() -> Response:
    """api.dingtalk.com's unknown path: HTTP 200 with the classic 404 body (§0.2, probe P12)."""
    return v1_response({"errcode": 404, "errmsg": "请求的URI地址不存在"})
