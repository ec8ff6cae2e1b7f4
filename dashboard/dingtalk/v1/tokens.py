"""Where a v1.0 client's token comes from: an internal app, or one company of an ISV suite.

Both endpoints take a JSON body and no token header (reference §1.1, §1.2) and
answer ``{"accessToken", "expireIn"}``. The token lives in the same store as
the classic one, under ``v1_token_key(<classic key>)``; with ``share_classic``
(§1.4: cross-use works in practice, the docs are silent) under the classic key
itself, so one token serves both hosts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import InvalidResponse
from ..tokens import v1_token_key
from .base import Request
from .errors import SUITE_TICKET_CODES

if TYPE_CHECKING:
    from .transport import V1Transport

logger = logging.getLogger("dashboard.dingtalk")

ACCESS_TOKEN_PATH = "/v1.0/oauth2/accessToken"
CORP_ACCESS_TOKEN_PATH = "/v1.0/oauth2/corpAccessToken"
DEFAULT_EXPIRES_IN = 7200


class Credentials(Protocol):
    """How a v1.0 client obtains its token."""

    #: Keys the rate budget and the logs (the appkey, or suite key and corpid).
    app_id: str
    #: Key of the token in the shared token store.
    token_key: str

    def fetch(self, transport: V1Transport) -> tuple[str, int]:
        """Fetch a new token; returns (token, expires_in seconds)."""
        ...

    def secrets(self) -> tuple[str | None, ...]:
        """Values never to show in an error or a log line."""
        ...


def parse_token_body(body: Mapping[str, Any], path: str) -> tuple[str, int]:
    """(accessToken, expireIn) of a token reply; 7200 s when expireIn is absent."""
    token = body.get("accessToken")
    if not isinstance(token, str) or not token:
        raise InvalidResponse(f"{path}: no accessToken in the response", path=path)
    try:
        expires_in = int(body.get("expireIn") or DEFAULT_EXPIRES_IN)
    except (TypeError, ValueError):
        expires_in = DEFAULT_EXPIRES_IN
    return token, expires_in


class AppCredentials:
    """An internal app: POST /v1.0/oauth2/accessToken with appKey/appSecret (§1.1)."""

    def __init__(self, app_key: str, app_secret: str, *, share_classic: bool = False) -> None:
        if not app_key or not app_secret:
            raise ValueError("app_key and app_secret are both required for the v1.0 API")
        self.app_key = app_key
        self._app_secret = app_secret
        self.app_id = app_key
        # The classic client keys its token by the appkey (DingTalkClient.token_key).
        self.token_key = app_key if share_classic else v1_token_key(app_key)

    def __repr__(self) -> str:
        return f"AppCredentials(app_key={self.app_key!r})"

    def token_request(self) -> Request:
        return Request(
            "POST", ACCESS_TOKEN_PATH, {"appKey": self.app_key, "appSecret": self._app_secret}
        )

    def fetch(self, transport: V1Transport) -> tuple[str, int]:
        request = self.token_request()
        body = transport.call(request, with_token=False)
        return parse_token_body(body, request.path)

    def secrets(self) -> tuple[str | None, ...]:
        return (self._app_secret,)


class SuiteCorpCredentials:
    """One company of an ISV suite: POST /v1.0/oauth2/corpAccessToken (§1.2).

    Each call returns a new token (the doc), so it is fetched only when the
    store has none. The ticket is asked for on each fetch; a refused ticket
    (``invalidSuiteTicket``) is asked for again and the fetch retried once.
    """

    def __init__(
        self,
        suite_key: str,
        suite_secret: str,
        ticket_provider: Callable[[], str | None],
        auth_corp_id: str,
        *,
        classic_token_key: str | None = None,
        share_classic: bool = False,
    ) -> None:
        if not suite_key or not suite_secret:
            raise ValueError("suite_key and suite_secret are both required")
        if not auth_corp_id:
            raise ValueError("auth_corp_id is required")
        self.suite_key = suite_key
        self._suite_secret = suite_secret
        self.ticket_provider = ticket_provider
        self.auth_corp_id = auth_corp_id
        self.app_id = f"{suite_key}:{auth_corp_id}"
        classic = classic_token_key or f"isv:{suite_key}:{auth_corp_id}"
        self.token_key = classic if share_classic else v1_token_key(classic)
        self._last_ticket: str | None = None

    def __repr__(self) -> str:
        return f"SuiteCorpCredentials(suite_key={self.suite_key!r}, corp={self.auth_corp_id!r})"

    def token_request(self, ticket: str | None) -> Request:
        body = {
            "authCorpId": self.auth_corp_id,
            "suiteKey": self.suite_key,
            "suiteSecret": self._suite_secret,
            "suiteTicket": ticket or "",
        }
        return Request("POST", CORP_ACCESS_TOKEN_PATH, body)

    def fetch(self, transport: V1Transport) -> tuple[str, int]:
        from ..errors import ApiError

        ticket = self.ticket_provider()
        self._last_ticket = ticket
        try:
            body = transport.call(self.token_request(ticket), with_token=False)
        except ApiError as exc:
            if exc.api_code not in SUITE_TICKET_CODES:
                raise
            fresh = self.ticket_provider()
            self._last_ticket = fresh
            logger.info(
                "%s refused the suite ticket; retrying once with %s ticket",
                CORP_ACCESS_TOKEN_PATH,
                "a newer" if fresh != ticket else "the same",
            )
            body = transport.call(self.token_request(fresh), with_token=False)
        return parse_token_body(body, CORP_ACCESS_TOKEN_PATH)

    def secrets(self) -> tuple[str | None, ...]:
        return (self._suite_secret, self._last_ticket)
