"""``DingTalkClient``: one ``_request()`` that injects the token, decodes the envelope,
refreshes an expired token once, backs off on throttling and never re-sends a send.

Every call, its token fetch, its waits for the rate budget, its retries and their
backoff included, ends within ``call_deadline`` seconds (45 by default): a web
request that calls DingTalk answers before gunicorn's worker timeout (68 s by
default) whatever DingTalk or the budget does. A call refused by the rate governor
(``BudgetWaitExceeded``) is not retried: it already waited as long as it could.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from .api.auth import AuthAPI
from .api.chats import ChatAPI
from .api.contacts_v2 import ContactsV2API
from .api.departments import DepartmentAPI
from .api.users import UserAPI
from .api.work_notices import WorkNoticeAPI
from .errors import (
    GETTOKEN_PATH,
    ApiError,
    HTTPStatusError,
    InvalidResponse,
    RequestTimeout,
    Throttled,
    TransportError,
    error_from_body,
    is_refreshable,
)
from .ratelimit import DEFAULT_RATE, BudgetWaitExceeded, LocalRateLimiter, RateLimiter
from .redact import install_log_redaction, redact
from .tokens import MemoryTokenStore, TokenStore

logger = logging.getLogger("dashboard.dingtalk")

DEFAULT_BASE_URL = "https://oapi.dingtalk.com"
DEFAULT_EXPIRES_IN = 7200
DEFAULT_TOKEN_MARGIN = 300
#: What the oapi asks of a POST body (43004/43005 otherwise); the Java SDK sends the same.
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
#: Per-second limits (90018 per corp+app, 90019 ISV per corp): wait about one second, no doubling.
PER_SECOND_CODES = frozenset({90018, 90019})
#: Per-minute limits (1500/min per corp or appkey per API): retrying within the minute is futile.
PER_MINUTE_CODES = frozenset({90005, 90006})
#: "System busy": the doc says retry at most 3 times.
SYSTEM_BUSY_RETRIES = 3
#: Seconds one call may take in all (token fetch, budget waits, attempts, backoff): below
#: gunicorn's worker timeout (68 s by default, never under 60 s).
DEFAULT_CALL_DEADLINE = 45.0

JSONDict = dict[str, Any]


def json_body(body: Mapping[str, Any]) -> bytes:
    """Encode a POST body as DingTalk expects: compact UTF-8 JSON (not \\u escapes)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode(
        "utf-8"
    )


