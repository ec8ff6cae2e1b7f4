"""The one redaction of tokens and secrets: in text, in data, in log records.

Everything that may reach a log line, an exception's ``str()``/``repr()`` or a
reply goes through :func:`redact` (text) or :func:`scrub` (nested data):

- ``name=value`` in query strings and form bodies, ``"name": "value"`` in JSON
  and in a logged Python dict, ``Name: value`` headers, where the name is one of
  :data:`SECRET_NAMES` (compared without case, ``_`` or ``-``, so ``suiteTicket``,
  ``SuiteTicket`` and ``suite_ticket`` are one name);
- ``Bearer <token>`` and the password of ``scheme://user:password@host``;
- every *known value*: the secrets registered once with :func:`register_secrets`
  (the app's configuration, registered by the dashboard at start) and the ones a
  caller passes for one call (the access token it holds).

No other module keeps a list of secret names or a redaction regex.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

REDACTED = "***"
#: Shorter values are not masked by value (they would mangle ordinary text); names still are.
MIN_SECRET_LENGTH = 6

#: The one list of names whose values are secret (query, form, JSON, header names).
SECRET_NAMES: tuple[str, ...] = (
    # gettoken and every call's token
    "access_token",
    "appsecret",
    "app_secret",
    "corpsecret",
    "corp_secret",
    "client_secret",
    "refresh_token",
    "jsapi_ticket",
    # the ISV suite: its secret, ticket and token, the companies' codes, the signed calls
    "suite_secret",
    "suite_ticket",
    "suite_access_token",
    "permanent_code",
    "auth_code",
    "tmp_auth_code",
    "signature",
    "msg_signature",
    # the callback's keys
    "aes_key",
    "encoding_aes_key",
    # the new API's header
    "x-acs-dingtalk-access-token",
    # the dashboard's own
    "password",
    "secret_key",
    "api_token",
    "token",
)


def _normal(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


_NORMAL_NAMES = frozenset(_normal(name) for name in SECRET_NAMES)


def is_secret_name(name: str) -> bool:
    """True for any spelling of a name in :data:`SECRET_NAMES` (``accessToken``, ``SuiteTicket``)."""
    return _normal(name) in _NORMAL_NAMES


# ASCII names: in "不合法的access_token=..." the name starts after the Chinese text.
# name=value (query strings, form bodies, "errmsg: 不合法的access_token=...")
_QUERY_RE = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)=([^&\s\"'#]*)", re.ASCII)
# "name": "value" (JSON) and 'name': 'value' (a logged dict)
_JSON_RE = re.compile(r"""(["'])([A-Za-z][\w-]*)\1(\s*:\s*)(["'])((?:\\.|(?!\4).)*)\4""", re.ASCII)
# Name: value (HTTP headers as they are printed)
_HEADER_RE = re.compile(r"(?<![\w-])([A-Za-z][\w-]*)(\s*:\s*)(?![\"'])([^\s,;]+)", re.ASCII)
_BEARER_RE = re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD_RE = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(@)")


def _query(match: re.Match[str]) -> str:
    name = match.group(1)
    return f"{name}={REDACTED}" if is_secret_name(name) and match.group(2) else match.group(0)


def _json(match: re.Match[str]) -> str:
    if not is_secret_name(match.group(2)) or not match.group(5):
        return match.group(0)
    quote, name, colon, value_quote = match.group(1, 2, 3, 4)
    return f"{quote}{name}{quote}{colon}{value_quote}{REDACTED}{value_quote}"


def _header(match: re.Match[str]) -> str:
    name = match.group(1)
    if not is_secret_name(name) or match.group(3) == REDACTED:
        return match.group(0)
    return f"{name}{match.group(2)}{REDACTED}"


class KnownSecrets:
    """The secret values of this process, masked wherever they appear (thread-safe).

    Registration is once per value (configuration at start, a token when it is
    fetched); the pattern is rebuilt only when a new value arrives.
    """

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def register(self, *values: object) -> None:
        new = {str(v) for v in values if v and len(str(v)) >= MIN_SECRET_LENGTH}
        with self._lock:
            if new - self._values:
                self._values |= new
                self._pattern = _alternation(self._values)

    def forget(self, *values: object) -> None:
        """Drop values (tests that register their own)."""
        with self._lock:
            self._values -= {str(v) for v in values}
            self._pattern = _alternation(self._values) if self._values else None

    @property
    def values(self) -> frozenset[str]:
        return frozenset(self._values)

    def mask(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern is not None else text


def _alternation(values: Iterable[str]) -> re.Pattern[str]:
    # longest first, so a secret that contains another is masked whole
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


#: The process's known secret values (one registry).
KNOWN = KnownSecrets()


def register_secrets(*values: object) -> None:
    """Register secret values (None, empty and short ones are ignored) for every later redaction."""
    KNOWN.register(*values)


def redact(text: object, secrets: Iterable[object | None] = ()) -> str:
    """``str(text)`` with secret names' values, bearer tokens, URL passwords and known values masked.

    ``secrets`` adds values known to this call only (e.g. the token the client holds).
    """
    result = str(text)
    extra = [str(s) for s in secrets if s and len(str(s)) >= MIN_SECRET_LENGTH]
    if extra:
        result = _alternation(extra).sub(REDACTED, result)
    result = KNOWN.mask(result)
    if "=" in result:
        result = _QUERY_RE.sub(_query, result)
    if ":" in result:
        result = _JSON_RE.sub(_json, result)
        result = _HEADER_RE.sub(_header, result)
        result = _URL_PASSWORD_RE.sub(rf"\1{REDACTED}\2", result)
    return _BEARER_RE.sub(rf"\1{REDACTED}", result)


def scrub(value: Any, secrets: Iterable[object | None] = ()) -> Any:
    """A copy of nested data (dicts, lists, strings) with every secret masked.

    Strings are redacted; a value under a secret name (``{"access_token": ...}``)
    is masked whole.
    """
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {
            k: REDACTED
            if isinstance(k, str) and is_secret_name(k) and v not in (None, "")
            else scrub(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Masks secrets in a record: the formatted message, the traceback, and ``extra`` fields.

    The message is rendered once and kept scrubbed (``args`` dropped), so no
    handler or formatter can print the raw arguments.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record must not break logging
            return True
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields:
            record.fields = scrub(fields)
        return True


_FILTER = RedactingFilter()


def install_log_redaction(logger_names: Iterable[str] = ("urllib3.connectionpool",)) -> None:
    """Attach the redacting filter to third-party loggers that print request URLs (idempotent)."""
    for name in logger_names:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(_FILTER)
