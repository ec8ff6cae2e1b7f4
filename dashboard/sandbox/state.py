"""Everything the emulator remembers, behind one lock.

The test server is threaded, so every read-modify-write of the state happens
under `SandboxState.lock` (an RLock). Views take the lock around their whole
body; the request pipeline takes it for counting, faults and rate limits.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import itertools
import secrets
import threading
import zlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from dashboard.sandbox.clock import SandboxClock
from dashboard.sandbox.demo import Company, Profile, build_company, company_for
from dashboard.sandbox.settings import SandboxSettings

FAULT_KINDS = (
    "throttle",
    "system_busy",
    "bare_88",
    "token_expired",
    "token_invalid",
    "http_500",
    "ip_ban",
    "latency",
    "errcode",
)

# Ids keep increasing across resets so a client's history never sees a reused id.
_TASK_IDS = itertools.count(256271667001)
_MESSAGE_IDS = itertools.count(1)


@dataclass
class TokenRecord:
    """One issued access token and the app it belongs to."""

    token: str
    app_id: str
    expires_at: float
    revoked: bool = False
    host: str = "oapi"  # or "v1": which host issued it (v1_cross_host_tokens)


@dataclass
class Fault:
    """An injected failure for the next `remaining` matching calls."""

    kind: str
    remaining: int
    path: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def matches(self, path: str) -> bool:
        """Faults without a path hit every oapi call except /gettoken."""
        if self.path is None:
            return path != "/gettoken"
        return self.path == path


@dataclass
class NoticeTask:
    """An accepted work notice (asyncsend_v2) and its per-recipient outcome."""

    task_id: int
    agent_id: int
    app_id: str
    created_at: float
    msg: dict[str, Any]
    recipients: list[str]
    invalid_user_ids: list[str]
    invalid_dept_ids: list[int]
    forbidden: list[dict[str, Any]]
    recalled: bool = False

    def progress(self, now: float, settings: SandboxSettings) -> tuple[int, int]:
        """(status, percent): 0 before start, 1 while sending, 2 when done."""
        elapsed = now - self.created_at - settings.task_start_delay
        if elapsed < 0:
            return 0, 0
        if settings.task_duration <= 0 or elapsed >= settings.task_duration:
            return 2, 100
        return 1, min(99, int(100 * elapsed / settings.task_duration))

    def done_at(self, settings: SandboxSettings) -> float:
        """When the task reaches status 2."""
        return self.created_at + settings.task_start_delay + max(settings.task_duration, 0)

    def has_read(self, userid: str, now: float, settings: SandboxSettings) -> bool:
        """Whether a recipient has read the notice by `now` (deterministic per task+user)."""
        when = read_at(
            f"{self.task_id}:{userid}",
            self.done_at(settings),
            settings.notice_read_ratio,
            settings.notice_read_spread,
        )
        return when is not None and when <= now


@dataclass
class Chat:
    """A group chat created by chat/create, or a department's own group."""

    chatid: str
    open_conversation_id: str
    name: str
    owner: str
    members: list[str]
    conversation_tag: int
    options: dict[str, int]
    icon: str = ""
    status: int = 1


@dataclass
class ChatMessage:
    """A message sent with chat/send; members read it over time."""

    message_id: str
    chatid: str
    sent_at: float
    readers: list[str]
    msg: dict[str, Any]
    seq: int = 0  # position since the last reset: keys the simulated reads, so they repeat


def read_at(key: str, start: float, ratio: float, spread: float) -> float | None:
    """When the reader identified by `key` reads, or None if never.

    Deterministic: a `ratio` share of readers read, spread over `spread` seconds
    after `start`, so tests get the same read lists on every run.
    """
    fraction = zlib.crc32(key.encode()) / 2**32
    if ratio <= 0 or fraction >= ratio:
        return None
    return start + (fraction / ratio) * max(spread, 0)


