"""Flask-free client for DingTalk's v1.0 host (https://api.dingtalk.com/v1.0/...).

The same library as the classic oapi client, the same token store, rate budget
and error types; reference: shared/dingtalk-v1.md.
"""

from .base import Request
from .client import V1Client
from .errors import IpBlocked, error_from_v1_body
from .tokens import ACCESS_TOKEN_PATH, CORP_ACCESS_TOKEN_PATH, AppCredentials, SuiteCorpCredentials
from .transport import DEFAULT_V1_BASE_URL, TOKEN_HEADER, V1Transport

__all__ = [
    "ACCESS_TOKEN_PATH",
    "CORP_ACCESS_TOKEN_PATH",
    "DEFAULT_V1_BASE_URL",
    "TOKEN_HEADER",
    "AppCredentials",
    "IpBlocked",
    "Request",
    "SuiteCorpCredentials",
    "V1Client",
    "V1Transport",
    "error_from_v1_body",
]
