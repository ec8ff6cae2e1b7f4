"""The v1.0 error envelope (reference §2) mapped onto the client's error types.

api.dingtalk.com answers an error with HTTP 4xx/5xx and
``{"code", "message", "requestid"}`` (``accessdenieddetail`` on permission
errors). The ``code`` string decides the type, never the message (its language
varies): the same ``TokenError``, ``Throttled``, ``PermissionDenied``, ...
that the classic client raises, with ``api_code`` and ``status_code`` set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import (
    ApiError,
    CredentialsError,
    InvalidRequest,
    NotFound,
    PermissionDenied,
    Throttled,
    TokenError,
)

#: "不合法的access_token": drop the cached token, fetch a new one, retry once (§2.2).
INVALID_AUTHENTICATION = "InvalidAuthentication"
REFRESH_CODES = frozenset({INVALID_AUTHENTICATION})
#: No token header at all: a client bug, never retried.
MISSING_TOKEN = "AuthenticationFailed.MissingParameter"
TOKEN_CODES = REFRESH_CODES | {MISSING_TOKEN}
#: Bad credentials on the token endpoints (§1.1, §1.2).
CREDENTIALS_CODES = frozenset({"invalidClientIdOrSecret", "invalidSuiteKey"})
#: The ISV suite ticket was refused (listed in the doc, §1.2, unverified).
SUITE_TICKET_CODES = frozenset({"invalidSuiteTicket"})
#: Gateway per-second limits (classic 90018 / 90002): wait about one second (§2.2, §2.3).
PER_SECOND_CODES = frozenset(
    {
        "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi",
        "Forbidden.AccessDenied.QpsLimitForApi",
    }
)
#: Per-minute limit: another try within the minute fails again; not retried in-line.
PER_MINUTE_CODES = frozenset({"Forbidden.AccessDenied.QpmLimitForAppkeyAndApi"})
#: Server side ("back off and retry", §2.2).
SERVER_CODES = frozenset({"system.busy", "system.error", "unknownError"})
#: "System busy": the request was not processed, so even a send may be retried.
BUSY_CODES = frozenset({"system.busy"})
#: Robot flow control refused as HTTP 400 (§2.3; the codes are unverified: a setting).
DEFAULT_ROBOT_THROTTLE_CODES = frozenset(
    {"send.too.fast", "send.byToken.tooFast", "too.many.people", "too.many.group"}
)
#: Permission, allow-list and monthly quota refusals: retrying cannot help (§2.2).
PERMISSION_CODES = frozenset(
    {
        "Forbidden.AccessDenied.AccessTokenPermissionDenied",
        "Forbidden.AccessDenied.IpNotInWhiteList",
        "Forbidden.AccessDenied.ApiCountLimitForOrg",
    }
)
#: The card, template, group template or member named does not exist.
NOT_FOUND_CODES = frozenset(
    {
        "param.cardNotExist",
        "param.templateNotExist",
        "groupTemplate.notFound",
        "member.notFound",
    }
)
#: Suggested waits (seconds): no Retry-After is documented (§2.3).
RETRY_AFTER = {code: 1.0 for code in PER_SECOND_CODES} | {code: 60.0 for code in PER_MINUTE_CODES}
#: Robot flow control counts per person per minute or day (§9): try again after a minute.
ROBOT_FLOW_RETRY_AFTER = 60.0
#: The per-IP ban (10 000 calls / 20 s) lasts 5 minutes (§2.3, §9).
IP_BAN_SECONDS = 300.0


class IpBlocked(Throttled):
    """The gateway blocked the egress IP for minutes (not a JSON error envelope, §2.3)."""


def error_class_for_v1(
    code: str,
    status: int,
    *,
    throttle_codes: Iterable[str] = DEFAULT_ROBOT_THROTTLE_CODES,
) -> type[ApiError]:
    """The exception class of a v1.0 error ``code`` answered with HTTP ``status``."""
    from ..isv import SuiteTicketError  # isv builds on the classic client, not on v1

    if code in TOKEN_CODES:
        return TokenError
    if code in CREDENTIALS_CODES:
        return CredentialsError
    if code in SUITE_TICKET_CODES:
        return SuiteTicketError
    if code in PER_SECOND_CODES or code in PER_MINUTE_CODES or code in SERVER_CODES:
        return Throttled
    if code in throttle_codes:
        return Throttled
    if code in PERMISSION_CODES or code.startswith("Forbidden.") or status == 403:
        return PermissionDenied
    if code in NOT_FOUND_CODES:
        return NotFound
    return InvalidRequest


def error_from_v1_body(
    body: Mapping[str, Any],
    status: int,
    path: str | None,
    *,
    throttle_codes: Iterable[str] = DEFAULT_ROBOT_THROTTLE_CODES,
    retry_after: float | None = None,
) -> ApiError:
    """The typed error of a v1.0 error envelope (``body`` has a string ``code``)."""
    code = str(body.get("code") or "")
    cls = error_class_for_v1(code, status, throttle_codes=throttle_codes)
    detail = body.get("accessdenieddetail")
    scopes = detail.get("requiredScopes") if isinstance(detail, Mapping) else None
    message = body.get("message")
    requestid = body.get("requestid")
    kw: dict[str, Any] = {
        "api_code": code,
        "status_code": status,
        "errmsg": None if message is None else str(message),
        "request_id": None if requestid is None else str(requestid),
        "required_scopes": [s for s in scopes if isinstance(s, str)]
        if isinstance(scopes, list)
        else (),
        "path": path,
    }
    if issubclass(cls, Throttled):
        default = ROBOT_FLOW_RETRY_AFTER if code in throttle_codes else RETRY_AFTER.get(code, 1.0)
        wait = retry_after if retry_after is not None else default
        return cls(retry_after=wait, **kw)
    return cls(**kw)


def is_ip_ban(body: Any) -> bool:
    """The gateway's per-IP punishment body ``{"status":1111,"punish":"deny",...}`` (§2.3)."""
    return isinstance(body, Mapping) and (
        body.get("punish") == "deny" or (body.get("status") == 1111 and "wait" in body)
    )


def ip_ban_error(body: Mapping[str, Any], status: int, path: str | None) -> IpBlocked:
    """``IpBlocked`` with the wait the ban body names (minutes), else five minutes."""
    try:
        wait = float(body.get("wait")) * 60 or IP_BAN_SECONDS  # type: ignore[arg-type]
    except (TypeError, ValueError):
        wait = IP_BAN_SECONDS
    return IpBlocked(
        f"{path}: DingTalk blocked this server's IP address for {wait / 60:g} min "
        "(more than 10 000 calls in 20 s); nothing was sent",
        retry_after=wait,
        status_code=status,
        path=path,
    )


def is_refreshable_v1(error: BaseException) -> bool:
    """True for ``InvalidAuthentication``: a fresh token cures it (not the missing header)."""
    return isinstance(error, TokenError) and getattr(error, "api_code", None) in REFRESH_CODES
