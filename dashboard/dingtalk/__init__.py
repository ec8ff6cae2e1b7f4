"""Flask-free client for the DingTalk server oapi (https://oapi.dingtalk.com).

from dashboard.dingtalk import DingTalkClient, messages
client = DingTalkClient(app_key="...", app_secret="...", agent_id=123)
client.messages.send_work_notice(messages.text("hi"), userid_list=["u0001"])

The v1.0 host (api.dingtalk.com: robot messages, cards) is ``dashboard.dingtalk.v1``.
"""

from . import errors, messages, v1
from .client import DEFAULT_BASE_URL, DingTalkClient
from .errors import (
    ApiError,
    CredentialsError,
    DingTalkError,
    HTTPStatusError,
    InvalidMessage,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    PaginationError,
    PermissionDenied,
    RequestTimeout,
    Throttled,
    TokenError,
    TransportError,
)
from .messages import MAX_MSG_BYTES, build_msg, msg_size, validate_msg
from .ratelimit import LocalRateLimiter, RateLimiter, RedisRateLimiter
from .redact import redact
from .tokens import CacheTokenStore, MemoryTokenStore, TokenStore
from .v1 import DEFAULT_V1_BASE_URL, V1Client

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_V1_BASE_URL",
    "MAX_MSG_BYTES",
    "ApiError",
    "CacheTokenStore",
    "CredentialsError",
    "DingTalkClient",
    "DingTalkError",
    "HTTPStatusError",
    "InvalidMessage",
    "InvalidRequest",
    "InvalidResponse",
    "LocalRateLimiter",
    "MemoryTokenStore",
    "NotFound",
    "PaginationError",
    "PermissionDenied",
    "RateLimiter",
    "RedisRateLimiter",
    "RequestTimeout",
    "Throttled",
    "TokenError",
    "TokenStore",
    "TransportError",
    "V1Client",
    "build_msg",
    "errors",
    "messages",
    "msg_size",
    "redact",
    "v1",
    "validate_msg",
]
