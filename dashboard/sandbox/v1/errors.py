"""The v1.0 error envelope's codes (§2) and the exception views raise.

A view raises `V1Error(status, code, message)`; the pipeline answers it with HTTP
`status` and `{"code", "requestid", "message"}` (lower-case `requestid`, §2.1).
"""

from __future__ import annotations

from typing import Any

INVALID_AUTHENTICATION = "InvalidAuthentication"
MISSING_TOKEN = "AuthenticationFailed.MissingParameter"
MISSING_BODY = "Missingbody"
PERMISSION_DENIED = "Forbidden.AccessDenied.AccessTokenPermissionDenied"
IP_NOT_IN_WHITELIST = "Forbidden.AccessDenied.IpNotInWhiteList"
QPS_APP_API = "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
QPS_API = "Forbidden.AccessDenied.QpsLimitForApi"
QPM_APP_API = "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi"
MONTHLY_QUOTA = "Forbidden.AccessDenied.ApiCountLimitForOrg"
SYSTEM_BUSY = "system.busy"
SYSTEM_ERROR = "system.error"
UNKNOWN_ERROR = "unknownError"
INVALID_VERSION = "InvalidVersion"
PARAMETER_INVALID = "parameter.invalid"

MESSAGES: dict[str, str] = {
    INVALID_AUTHENTICATION: "不合法的access_token",
    MISSING_TOKEN: "缺少参数：x-acs-dingtalk-access-token",
    MISSING_BODY: "body is mandatory for this action.",
    PERMISSION_DENIED: "没有调用该接口的权限，接口权限申请参考："
    "https://open.dingtalk.com/document/orgapp-server/add-api-permission",
    IP_NOT_IN_WHITELIST: "访问ip不在白名单之中",
    QPS_APP_API: "应用调用该接口超过每秒限制",
    QPS_API: "该接口调用量超过每秒限制",
    QPM_APP_API: "应用调用该接口超过每分钟限制",
    MONTHLY_QUOTA: "企业调用该接口超过每月调用量限制",
    SYSTEM_BUSY: "系统繁忙",
    SYSTEM_ERROR: "系统错误",
    UNKNOWN_ERROR: "未知错误",
    INVALID_VERSION: "Specified parameter Version is not valid.",
}


class V1Error(Exception):
    """A v1.0 error reply: HTTP status, code, message and optional extra keys."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message if message is not None else MESSAGES.get(code, code)
        self.extra = dict(extra or {})
        super().__init__(f"{status} {code} {self.message}")


def bad_request(code: str, message: str | None = None) -> V1Error:
    """HTTP 400 with `code` (the per-API validation errors)."""
    return V1Error(400, code, message)


def missing_field(name: str) -> V1Error:
    """The gateway's answer to a required field left out: 400 `Missing<field>`."""
    return V1Error(400, f"Missing{name}", f"{name} is mandatory for this action.")
