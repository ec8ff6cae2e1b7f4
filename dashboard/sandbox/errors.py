"""The errcodes the emulator answers with, and the exception views raise.

A view raises `OapiError(code, msg)`; the app turns it into the classic or the
topapi envelope (see `envelope.py`). Messages follow the vendor's Chinese text
where the reference quotes it.
"""

from __future__ import annotations

SYSTEM_BUSY = -1
INVALID_METHOD = 22
WRAPPED = 88
NOT_FOUND_URI = 404
INVALID_USERID = 33012
INVALID_CREDENTIAL = 40001
INVALID_USER = 40003
INVALID_TOKEN = 40014
LIST_LENGTH = 40032
INVALID_PARAM = 40035
INVALID_AGENTID = 40056
INVALID_CORP_SECRET = 40089
MISSING_TOKEN = 41001
MISSING_AGENTID = 41011
TOKEN_EXPIRED = 42001
GET_REQUIRED = 43001
POST_REQUIRED = 43002
INVALID_CONTENT_TYPE = 43004
EMPTY_BODY = 44002
MESSAGE_TOO_LONG = 45002
JSON_PARSE = 47001
CHAT_MEMBER_LIMIT = 49005
CHAT_OWNER_NOT_MEMBER = 49006
DEPT_NOT_FOUND = 60003
NO_PERMISSION = 60011
IP_NOT_ALLOWED = 60020
USER_NOT_FOUND = 60121
GLOBAL_THROTTLE = 90002
APPKEY_QPM = 90006
APP_QPS = 90018
INVALID_TASK = 400002
EMPTY_RECIPIENTS = 1430000

MESSAGES: dict[int, str] = {
    SYSTEM_BUSY: "系统繁忙",
    WRAPPED: "ding talk error",
    NOT_FOUND_URI: "请求的URI地址不存在",
    INVALID_USERID: "无效的userId",
    INVALID_CREDENTIAL: "Secret wrong or access_token invalid",
    INVALID_USER: "不合法的UserID",
    INVALID_TOKEN: "不合法的access_token",
    LIST_LENGTH: "不合法的UserID列表长度",
    INVALID_PARAM: "不合法的参数",
    INVALID_AGENTID: "不合法的agentid",
    INVALID_CORP_SECRET: "不合法的corpid或corpsecret",
    MISSING_TOKEN: "缺少access_token参数",
    MISSING_AGENTID: "缺少agentid参数",
    TOKEN_EXPIRED: "access_token超时",
    GET_REQUIRED: "需要GET请求",
    POST_REQUIRED: "需要POST请求",
    INVALID_CONTENT_TYPE: "不合法的Content-Type",
    EMPTY_BODY: "POST的数据包为空",
    MESSAGE_TOO_LONG: "消息内容超过限制",
    JSON_PARSE: "解析JSON/XML内容错误",
    CHAT_MEMBER_LIMIT: "群成员数超过限制",
    CHAT_OWNER_NOT_MEMBER: "群成员列表必须包含群主",
    DEPT_NOT_FOUND: "部门不存在",
    NO_PERMISSION: "没有调用该接口的权限",
    IP_NOT_ALLOWED: "访问ip不在白名单之中",
    USER_NOT_FOUND: "找不到该用户",
    GLOBAL_THROTTLE: "接口调用过于频繁",
    APPKEY_QPM: "应用调用该接口超过每分钟限制",
    APP_QPS: "应用调用该接口超过每秒限制",
    INVALID_TASK: "无效的task_id",
    EMPTY_RECIPIENTS: "接受者为空",
}


class OapiError(Exception):
    """An oapi error reply: errcode plus errmsg (and sub_code when pre-wrapped)."""

    def __init__(self, errcode: int, errmsg: str | None = None, sub_code: str | None = None):
        self.errcode = errcode
        self.errmsg = errmsg if errmsg is not None else MESSAGES.get(errcode, "error")
        self.sub_code = sub_code
        super().__init__(f"{self.errcode} {self.errmsg}")


def invalid_param(detail: str) -> OapiError:
    """40035 naming the offending parameter."""
    return OapiError(INVALID_PARAM, f"不合法的参数: {detail}")


def missing_param(name: str) -> OapiError:
    """40035 for a required parameter that is absent or empty."""
    return OapiError(INVALID_PARAM, f"缺少参数 {name}")
