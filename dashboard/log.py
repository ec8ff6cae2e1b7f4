"""Logging: one JSON (or plain) line per event, with the request id, never a secret.

A filter on the root handler scrubs access tokens, app/suite secrets,
signatures and API tokens from every record, whatever logger wrote it, so a
careless log call elsewhere cannot leak them. The filter and the names it
knows are the client library's (`dashboard.dingtalk.redact`); the app's secret
settings are registered with it here, once, at start.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from collections.abc import Mapping
from typing import Any

from flask import Flask, g, has_request_context, request
from gunicorn import glogging

from dashboard.dingtalk.redact import RedactingFilter, register_secrets

#: The settings whose values are secret: registered once, masked in every log line and reply.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "DINGTALK_APP_SECRET",
    "DINGTALK_CORP_SECRET",
    "DINGTALK_SUITE_SECRET",
    "DINGTALK_SUITE_TICKET",
    "DINGTALK_CALLBACK_TOKEN",
    "DINGTALK_CALLBACK_AES_KEY",
    "DASHBOARD_ENCRYPTION_KEY",
    "DASHBOARD_API_TOKEN",
    "DASHBOARD_ADMIN_PASSWORD",
)


def register_app_secrets(config: Mapping[str, Any]) -> None:
    """The one place the app's secret values are registered with the redaction module."""
    register_secrets(*(config.get(name) for name in SECRET_SETTINGS))


class RequestRedactingFilter(RedactingFilter):
    """The client library's redacting filter, plus the request id of the line."""

    def filter(self, record: logging.LogRecord) -> bool:
        super().filter(record)
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
                    handler.addFilter(RequestRedactingFilter())

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
    register_app_secrets(app.config)
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(RequestRedactingFilter())
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