class _ProcessLocks:
    """Per-key thread locks shared by every client in the process (first half of single flight)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def get(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


_TOKEN_LOCKS = _ProcessLocks()


class DingTalkClient:
    """Client for the DingTalk server oapi of one internal app (appkey) or corp (corpid).

    API areas, named after the vendor docs: ``messages`` (work notices),
    ``departments``, ``users``, ``auth``, ``chats``. Every operation returns the
    decoded JSON body (``errcode == 0``) or raises a ``DingTalkError`` subclass.

    Subclasses that obtain their token another way (ISV ``get_corp_token``)
    override ``_fetch_token()`` and, if needed, ``_validate_credentials()`` and
    ``token_key``.
    """

    def __init__(
        self,
        app_key: str | None = None,
        app_secret: str | None = None,
        corp_id: str | None = None,
        corp_secret: str | None = None,
        agent_id: int | str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        session: requests.Session | None = None,
        token_store: TokenStore | None = None,
        rate_limiter: RateLimiter | None = None,
        max_retries: int = 3,
        backoff_base: float = 1.0,
        backoff_max: float = 8.0,
        *,
        token_margin: int = DEFAULT_TOKEN_MARGIN,
        sleep: Callable[[float], None] = time.sleep,
        jitter: bool = True,
        max_userid_list: int = 100,
        max_dept_id_list: int = 20,
        max_chat_members: int = 40,
        call_deadline: float | None = DEFAULT_CALL_DEADLINE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app_key = app_key
        self._app_secret = app_secret
        self.corp_id = corp_id
        self._corp_secret = corp_secret
        self._validate_credentials()
        self.agent_id = int(agent_id) if agent_id not in (None, "") else None
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self.token_store: TokenStore = (
            token_store if token_store is not None else MemoryTokenStore()
        )
        self.rate_limiter: RateLimiter = (
            rate_limiter if rate_limiter is not None else LocalRateLimiter(DEFAULT_RATE, 1.0)
        )
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.token_margin = token_margin
        self.jitter = jitter
        self.max_userid_list = max_userid_list
        self.max_dept_id_list = max_dept_id_list
        self.max_chat_members = max_chat_members
        # Never shorter than one attempt's timeout: a call always gets its first attempt.
        self.call_deadline = None if call_deadline is None else max(call_deadline, timeout)
        self._sleep = sleep
        self._clock = clock
        self._random = random.Random()
        #: The deadline of the call this thread is making (a token fetch inside it shares it).
        self._local = threading.local()

        self.messages = WorkNoticeAPI(self)
        self.departments = DepartmentAPI(self)
        self.users = UserAPI(self)
        self.auth = AuthAPI(self)
        self.chats = ChatAPI(self)
        self.contacts_v2 = ContactsV2API(self)
        install_log_redaction()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(app_id={self.app_id!r}, base_url={self.base_url!r})"

    def _validate_credentials(self) -> None:
        """Require exactly one complete credential pair (overridden by ISV corp clients)."""
        has_app = bool(self.app_key or self._app_secret)
        has_corp = bool(self.corp_id or self._corp_secret)
        if has_app == has_corp:
            raise ValueError("pass either app_key/app_secret or corp_id/corp_secret")
        if has_app and not (self.app_key and self._app_secret):
            raise ValueError("app_key and app_secret are both required")
        if has_corp and not (self.corp_id and self._corp_secret):
            raise ValueError("corp_id and corp_secret are both required")

    @property
    def app_id(self) -> str:
        """The appkey or corpid: keys the token store and the rate limiter."""
        return str(self.app_key or self.corp_id)

    @property
    def token_key(self) -> str:
        """Key of this app's token in the token store (one per app, never shared)."""
        return self.app_id

    # -- access token ---------------------------------------------------------------

    def get_access_token(self, force_refresh: bool = False) -> str:
        """Return a cached token, or fetch one with GET /gettoken (single flight)."""
        if not force_refresh:
            token = self.token_store.get(self.token_key)
            if token:
                return token
        return self._refresh_token(stale=None, force=force_refresh)

    def _renew_token(self, stale: str | None) -> str:
        """Replace the rejected ``stale`` token, fetching at most once among all callers.

        The check happens under the refresh lock: deleting ``stale`` before taking it
        could delete the fresh token another worker had just stored, and fetch again.
        """
        return self._refresh_token(stale=stale, force=False)

    def _refresh_token(self, *, stale: str | None, force: bool) -> str:
        key = self.token_key
        with _TOKEN_LOCKS.get(key), self.token_store.refresh_lock(key, stale):
            if not force:
                cached = self.token_store.get(key)
                if cached and cached != stale:
                    return cached
            token, expires_in = self._fetch_token()
            self.token_store.set(key, token, self._token_ttl(expires_in))
            return token

    def _token_ttl(self, expires_in: int) -> int:
        margin = min(self.token_margin, expires_in // 2)
        return max(1, expires_in - margin)

    def _fetch_token(self) -> tuple[str, int]:
        """GET /gettoken with appkey/appsecret (or corpid/corpsecret); returns (token, expires_in)."""
        if self.app_key:
            params = {"appkey": self.app_key, "appsecret": self._app_secret}
        else:
            params = {"corpid": self.corp_id, "corpsecret": self._corp_secret}
        body = self._request("GET", GETTOKEN_PATH, params=params, with_token=False)
        return self._parse_token_body(body, GETTOKEN_PATH)

    def _parse_token_body(self, body: Mapping[str, Any], path: str) -> tuple[str, int]:
        """Extract (access_token, expires_in) from a token response; 7200 when expires_in is absent."""
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            raise InvalidResponse(f"{path}: no access_token in the response", path=path)
        try:
            expires_in = int(body.get("expires_in") or DEFAULT_EXPIRES_IN)
        except (TypeError, ValueError):
            expires_in = DEFAULT_EXPIRES_IN
        logger.info("fetched access token for %s (expires_in=%ss)", self.app_id, expires_in)
        return token, expires_in

    # -- requests -------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> JSONDict:
        """GET a classic oapi path with its parameters in the query string."""
        return self._request("GET", path, params=params)

    def post(
        self, path: str, body: Mapping[str, Any] | None = None, *, send: bool = False
    ) -> JSONDict:
        """POST a JSON body; ``send=True`` marks a non-idempotent call (never re-sent on timeout)."""
        return self._request("POST", path, body=dict(body or {}), send=send)

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        send: bool = False,
        with_token: bool = True,
    ) -> JSONDict:
        """Call ``path`` with retries: token refresh once, throttling backoff, one GET retry.

        The whole call, a token fetch made for it included, ends by its deadline
        (``call_deadline`` after the outermost call started).
        """
        if getattr(self._local, "deadline", None) is not None or self.call_deadline is None:
            return self._request_within(method, path, params, body, send, with_token)
        self._local.deadline = self._clock() + self.call_deadline
        try:
            return self._request_within(method, path, params, body, send, with_token)
        finally:
            self._local.deadline = None

    def _remaining(self) -> float | None:
        """Seconds left before this thread's call must end (None: no deadline)."""
        deadline = getattr(self._local, "deadline", None)
        return None if deadline is None else deadline - self._clock()

    def _time_for(self, delay: float) -> bool:
        """True when sleeping ``delay`` and one more attempt still fit before the deadline."""
        remaining = self._remaining()
        return remaining is None or delay + self.timeout <= remaining

    def _request_within(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        send: bool,
        with_token: bool,
    ) -> JSONDict:
        refreshed = False
        throttled = 0
        transport_retried = False
        while True:
            token = self.get_access_token() if with_token else None
            try:
                return self._send_once(method, path, params, body, token, send)
            except ApiError as exc:
                if with_token and not refreshed and is_refreshable(exc):
                    refreshed = True
                    logger.info("%s rejected the token (code %s); refreshing once", path, exc.code)
                    self._renew_token(token)
                    continue
                if isinstance(exc, Throttled) and not isinstance(exc, BudgetWaitExceeded):
                    limit = self._throttle_retries(exc)
                    delay = self._throttle_delay(exc, throttled) if throttled < limit else 0.0
                    if throttled >= limit or not self._time_for(delay):
                        exc.attempts = throttled + 1
                        raise
                    throttled += 1
                    logger.info(
                        "%s throttled (code %s); retry %d/%d in %.2fs",
                        path,
                        exc.code,
                        throttled,
                        limit,
                        delay,
                    )
                    self._sleep(delay)
                    continue
                raise
            except TransportError as exc:
                if send or transport_retried or not exc.retryable or not self._time_for(0.0):
                    raise
                transport_retried = True
                logger.info("%s %s failed (%s); retrying once", method, path, type(exc).__name__)

    def _throttle_retries(self, exc: Throttled) -> int:
        """How many times a throttled call is retried (§9): depends on the code.

        errcode 88 without a sub_code: one short retry. -1 (system busy): at most 3.
        90005/90006 ("wait for the next minute") are not retried in-line: another
        try within the minute fails again; the caller gets ``retry_after``.
        """
        if exc.errcode == 88 and not exc.sub_code:
            return min(1, self.max_retries)
        if exc.code == -1:
            return min(SYSTEM_BUSY_RETRIES, self.max_retries)
        if exc.code in PER_MINUTE_CODES:
            return 0
        return self.max_retries

    def _throttle_delay(self, exc: Throttled, attempt: int) -> float:
        """About ``backoff_base`` (1 s) for per-second limits and bare 88; else doubling."""
        if exc.code in PER_SECOND_CODES or (exc.errcode == 88 and not exc.sub_code):
            delay = min(self.backoff_max, self.backoff_base)
            if self.jitter:
                delay += self._random.uniform(0, delay / 4)
            return delay
        return self._backoff_delay(attempt)

    def _backoff_delay(self, attempt: int) -> float:
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        if self.jitter:
            delay = delay / 2 + self._random.uniform(0, delay / 2)
        return delay

    def _send_once(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        body: Mapping[str, Any] | None,
        token: str | None,
        send: bool,
    ) -> JSONDict:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if token is not None:
            query["access_token"] = token
        kwargs: dict[str, Any] = {"params": query, "timeout": self.timeout}
        if body is not None:
            kwargs["data"] = json_body(body)
            kwargs["headers"] = {"Content-Type": JSON_CONTENT_TYPE}
        self._acquire_budget(path)
        started = time.perf_counter()
        try:
            response = self.session.request(method, self.base_url + path, **kwargs)
        except requests.Timeout as exc:
            outcome_unknown = send and not isinstance(exc, requests.ConnectTimeout)
            self._log(method, path, started, "timeout")
            note = "; the message may have been delivered, not re-sent" if outcome_unknown else ""
            error = RequestTimeout(
                f"{method} {path}: no response within {self.timeout}s{note}",
                path=path,
                outcome_unknown=outcome_unknown,
                retryable=True,
            )
            raise error from None
        except requests.RequestException as exc:
            self._log(method, path, started, type(exc).__name__)
            error = TransportError(
                f"{method} {path}: {type(exc).__name__}: {redact(exc, self._secrets(token))}",
                path=path,
                retryable=isinstance(exc, requests.ConnectionError),
            )
            raise error from None
        return self._decode(method, path, response, started, token)

    def _acquire_budget(self, path: str) -> float:
        """Wait for a slot in the shared budget, leaving the attempt its timeout before the
        deadline; returns the seconds waited. Raises BudgetWaitExceeded (nothing sent)."""
        remaining = self._remaining()
        key = f"{self.app_id}:{path}"
        if remaining is None:
            return self.rate_limiter.acquire(key) or 0.0
        if remaining < self.timeout:
            raise BudgetWaitExceeded(
                f"{path}: no time left for another attempt within {self.call_deadline:g}s; "
                "not sent",
                retry_after=1.0,
                path=path,
            )
        return self.rate_limiter.acquire(key, within=remaining - self.timeout) or 0.0

    def _decode(
        self,
        method: str,
        path: str,
        response: requests.Response,
        started: float,
        token: str | None,
    ) -> JSONDict:
        status = response.status_code
        if status != 200:
            self._log(method, path, started, f"HTTP {status}")
            raise HTTPStatusError(
                f"{method} {path}: HTTP {status}",
                path=path,
                status_code=status,
                retryable=status >= 500,
            )
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or "errcode" not in payload:
            self._log(method, path, started, "invalid body")
            snippet = redact(response.text[:160], self._secrets(token)).replace("\n", " ")
            kind = "not JSON" if payload is None else "not an errcode envelope"
            raise InvalidResponse(
                f"{method} {path}: response body is {kind} (IP throttle page?): {snippet!r}",
                path=path,
                status_code=status,
            )
        try:
            errcode = int(payload["errcode"])
        except (TypeError, ValueError):
            raise InvalidResponse(
                f"{method} {path}: errcode is not an integer", path=path, status_code=status
            ) from None
        self._log(method, path, started, errcode)
        if errcode != 0:
            raise error_from_body(payload, path)
        return payload

    def _log(self, method: str, path: str, started: float, outcome: object) -> None:
        elapsed_ms = (time.perf_counter() - started) * 1000
        level = logging.DEBUG if outcome == 0 else logging.INFO
        logger.log(
            level,
            "%s %s app=%s errcode=%s %.0fms",
            method,
            path,
            self.app_id,
            outcome,
            elapsed_ms,
        )

    def _secrets(self, token: str | None = None) -> tuple[str | None, ...]:
        return (self._app_secret, self._corp_secret, token)
