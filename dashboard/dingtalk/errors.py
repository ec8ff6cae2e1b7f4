"""Typed errors for the DingTalk oapi envelope and for transport failures.

Every error carries ``errcode, errmsg, sub_code, sub_msg, request_id, path``;
``path`` never includes the query string, and ``str()``/``repr()`` are redacted
so that no token or secret can leak through an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .redact import redact

#: Token codes that mean "drop the cached token, fetch a new one and retry once".
REFRESH_CODES = frozenset({40014, 42001, 40001, 33001})
#: All token-related codes (41001 = token missing: a client bug, never retried).
TOKEN_CODES = REFRESH_CODES | {41001}
#: Codes that mean "back off and retry" (§9/§10 of the reference).
THROTTLE_CODES = frozenset(
    {-1, 45009, 90002, 90005, 90006, 90018, 90019, 143103, 143104, 143203, 143204}
    | set(range(90001, 90015))
)
NOT_FOUND_CODES = frozenset({60003, 60121, 33012, 404})
PERMISSION_CODES = frozenset({60011, 43007, 60020, 50002, 90020})
CREDENTIALS_CODES = frozenset({40089, 40001})
#: 400002 ("invalid parameter") means "unknown or expired task" on these paths.
TASK_PATHS = frozenset(
    {
        "/topapi/message/corpconversation/getsendprogress",
        "/topapi/message/corpconversation/getsendresult",
        "/topapi/message/corpconversation/recall",
    }
)
GETTOKEN_PATH = "/gettoken"
#: Suggested waits (seconds) per throttling code; DingTalk sends no Retry-After.
_RETRY_AFTER = {90005: 60.0, 90006: 60.0}


class DingTalkError(Exception):
    """Base class of every error raised by the client."""

    def __init__(
        self,
        message: str = "",
        *,
        errcode: int | None = None,
        errmsg: str | None = None,
        sub_code: str | None = None,
        sub_msg: str | None = None,
        request_id: str | None = None,
        path: str | None = None,
    ) -> None:
        self.errcode = errcode
        self.errmsg = redact(errmsg) if errmsg is not None else None
        self.sub_code = sub_code
        self.sub_msg = redact(sub_msg) if sub_msg is not None else None
        self.request_id = request_id
        self.path = _strip_query(path)
        self.message = redact(message or self._default_message())
        super().__init__(self.message)

    def _default_message(self) -> str:
        parts = []
        if self.errcode is not None:
            parts.append(f"errcode={self.errcode}")
        if self.errmsg:
            parts.append(f"errmsg={self.errmsg!r}")
        if self.sub_code:
            parts.append(f"sub_code={self.sub_code}")
        if self.sub_msg:
            parts.append(f"sub_msg={self.sub_msg!r}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        detail = " ".join(parts) or "error"
        return f"{self.path}: {detail}" if self.path else detail

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"

    @property
    def code(self) -> int | None:
        """The code that decides the error: ``sub_code`` under errcode 88, else ``errcode``."""
        return effective_code(self.errcode, self.sub_code)


class ApiError(DingTalkError):
    """DingTalk answered with an error: ``errcode != 0`` (oapi), or a v1.0 error envelope.

    A v1.0 error (HTTP 4xx/5xx with ``code``/``message``/``requestid``) keeps
    ``api_code`` (the string code, e.g. ``InvalidAuthentication``), ``status_code``
    (the HTTP status), ``errmsg`` (its ``message``), ``request_id`` (its
    ``requestid``) and ``required_scopes`` (``accessdenieddetail.requiredScopes``);
    its ``errcode`` and ``code`` are None.
    """

    def __init__(
        self,
        message: str = "",
        *,
        api_code: str | None = None,
        status_code: int | None = None,
        required_scopes: tuple[str, ...] | list[str] = (),
        **kw: Any,
    ) -> None:
        self.api_code = api_code
        self.status_code = status_code
        self.required_scopes = tuple(str(scope) for scope in required_scopes)
        super().__init__(message, **kw)

    def _default_message(self) -> str:
        if self.api_code is None:
            return super()._default_message()
        parts = [f"HTTP {self.status_code}"] if self.status_code is not None else []
        parts.append(f"code={self.api_code}")
        if self.errmsg:
            parts.append(f"message={self.errmsg!r}")
        if self.required_scopes:
            parts.append(f"requiredScopes={','.join(self.required_scopes)}")
        if self.request_id:
            parts.append(f"requestid={self.request_id}")
        detail = " ".join(parts)
        return f"{self.path}: {detail}" if self.path else detail


class TokenError(ApiError):
    """The access token is invalid, expired or missing (40014, 42001, 40001, 33001, 41001)."""


class CredentialsError(TokenError):
    """gettoken refused the app's key/secret (40089, or 40001 on gettoken)."""


