"""Third-party (ISV) suites and custom apps: signed calls and corp-scoped clients.

A suite has no company's app secret. It signs each call with its suite secret
and the latest suite ticket (§7.1 of the reference), asks which companies
authorised it (POST service/get_auth_info) and gets a token per company
(POST service/get_corp_token). ``CorpClient`` is a ``DingTalkClient`` whose
token comes from ``get_corp_token``, so every internal-app operation works for
each authorised company.

Custom apps (定制应用) use the same flow: pass the app's CustomKey and
CustomSecret as ``suite_key``/``suite_secret`` and any non-empty ticket (for
example ``StaticTicket("TestSuiteTicket")``); test suites accept any ticket too.

    suite = SuiteClient("suitekey", "suite-secret", StaticTicket("ticket"))
    corp = suite.corp_client("dingcorp", agent_id=123)
    corp.messages.send_work_notice(messages.text("hi"), userid_list=["u0001"])
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol
from urllib.parse import quote

import requests

from .client import DEFAULT_BASE_URL, JSON_CONTENT_TYPE, DingTalkClient, json_body
from .errors import (
    ApiError,
    HTTPStatusError,
    InvalidRequest,
    InvalidResponse,
    RequestTimeout,
    TransportError,
    error_from_body,
)
from .ratelimit import LocalRateLimiter, RateLimiter
from .redact import install_log_redaction, redact
from .tokens import MemoryTokenStore, TokenStore

logger = logging.getLogger("dashboard.dingtalk")

GET_AUTH_INFO_PATH = "/service/get_auth_info"
GET_CORP_TOKEN_PATH = "/service/get_corp_token"
#: "签名中套件ticket参数无效": the suite ticket is wrong or stale (§9).
INVALID_TICKET_CODE = 853005

JSONDict = dict[str, Any]


class SuiteTicketError(InvalidRequest):
    """DingTalk refused the suite ticket (853005), also after one refresh from the provider."""


class TicketProvider(Protocol):
    """Returns the latest suite ticket (from configuration, a callback store, ...)."""

    def __call__(self) -> str | None: ...


class StaticTicket:
    """A fixed ticket: test suites and custom apps accept any value."""

    def __init__(self, ticket: str) -> None:
        self._ticket = ticket

    def __call__(self) -> str:
        return self._ticket

    def __repr__(self) -> str:
        return "StaticTicket(***)"


def canonical_string(timestamp_ms: int | str, suite_ticket: str | None) -> str:
    """The signed text: ``f"{timestamp_ms}\\n{suiteTicket}"`` (only the timestamp without a ticket)."""
    if not suite_ticket:
        return str(timestamp_ms)
    return f"{timestamp_ms}\n{suite_ticket}"


def sign(secret: str, timestamp_ms: int | str, suite_ticket: str | None) -> str:
    """base64(HMAC-SHA256(key=secret, msg=canonical string)), not yet URL-encoded (§7.1)."""
    digest = hmac.new(
        secret.encode("utf-8"),
        canonical_string(timestamp_ms, suite_ticket).encode("utf-8"),
        hashlib.sha256,
    ).digest()
    return base64.b64encode(digest).decode("ascii")


def signed_query(
    access_key: str, secret: str, suite_ticket: str | None, timestamp_ms: int | str
) -> str:
    """The query string of a signed call, each value URL-encoded exactly once.

    Built by hand rather than through ``requests`` params so the signature's
    ``+``, ``/`` and ``=`` are encoded once, as the Java reference does. Without
    a ticket, ``suiteTicket`` is left out of the query (and of the signed text),
    as the official SDKs do.
    """
    params = {"accessKey": access_key, "timestamp": str(timestamp_ms)}
    if suite_ticket:
        params["suiteTicket"] = suite_ticket
    params["signature"] = sign(secret, timestamp_ms, suite_ticket)
    return "&".join(f"{name}={quote(value, safe='')}" for name, value in params.items())


class SuiteClient:
    """Signed calls of one ISV suite (or custom app): get_auth_info and get_corp_token.

    ``ticket_provider`` is called for every signed call; on 853005 it is asked
    again (a newer ticket may have been pushed meanwhile) and the call is
    retried once, with a new timestamp and signature.
    Corp tokens are cached in ``token_store`` under ``token_key(corpid)``.
    """

    def __init__(
        self,
        suite_key: str,
        suite_secret: str,
        ticket_provider: TicketProvider | Callable[[], str | None],
        base_url: str = DEFAULT_BASE_URL,
        session: requests.Session | None = None,
        token_store: TokenStore | None = None,
        timeout: float = 10.0,
        rate_limiter: RateLimiter | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not suite_key or not suite_secret:
            raise ValueError("suite_key and suite_secret are both required")
        self.suite_key = suite_key
        self._suite_secret = suite_secret
        self.ticket_provider = ticket_provider
        self.base_url = base_url.rstrip("/")
        self.session = session if session is not None else requests.Session()
        self.token_store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        self.timeout = timeout
        self.rate_limiter: RateLimiter = (
            rate_limiter if rate_limiter is not None else LocalRateLimiter(20, 1.0)
        )
        self._clock = clock
        install_log_redaction()

    def __repr__(self) -> str:
        return f"SuiteClient(suite_key={self.suite_key!r}, base_url={self.base_url!r})"

    def token_key(self, corpid: str) -> str:
        """Token-store key of one company's token: one per (suite, corp)."""
        return f"isv:{self.suite_key}:{corpid}"

    def signature_for(self, timestamp_ms: int | str, suite_ticket: str | None) -> str:
        """The base64 signature for a timestamp and ticket (the debugger's answer)."""
        return sign(self._suite_secret, timestamp_ms, suite_ticket)

    # -- oapi -----------------------------------------------------------------------

    def get_auth_info(self, auth_corpid: str) -> JSONDict:
        """POST service/get_auth_info: the company, its auth level and the suite's agents."""
        return self._signed_post(
            GET_AUTH_INFO_PATH, {"auth_corpid": auth_corpid, "suite_key": self.suite_key}
        )

    def get_corp_token(self, auth_corpid: str) -> JSONDict:
        """POST service/get_corp_token: a new access token for one authorised company."""
        return self._signed_post(GET_CORP_TOKEN_PATH, {"auth_corpid": auth_corpid})

    def corp_client(
        self, corpid: str, agent_id: int | str | None = None, **kwargs: Any
    ) -> CorpClient:
        """A ``DingTalkClient`` acting for ``corpid`` with this suite's tokens."""
        return CorpClient(self, corpid, agent_id, **kwargs)

    # -- signed requests -------------------------------------------------------------

    def _signed_post(self, path: str, body: Mapping[str, Any]) -> JSONDict:
        ticket = self.ticket_provider()
        try:
            return self._post_once(path, body, ticket)
        except ApiError as exc:
            if exc.code != INVALID_TICKET_CODE:
                raise
            fresh = self.ticket_provider()
            logger.info(
                "%s refused the suite ticket; retrying once with %s ticket",
                path,
                "a newer" if fresh != ticket else "the same",
            )
            try:
                return self._post_once(path, body, fresh)
            except ApiError as retry_exc:
                if retry_exc.code != INVALID_TICKET_CODE:
                    raise
                exc = retry_exc
            raise SuiteTicketError(
                errcode=exc.errcode,
                errmsg=exc.errmsg,
                sub_code=exc.sub_code,
                sub_msg=exc.sub_msg,
                request_id=exc.request_id,
                path=path,
            ) from None

    def _post_once(self, path: str, body: Mapping[str, Any], ticket: str | None) -> JSONDict:
        timestamp_ms = int(self._clock() * 1000)
        query = signed_query(self.suite_key, self._suite_secret, ticket, timestamp_ms)
        url = f"{self.base_url}{path}?{query}"
        signature = self.signature_for(timestamp_ms, ticket)
        secrets = (self._suite_secret, ticket, signature, quote(signature, safe=""))
        self.rate_limiter.acquire(f"{self.suite_key}:{path}")
        started = time.perf_counter()
        try:
            response = self.session.post(
                url,
                data=json_body(body),
                headers={"Content-Type": JSON_CONTENT_TYPE},
                timeout=self.timeout,
            )
        except requests.Timeout:
            self._log(path, started, "timeout")
            raise RequestTimeout(
                f"POST {path}: no response within {self.timeout}s", path=path, retryable=True
            ) from None
        except requests.RequestException as exc:
            self._log(path, started, type(exc).__name__)
            raise TransportError(
                f"POST {path}: {type(exc).__name__}: {redact(exc, secrets)}",
                path=path,
                retryable=isinstance(exc, requests.ConnectionError),
            ) from None
        if response.status_code != 200:
            self._log(path, started, f"HTTP {response.status_code}")
            raise HTTPStatusError(
                f"POST {path}: HTTP {response.status_code}",
                path=path,
                status_code=response.status_code,
                retryable=response.status_code >= 500,
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or "errcode" not in payload:
            self._log(path, started, "invalid body")
            raise InvalidResponse(
                f"POST {path}: response body is not an errcode envelope", path=path
            )
        try:
            errcode = int(payload["errcode"])
        except (TypeError, ValueError):
            raise InvalidResponse(f"POST {path}: errcode is not an integer", path=path) from None
        self._log(path, started, errcode)
        if errcode != 0:
            raise error_from_body(
                {k: redact(v, secrets) if isinstance(v, str) else v for k, v in payload.items()},
                path,
            )
        return payload

    def _log(self, path: str, started: float, outcome: object) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.DEBUG if outcome == 0 else logging.INFO
        logger.log(
            level, "POST %s suite=%s errcode=%s %.0fms", path, self.suite_key, outcome, elapsed_ms
        )


class CorpClient(DingTalkClient):
    """The internal-app client for one authorised company, tokens from get_corp_token.

    Shares the suite's base URL, session and token store unless given others;
    the token is cached per (suite, corp) and refreshed on the token errcodes
    exactly like an internal app's.
    """

    def __init__(
        self,
        suite_client: SuiteClient,
        corpid: str,
        agent_id: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        if not corpid:
            raise ValueError("corpid is required")
        self.suite_client = suite_client
        kwargs.setdefault("base_url", suite_client.base_url)
        kwargs.setdefault("session", suite_client.session)
        kwargs.setdefault("token_store", suite_client.token_store)
        kwargs.setdefault("timeout", suite_client.timeout)
        super().__init__(corp_id=corpid, agent_id=agent_id, **kwargs)

    def __repr__(self) -> str:
        return f"CorpClient(suite_key={self.suite_client.suite_key!r}, corpid={self.corp_id!r})"

    def _validate_credentials(self) -> None:
        if not self.corp_id:
            raise ValueError("corpid is required")

    @property
    def token_key(self) -> str:
        return self.suite_client.token_key(str(self.corp_id))

    def _fetch_token(self) -> tuple[str, int]:
        """POST service/get_corp_token for this company; returns (token, expires_in)."""
        body = self.suite_client.get_corp_token(str(self.corp_id))
        return self._parse_token_body(body, GET_CORP_TOKEN_PATH)
