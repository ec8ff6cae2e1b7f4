"""``V1Transport``: the v1.0 host's one request loop (reference §0-§2).

The same shape as the classic ``DingTalkClient._request``: one loop that puts
the token in (here the ``x-acs-dingtalk-access-token`` header, never the
query), decodes the envelope (HTTP status + ``code``/``message``/``requestid``)
into the same typed errors, refreshes the token once on
``InvalidAuthentication`` (single flight, in the shared token store), backs off
on the throttling codes through the same rate budget, and never re-sends a send
whose outcome is unknown.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import requests

# One body encoding and one registry of token locks for both hosts (v1.0 keys are
# prefixed v1:, so the two never share a lock).
from ..client import _TOKEN_LOCKS, json_body
from ..errors import (
    ApiError,
    HTTPStatusError,
    InvalidResponse,
    RequestTimeout,
    Throttled,
    TransportError,
    error_from_body,
)
from ..ratelimit import LocalRateLimiter, RateLimiter
from ..redact import install_log_redaction, redact
from ..tokens import MemoryTokenStore, TokenStore
from .base import JSONDict, Request
from .errors import (
    BUSY_CODES,
    DEFAULT_ROBOT_THROTTLE_CODES,
    PER_MINUTE_CODES,
    PER_SECOND_CODES,
    SERVER_CODES,
    error_from_v1_body,
    ip_ban_error,
    is_ip_ban,
    is_refreshable_v1,
)
from .tokens import Credentials

logger = logging.getLogger("dashboard.dingtalk")

DEFAULT_V1_BASE_URL = "https://api.dingtalk.com"
TOKEN_HEADER = "x-acs-dingtalk-access-token"
#: What the gateway asks of a POST/PUT body (§0.2: a form body is 400 Missingbody).
JSON_CONTENT_TYPE = "application/json"
DEFAULT_TOKEN_MARGIN = 300
#: "System busy": retried at most this often, as the classic -1.
SERVER_RETRIES = 3


class V1Transport:
    """Calls on api.dingtalk.com for one set of credentials (an app, or one ISV company).

    ``session``, ``token_store`` and ``rate_limiter`` are normally the classic
    client's, so both hosts share one token store and one rate budget.
    ``throttle_codes``: the robot flow-control codes answered as HTTP 400,
    raised as ``Throttled`` with a minute's ``retry_after`` (§2.3, §9; the codes
    are unverified: a setting).
    ``retry_server_errors_on_send``: also retry a send answered 500
    ``system.error``/``unknownError`` (its outcome is unknown; off by default;
    ``system.busy`` is always retried).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_V1_BASE_URL,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        token_store: TokenStore | None = None,
        rate_limiter: RateLimiter | None = None,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 8.0,
        token_margin: int = DEFAULT_TOKEN_MARGIN,
        throttle_codes: Iterable[str] = DEFAULT_ROBOT_THROTTLE_CODES,
        retry_server_errors_on_send: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        jitter: bool = True,
    ) -> None:
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self.token_store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        self.rate_limiter: RateLimiter = (
            rate_limiter if rate_limiter is not None else LocalRateLimiter(20, 1.0)
        )
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.token_margin = token_margin
        self.throttle_codes = frozenset(throttle_codes)
        self.retry_server_errors_on_send = retry_server_errors_on_send
        self.jitter = jitter
        self._sleep = sleep
        self._random = random.Random()
        install_log_redaction()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app_id={self.app_id!r}, base_url={self.base_url!r})"

    @property
    def app_id(self) -> str:
        return self.credentials.app_id

    @property
    def token_key(self) -> str:
        return self.credentials.token_key

    # -- access token ---------------------------------------------------------------

    def get_access_token(self, force_refresh: bool = False) -> str:
        """A cached v1.0 token, or a new one (one fetch among all callers)."""
        if not force_refresh:
            token = self.token_store.get(self.token_key)
            if token:
                return token
        return self._refresh_token(stale=None, force=force_refresh)

    def _refresh_token(self, *, stale: str | None, force: bool) -> str:
        """Fetch under the refresh lock; a waiter takes the token another caller stored.

        ``stale`` is the rejected token: replaced, never deleted first (a delete
        could remove a fresh token another worker had just stored).
        """
        key = self.token_key
        with _TOKEN_LOCKS.get(key), self.token_store.refresh_lock(key, stale):
            if not force:
                cached = self.token_store.get(key)
                if cached and cached != stale:
                    return cached
            token, expires_in = self.credentials.fetch(self)
            margin = min(self.token_margin, expires_in // 2)
            self.token_store.set(key, token, max(1, expires_in - margin))
            logger.info("fetched v1.0 access token for %s (expireIn=%ss)", self.app_id, expires_in)
            return token

    # -- requests -------------------------------------------------------------------

    def call(self, request: Request, *, send: bool = False, with_token: bool = True) -> JSONDict:
        """Make a prepared call; ``send=True`` marks a non-idempotent one (never re-sent blind)."""
        return self._request(
            request.method,
            request.path,
            query=request.query,
            body=request.body,
            send=send,
            with_token=with_token,
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        send: bool = False,
        with_token: bool = True,
    ) -> JSONDict:
        """One loop: one token refresh, throttling backoff per code, one GET retry."""
        refreshed = False
        throttled = 0
        transport_retried = False
        while True:
            token = self.get_access_token() if with_token else None
            try:
                return self._send_once(method, path, query, body, token, send)
            except ApiError as exc:
                if with_token and not refreshed and is_refreshable_v1(exc):
                    refreshed = True
                    logger.info(
                        "%s rejected the v1.0 token (%s); refreshing once", path, exc.api_code
                    )
                    self._refresh_token(stale=token, force=False)
                    continue
                if isinstance(exc, Throttled):
                    limit = self._throttle_retries(exc, send)
                    if throttled >= limit:
                        exc.attempts = throttled + 1
                        raise
                    delay = self._throttle_delay(exc, throttled)
                    throttled += 1
                    logger.info(
                        "%s throttled (%s); retry %d/%d in %.2fs",
                        path,
                        exc.api_code,
                        throttled,
                        limit,
                        delay,
                    )
                    self._sleep(delay)
                    continue
                raise
            except TransportError as exc:
                if send or transport_retried or not exc.retryable:
                    raise
                transport_retried = True
                logger.info("%s %s failed (%s); retrying once", method, path, type(exc).__name__)

    def _throttle_retries(self, exc: Throttled, send: bool) -> int:
        """How often a throttled call is retried in-line, by code (§2.2, §2.3).

        Per-minute limits, the robot's flow control (per person per minute or
        day, §9) and the IP ban are not (a retry within the wait fails again; the
        caller gets ``retry_after``). A send answered 500
        ``system.error``/``unknownError`` may have gone out: not retried unless
        configured.
        """
        code = exc.api_code
        if code is None or code in PER_MINUTE_CODES or code in self.throttle_codes:
            return 0
        if code in SERVER_CODES:
            if send and code not in BUSY_CODES and not self.retry_server_errors_on_send:
                return 0
            return min(SERVER_RETRIES, self.max_retries)
        return self.max_retries

    def _throttle_delay(self, exc: Throttled, attempt: int) -> float:
        """About ``backoff_base`` (1 s, the gateway's penalty) for the per-second limits;
        else doubling."""
        if exc.api_code in PER_SECOND_CODES:
            delay = min(self.backoff_max, self.backoff_base)
            if self.jitter:
                delay += self._random.uniform(0, delay / 4)
            return delay
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        if self.jitter:
            delay = delay / 2 + self._random.uniform(0, delay / 2)
        return delay

    def _send_once(
        self,
        method: str,
        path: str,
        query: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        token: str | None,
        send: bool,
    ) -> JSONDict:
        headers: dict[str, str] = {"Accept": "application/json"}
        kwargs: dict[str, Any] = {"timeout": self.timeout}
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            kwargs["params"] = params
        if body is not None:
            kwargs["data"] = json_body(body)
            headers["Content-Type"] = JSON_CONTENT_TYPE
        if token is not None:
            headers[TOKEN_HEADER] = token
        kwargs["headers"] = headers
        self.rate_limiter.acquire(f"{self.app_id}:{path}")
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, **kwargs)
        except requests.Timeout as exc:
            outcome_unknown = send and not isinstance(exc, requests.ConnectTimeout)
            self._log(method, path, started, "timeout")
            note = "; the message may have been delivered, not re-sent" if outcome_unknown else ""
            raise RequestTimeout(
                f"{method} {path}: no response within {self.timeout}s{note}",
                path=path,
                outcome_unknown=outcome_unknown,
                retryable=True,
            ) from None
        except requests.RequestException as exc:
            self._log(method, path, started, type(exc).__name__)
            raise TransportError(
                f"{method} {path}: {type(exc).__name__}: {redact(exc, self._secrets(token))}",
                path=path,
                retryable=isinstance(exc, requests.ConnectionError),
            ) from None
        return self._decode(method, path, response, started, token)

    def _decode(
        self,
        method: str,
        path: str,
        response: requests.Response,
        started: float,
        token: str | None,
    ) -> JSONDict:
        status = response.status_code
        try:
            payload = response.json() if response.content else {}
        except ValueError:
            payload = None
        if is_ip_ban(payload):
            self._log(method, path, started, f"HTTP {status} ip-ban")
            raise ip_ban_error(payload, status, path)  # type: ignore[arg-type]
        if status != 200:
            if isinstance(payload, dict) and isinstance(payload.get("code"), str):
                self._log(method, path, started, f"HTTP {status} {payload['code']}")
                raise error_from_v1_body(
                    {
                        k: redact(v, self._secrets(token)) if isinstance(v, str) else v
                        for k, v in payload.items()
                    },
                    status,
                    path,
                    throttle_codes=self.throttle_codes,
                    retry_after=_retry_after(response),
                )
            self._log(method, path, started, f"HTTP {status}")
            raise HTTPStatusError(
                f"{method} {path}: HTTP {status} without an error envelope",
                path=path,
                status_code=status,
                retryable=status >= 500,
            )
        if not isinstance(payload, dict):
            self._log(method, path, started, "invalid body")
            snippet = redact(response.text[:160], self._secrets(token)).replace("\n", " ")
            raise InvalidResponse(
                f"{method} {path}: response body is not a JSON object: {snippet!r}",
                path=path,
                status_code=status,
            )
        if "errcode" in payload and payload.get("errcode") not in (0, "0"):
            # An unknown path answers HTTP 200 {"errcode":404,...} (§0.2, §2.2).
            self._log(method, path, started, f"errcode {payload.get('errcode')}")
            raise error_from_body(payload, path)
        self._log(method, path, started, 200)
        return payload

    def _log(self, method: str, path: str, started: float, outcome: object) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.DEBUG if outcome == 200 else logging.INFO
        logger.log(
            level, "%s %s app=%s v1=%s %.0fms", method, path, self.app_id, outcome, elapsed_ms
        )

    def _secrets(self, token: str | None = None) -> tuple[str | None, ...]:
        return (*self.credentials.secrets(), token)


def _retry_after(response: requests.Response) -> float | None:
    """A ``Retry-After`` in seconds, should the gateway send one (none is documented)."""
    value = response.headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