class Throttled(ApiError):
    """Rate limited or system busy; raised after the backoff attempts are exhausted."""

    def __init__(
        self, message: str = "", *, retry_after: float | None = None, attempts: int = 1, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.attempts = attempts


class NotFound(ApiError):
    """The department, user, chat or task does not exist (60003, 60121, 33012, 404, ...)."""


class PermissionDenied(ApiError):
    """The app lacks a permission or scope, or the caller IP/quota is refused."""


class InvalidRequest(ApiError):
    """Any other API error: invalid parameter, unknown method, group limits, ..."""


class PaginationError(DingTalkError):
    """A paged listing did not advance (same offset/cursor) or exceeded its page cap."""


class TransportError(DingTalkError):
    """No usable DingTalk envelope came back (timeout, connection, status, body)."""

    def __init__(
        self,
        message: str = "",
        *,
        status_code: int | None = None,
        retryable: bool = False,
        **kw: Any,
    ) -> None:
        self.status_code = status_code
        self.retryable = retryable
        super().__init__(message, **kw)


class RequestTimeout(TransportError):
    """The request timed out; for a send, ``outcome_unknown`` is True (it may have been sent)."""

    def __init__(self, message: str = "", *, outcome_unknown: bool = False, **kw: Any) -> None:
        self.outcome_unknown = outcome_unknown
        super().__init__(message, **kw)


class HTTPStatusError(TransportError):
    """The HTTP status was not 200."""


class InvalidResponse(TransportError):
    """The body was not a JSON errcode envelope (e.g. the IP-ban block page)."""


class InvalidMessage(ValueError):
    """Local validation failed before anything was sent; ``field`` names the culprit."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


def effective_code(errcode: int | None, sub_code: str | None) -> int | None:
    """Return the numeric code that classifies an envelope (``sub_code`` wins under 88)."""
    if errcode == 88 and sub_code not in (None, ""):
        try:
            return int(str(sub_code))
        except ValueError:
            return errcode
    return errcode


def error_class_for(errcode: int, sub_code: str | None, path: str | None) -> type[ApiError]:
    """Pick the exception class for an error envelope."""
    code = effective_code(errcode, sub_code)
    if errcode == 88 and sub_code in (None, ""):
        return Throttled
    if path == GETTOKEN_PATH and code in CREDENTIALS_CODES:
        return CredentialsError
    if code in TOKEN_CODES:
        return TokenError
    if code in THROTTLE_CODES:
        return Throttled
    if code in NOT_FOUND_CODES or (code == 400002 and path in TASK_PATHS):
        return NotFound
    if code in PERMISSION_CODES:
        return PermissionDenied
    return InvalidRequest


def error_from_body(body: Mapping[str, Any], path: str | None) -> ApiError:
    """Build the typed exception for a decoded envelope with ``errcode != 0``."""
    errcode = _as_int(body.get("errcode"))
    raw_sub = body.get("sub_code")
    sub_code = None if raw_sub in (None, "") else str(raw_sub)
    cls = error_class_for(errcode, sub_code, _strip_query(path))
    kw: dict[str, Any] = {
        "errcode": errcode,
        "errmsg": _as_str(body.get("errmsg")),
        "sub_code": sub_code,
        "sub_msg": _as_str(body.get("sub_msg")),
        "request_id": _as_str(body.get("request_id")),
        "path": path,
    }
    if cls is Throttled:
        code = effective_code(errcode, sub_code)
        return Throttled(retry_after=_RETRY_AFTER.get(code or 0, 1.0), **kw)
    return cls(**kw)


def is_refreshable(error: DingTalkError) -> bool:
    """True for token errors that a fresh token can cure (not 41001, not bad credentials)."""
    return (
        isinstance(error, TokenError)
        and not isinstance(error, CredentialsError)
        and error.code in REFRESH_CODES
    )


def _strip_query(path: str | None) -> str | None:
    if path is None:
        return None
    return path.split("?", 1)[0]


def _as_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


# --- errors on record -------------------------------------------------------------------

_TRANSPORT_KINDS: dict[str, type[TransportError]] = {
    "timeout": RequestTimeout,
    "http_status": HTTPStatusError,
    "invalid_response": InvalidResponse,
    "transport": TransportError,
}


def error_record(error: DingTalkError) -> dict[str, Any]:
    """What DingTalk answered, as plain data to store beside an attempt (already redacted).

    An envelope keeps its wire fields (errcode 88 with its sub_code as it came); a
    failure without one keeps its kind and HTTP status. ``error_from_record``
    rebuilds the same typed error, so a reply made later (another process, after
    the queue delivered) answers as the call itself would have.
    """
    if isinstance(error, ApiError) and error.api_code is not None:
        envelope = {"code": error.api_code, "message": error.errmsg, "requestid": error.request_id}
        if error.required_scopes:
            envelope["accessdenieddetail"] = {"requiredScopes": list(error.required_scopes)}
        return {"v1_envelope": envelope, "status_code": error.status_code, "path": error.path}
    if isinstance(error, ApiError):
        fields = ("errcode", "errmsg", "sub_code", "sub_msg", "request_id")
        return {"envelope": {name: getattr(error, name) for name in fields}, "path": error.path}
    kind = "transport"
    for name, cls in _TRANSPORT_KINDS.items():
        if type(error) is cls:
            kind = name
    return {
        "kind": kind,
        "status_code": getattr(error, "status_code", None),
        "outcome_unknown": bool(getattr(error, "outcome_unknown", False)),
        "message": error.message,
        "path": error.path,
    }


def error_from_record(record: Mapping[str, Any]) -> DingTalkError:
    """The typed error ``error_record`` stored."""
    path = record.get("path")
    envelope = record.get("envelope")
    if isinstance(envelope, Mapping):
        return error_from_body(envelope, path)
    v1_envelope = record.get("v1_envelope")
    if isinstance(v1_envelope, Mapping):
        from .v1.errors import error_from_v1_body  # the v1.0 mapping builds on this module

        return error_from_v1_body(v1_envelope, _as_int(record.get("status_code")), path)
    cls = _TRANSPORT_KINDS.get(str(record.get("kind")), TransportError)
    kw: dict[str, Any] = {"status_code": record.get("status_code"), "path": path}
    if cls is RequestTimeout:
        kw["outcome_unknown"] = bool(record.get("outcome_unknown"))
    return cls(str(record.get("message") or ""), **kw)
