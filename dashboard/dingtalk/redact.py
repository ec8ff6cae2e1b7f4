"""Redaction of tokens and secrets from anything that may end up in a log or an exception."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

REDACTED = "***"

#: Query/form and JSON names whose values are secret.
SECRET_NAMES = (
    "access_token",
    "appsecret",
    "corpsecret",
    "signature",
    "suite_access_token",
    "suite_secret",
    "suiteTicket",
    "suite_ticket",
    "accessToken",
    "appSecret",
)

_NAMES = "|".join(re.escape(name) for name in SECRET_NAMES)
_QUERY_RE = re.compile(rf"(?i)\b({_NAMES})=([^&\s\"'#]*)")
_JSON_RE = re.compile(rf"(?i)([\"']({_NAMES})[\"']\s*:\s*[\"'])([^\"']*)([\"'])")


def redact(text: object, secrets: Iterable[str | None] = ()) -> str:
    """Return ``str(text)`` with secret query parameters, JSON fields and known values masked."""
    result = str(text)
    result = _QUERY_RE.sub(lambda m: f"{m.group(1)}={REDACTED}", result)
    result = _JSON_RE.sub(lambda m: f"{m.group(1)}{REDACTED}{m.group(4)}", result)
    for secret in secrets:
        if secret and len(secret) >= 4:
            result = result.replace(secret, REDACTED)
    return result


class RedactingFilter(logging.Filter):
    """Logging filter that masks secrets in the fully formatted message of every record.

    Installed on ``urllib3.connectionpool``, which logs each request line (and so
    the ``access_token``/``appsecret`` query parameters) at DEBUG level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must not break logging
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = ()
        return True


_FILTER = RedactingFilter()


def install_log_redaction(logger_names: Iterable[str] = ("urllib3.connectionpool",)) -> None:
    """Attach the redacting filter to third-party loggers that print request URLs (idempotent)."""
    for name in logger_names:
        target = logging.getLogger(name)
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
