"""Flask-free client for DingTalk's v1.0 host (https://api.dingtalk.com/v1.0/...).

The same library as the classic oapi client, the same token store, rate budget
and error types; reference: shared/dingtalk-v1.md.
"""

from . import card_callbacks, msgkeys
from .base import Request
from .card_callbacks import CardCallback, CardCallbackError, parse_callback, verify_signature
from .cards import card_param_map
from .client import V1Client
from .errors import IpBlocked, error_from_v1_body
from .group_messages import group_send_request
from .msgkeys import MSG_KEYS, msg_param_json
from .robot import BatchOutcome, batch_send_request, read_state, send_state
from .tokens import ACCESS_TOKEN_PATH, CORP_ACCESS_TOKEN_PATH, AppCredentials, SuiteCorpCredentials
from .transport import DEFAULT_V1_BASE_URL, TOKEN_HEADER, V1Transport

__all__ = [
    "ACCESS_TOKEN_PATH",
    "CORP_ACCESS_TOKEN_PATH",
    "DEFAULT_V1_BASE_URL",
    "TOKEN_HEADER",
    "MSG_KEYS",
    "AppCredentials",
    "BatchOutcome",
    "CardCallback",
    "CardCallbackError",
    "IpBlocked",
    "Request",
    "SuiteCorpCredentials",
    "V1Client",
    "V1Transport",
    "batch_send_request",
    "card_callbacks",
    "card_param_map",
    "error_from_v1_body",
    "group_send_request",
    "msg_param_json",
    "msgkeys",
    "parse_callback",
    "read_state",
    "send_state",
    "verify_signature",
]
