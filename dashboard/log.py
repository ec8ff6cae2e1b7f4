"""Logging: one JSON (or plain) line per event, with the request id, never a secret.

A filter on the root handler scrubs access tokens, app/suite secrets,
signatures and API tokens from every record, whatever logger wrote it, so a
careless log call elsewhere cannot leak them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid

from flask import Flask, g, has_request_context, request
from gunicorn import glogging

_SECRET_KEYS = (
    r"access_token|accessToken|appsecret|app_secret|corpsecret|corp_secret|suite_secret|"
    r"suiteSecret|suiteTicket|suite_ticket|permanent_code|permanentCode|auth_code|authCode|"
    r"password|api_token|token"
)
# key=value in URLs and form bodies (suite_access_token= ends in access_token=)
_QUERY_SECRET = re.compile(rf"(?i)((?:{_SECRET_KEYS})=)[^&\s\"']+")
# "key": "value" in JSON, and 'key': 'value' in a logged Python dict
_JSON_SECRET = re.compile(rf"""(?i)(["'](?:\w*_)?(?:{_SECRET_KEYS})["']\s*:\s*["'])[^"']+""")
# x-acs-dingtalk-access-token: value (the new API's header)
_HEADER_SECRET = re.compile(r"(?i)(access-token[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9._~+/=-]+")
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


class SecretValues:
    """Exact secret values known to the app (config), scrubbed wherever they appear."""

    values: set[str] = set()

    @classmethod
    def register(cls, *values: str | None) -> None:
        cls.values.update(v for v in values if v and len(v) >= 6)


def redact(text: str) -> str:
    text = _QUERY_SECRET.sub(r"\1***", text)
    text = _JSON_SECRET.sub(r"\1***", text)
    text = _HEADER_SECRET.sub(r"\1***", text)
    text = _BEARER.sub(r"\1***", text)
    for value in SecretValues.values:
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """Render the message once, scrub it, and keep the scrubbed text only."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        fields = getattr(record, "fields", None)
        if fields:
            record.fields = {k: redact(v) if isinstance(v, str) else v for k, v in fields.items()}
        if not getattr(record, "request_id", None):
            record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JSONFormatter(logging.Formatter):
    """One JSON object per line; fields passed as ``extra={"fields": {...}}`` are merged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger writing JSON lines through the redacting filter.

    The access line carries the path without its query string (a token could
    sit there) and the request id the app echoed in ``X-Request-Id``, so it
    joins the app's own lines for the same request.
    """

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(JSONFormatter())
                if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                    handler.addFilter(RedactingFilter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = dict((k.lower(), v) for k, v in (resp.headers or []))
        method = environ.get("REQUEST_METHOD", "-")
        path = environ.get("PATH_INFO", "-")
        fields = {
            "request_id": headers.get("x-request-id", "-"),
            "remote": environ.get("REMOTE_ADDR", "-"),
            "method": method,
            "path": path,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
        }
        self.access_log.info("%s %s %s", method, path, status, extra={"fields": fields})


def configure_logging(app: Flask) -> None:
    SecretValues.register(
        app.config.get("DINGTALK_APP_SECRET"),
        app.config.get("DINGTALK_CORP_SECRET"),
        app.config.get("DINGTALK_SUITE_SECRET"),
        app.config.get("DASHBOARD_API_TOKEN"),
        app.config.get("DASHBOARD_ADMIN_PASSWORD"),
        app.config.get("SECRET_KEY"),
        app.config.get("DASHBOARD_ENCRYPTION_KEY"),
        app.config.get("DINGTALK_CALLBACK_AES_KEY"),
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RedactingFilter())
    if app.config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")
        )
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_dashboard", False):
            root.removeHandler(existing)
    handler._dashboard = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    for noisy in ("urllib3", "werkzeug", "redis"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = (
            incoming if re.fullmatch(r"[A-Za-z0-9-]{8,64}", incoming) else uuid.uuid4().hex
        )

    @app.after_request
    def echo_request_id(response):
        response.headers["X-Request-Id"] = g.get("request_id", "")
        return response