class SandboxState:
    """Tokens, tasks, chats, counters, faults, windows, clock and runtime knobs."""

    def __init__(self, defaults: SandboxSettings) -> None:
        self.lock = threading.RLock()
        self.defaults = defaults
        self.clock = SandboxClock()
        self.company: Company = company_for(defaults.company)
        #: ISV companies with a directory of their own: corpid -> profile, and the built ones.
        self.tenant_profiles: dict[str, Profile] = {}
        self.tenants: dict[str, Company] = {}
        self.reset()

    def reset(self) -> None:
        """Back to a fresh emulator: settings defaults, no tokens, tasks or faults."""
        with self.lock:
            if getattr(self, "directory_changed", False):  # hires, leavers (v1/stream)
                pristine = getattr(self, "pristine_company", None)
                self.company = pristine if pristine is not None else self.company
                self.tenants = {}
            self.directory_changed = False
            self.pristine_company: Company | None = None  # copied before the first change
            self.settings = dataclasses.replace(self.defaults)
            self.clock.reset()
            self.tokens: dict[str, TokenRecord] = {}
            self.app_tokens: dict[str, str] = {}
            self.tasks: dict[int, NoticeTask] = {}
            self.delivered: set[tuple[str, str, int, str]] = set()
            self.daily_counts: dict[tuple[str, str, int], int] = defaultdict(int)
            self.to_all_counts: dict[tuple[str, int], int] = defaultdict(int)
            self.chats: dict[str, Chat] = {}
            self.messages: dict[str, ChatMessage] = {}
            self.faults: list[Fault] = []
            self.calls: dict[str, int] = defaultdict(int)
            self.errors: dict[int, int] = defaultdict(int)
            self.sub_codes: dict[str, int] = defaultdict(int)
            self.http_errors: dict[int, int] = defaultdict(int)
            self.gettoken_calls = 0
            self.windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
            self.global_windows: dict[str, deque[float]] = defaultdict(deque)
            self.ip_windows: dict[str, deque[float]] = defaultdict(deque)
            self.ip_banned_until: dict[str, float] = {}
            self._seed_department_chats()

    # Companies ------------------------------------------------------------------------------

    def add_tenant(self, corpid: str, profile: Profile) -> None:
        """Give the ISV company `corpid` (the app id of its tokens) a directory of its own."""
        self.tenant_profiles.setdefault(corpid, profile)

    def company_of(self, app_id: str | None) -> Company:
        """The directory a caller sees: its own for an ISV company, else the demo company."""
        profile = self.tenant_profiles.get(app_id or "")
        if profile is None:
            return self.company
        if app_id not in self.tenants:
            self.tenants[app_id] = build_company(profile)
        return self.tenants[app_id]

    # Tokens ---------------------------------------------------------------------------------

    def issue_token(self, app_id: str, host: str = "oapi") -> TokenRecord:
        """The app's live token with its expiry pushed to now+TTL, or a new one.

        Both hosts share one token per app unless `v1_cross_host_tokens` is off.
        """
        now = self.clock.now()
        key = app_id if self.settings.v1_cross_host_tokens else f"{host}|{app_id}"
        current = self.tokens.get(self.app_tokens.get(key, ""))
        if current is None or current.revoked or current.expires_at <= now:
            current = TokenRecord(secrets.token_hex(16), app_id, 0.0, host=host)
            self.tokens[current.token] = current
            self.app_tokens[key] = current.token
        current.expires_at = now + self.settings.token_ttl
        return current

    def revoke_tokens(self) -> int:
        """Forget every issued token (they answer 40014 afterwards)."""
        count = len(self.tokens)
        self.tokens.clear()
        self.app_tokens.clear()
        return count

    # Faults ---------------------------------------------------------------------------------

    def add_fault(self, kind: str, count: int, path: str | None, params: dict[str, Any]) -> Fault:
        """Queue a fault; raises ValueError on an unknown kind or a bad count."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if path is not None and not path.startswith("/"):
            path = "/" + path
        fault = Fault(kind, count, path, dict(params))
        self.faults.append(fault)
        return fault

    def take_fault(self, path: str) -> Fault | None:
        """Consume one use of the first fault that matches `path`."""
        for fault in self.faults:
            if fault.matches(path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    # Rate limits ----------------------------------------------------------------------------

    def check_ip(self, ip: str) -> bool:
        """Record one call from `ip`; False while the IP is banned (§10: 5 minutes)."""
        settings = self.settings
        now = self.clock.now()
        if self.ip_banned_until.get(ip, 0.0) > now:
            return False
        if settings.ip_limit <= 0:
            return True
        window = self.ip_windows[ip]
        _prune(window, now - settings.ip_window)
        if len(window) >= settings.ip_limit:
            self.ip_banned_until[ip] = now + settings.ip_ban_seconds
            window.clear()
            return False
        window.append(now)
        return True

    def check_rate(self, app_id: str, path: str) -> int | None:
        """Record one accepted call; the throttle errcode when a limit is hit."""
        settings = self.settings
        now = self.clock.now()
        if settings.global_limit > 0:
            global_window = self.global_windows[path]
            _prune(global_window, now - settings.global_window)
            if len(global_window) >= settings.global_limit:
                return 90002
        window = self.windows[(app_id, path)]
        _prune(window, now - 60.0)
        if settings.qps_limit > 0:
            last_second = sum(1 for t in reversed(window) if t > now - 1.0)
            if last_second >= settings.qps_limit:
                return 90018
        if settings.qpm_limit > 0 and len(window) >= settings.qpm_limit:
            return 90006
        window.append(now)
        if settings.global_limit > 0:
            self.global_windows[path].append(now)
        return None

    # Tasks and chats ------------------------------------------------------------------------

    def next_task_id(self) -> int:
        """A fresh task id."""
        return next(_TASK_IDS)

    def new_message_id(self, chatid: str) -> str:
        """An encrypted-looking messageId that always contains '+', '/' and '='."""
        raw = hashlib.sha256(f"{chatid}:{next(_MESSAGE_IDS)}".encode()).digest()
        text = _b64(raw[:16])
        return f"{text[:6]}+{text[6:12]}/{text[12:]}"

    def add_chat(self, chat: Chat) -> Chat:
        """Store a chat."""
        self.chats[chat.chatid] = chat
        return chat

    def _seed_department_chats(self) -> None:
        """Each department with createDeptGroup gets its own group chat."""
        for dept in self.company.departments.values():
            if not dept.create_dept_group:
                continue
            people = (
                self.company.members_deep(dept.id)
                if dept.group_contain_sub_dept
                else self.company.members(dept.id)
            )
            if not people:
                continue
            member_ids = [u.userid for u in people]
            owner = dept.manager_userids[0] if dept.manager_userids else member_ids[0]
            self.add_chat(
                Chat(
                    chatid=department_chat_id(dept.id),
                    open_conversation_id=_open_conversation_id(f"dept{dept.id}"),
                    name=dept.name[:20],
                    owner=owner,
                    members=member_ids,
                    conversation_tag=2,
                    options={},
                )
            )

    # Stats ----------------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters since the last reset."""
        return {
            "calls": dict(self.calls),
            "total": sum(self.calls.values()),
            "gettoken": self.gettoken_calls,
            "errors": {str(code): n for code, n in self.errors.items()},
            "sub_codes": dict(self.sub_codes),
            "http_errors": {str(code): n for code, n in self.http_errors.items()},
            "tokens_issued": len(self.tokens),
            "tasks": len(self.tasks),
            "chats": len(self.chats),
            "faults_pending": [dataclasses.asdict(f) for f in self.faults],
        }


def department_chat_id(dept_id: int) -> str:
    """The deterministic chatid of a department's own group (deptGroupChatId)."""
    return "chat" + hashlib.md5(f"dept-chat-{dept_id}".encode(), usedforsecurity=False).hexdigest()


def new_chat_ids() -> tuple[str, str]:
    """A (chatid, openConversationId) pair for a newly created chat."""
    token = secrets.token_hex(16)
    return "chat" + token, _open_conversation_id(token)


def _open_conversation_id(seed: str) -> str:
    raw = hashlib.sha256(f"cid:{seed}".encode()).digest()
    return "cid" + _b64(raw[:16])


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _prune(window: deque[float], cutoff: float) -> None:
    while window and window[0] <= cutoff:
        window.popleft()
