"""Configuration read from the environment (and a `.env` file beside app.py).

Every setting has a safe default so `make run` works on a fresh clone; the
defaults point at the local sandbox only when the run command says so
(DINGTALK_API_BASE), never silently.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("DASHBOARD_INSTANCE_PATH", ROOT / "instance"))

load_dotenv(ROOT / ".env")


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def _env_float(name: str, default: float) -> float:
    value = _env(name)
    return float(value) if value is not None else default


def _env_bool(name: str, default: bool) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults for every deployment; overridden by environment variables."""

    SECRET_KEY = _env("SECRET_KEY")
    INSTANCE_PATH = str(INSTANCE)

    # DingTalk app (internal app, current or legacy credential pair)
    DINGTALK_APP_KEY = _env("DINGTALK_APP_KEY")
    DINGTALK_APP_SECRET = _env("DINGTALK_APP_SECRET")
    DINGTALK_CORP_ID = _env("DINGTALK_CORP_ID")
    DINGTALK_CORP_SECRET = _env("DINGTALK_CORP_SECRET")
    DINGTALK_AGENT_ID = _env("DINGTALK_AGENT_ID")
    DINGTALK_API_BASE = _env("DINGTALK_API_BASE", "https://oapi.dingtalk.com")
    DINGTALK_TIMEOUT = _env_float("DINGTALK_TIMEOUT", 10.0)
    # The governor's calls/s per (app, operation), shared by every process: 5 % under
    # DingTalk's 20/s, as the governor's clock and DingTalk's window never agree exactly
    # (dashboard/dingtalk/ratelimit.py DEFAULT_RATE); at exactly 20 DingTalk answers 90018.
    DINGTALK_RATE_LIMIT = _env_float("DINGTALK_RATE_LIMIT", 19.0)
    # A call over that budget waits for it, at most this many seconds, instead of being refused.
    DINGTALK_RATE_LIMIT_MAX_WAIT = _env_float("DINGTALK_RATE_LIMIT_MAX_WAIT", 30.0)
    DINGTALK_MAX_RETRIES = _env_int("DINGTALK_MAX_RETRIES", 3)  # throttling backoff attempts
    DINGTALK_BACKOFF_BASE = _env_float("DINGTALK_BACKOFF_BASE", 1.0)  # seconds, doubling
    DINGTALK_USERID_BATCH = _env_int("DINGTALK_USERID_BATCH", 100)
    DINGTALK_DEPT_BATCH = _env_int("DINGTALK_DEPT_BATCH", 20)
    DINGTALK_DAILY_USER_CAP = _env_int("DINGTALK_DAILY_USER_CAP", 500)
    DINGTALK_DAILY_ALL_USER_CAP = _env_int("DINGTALK_DAILY_ALL_USER_CAP", 3)

    # ISV suite (third-party mode); empty means internal-app mode
    DINGTALK_SUITE_KEY = _env("DINGTALK_SUITE_KEY")
    DINGTALK_SUITE_SECRET = _env("DINGTALK_SUITE_SECRET")
    DINGTALK_SUITE_TICKET = _env("DINGTALK_SUITE_TICKET")
    DINGTALK_CALLBACK_TOKEN = _env("DINGTALK_CALLBACK_TOKEN")
    DINGTALK_CALLBACK_AES_KEY = _env("DINGTALK_CALLBACK_AES_KEY")
    DASHBOARD_ENCRYPTION_KEY = _env("DASHBOARD_ENCRYPTION_KEY")
    # Callbacks whose signed timestamp is further from now than this are refused (replays).
    DINGTALK_CALLBACK_MAX_AGE = _env_int("DINGTALK_CALLBACK_MAX_AGE", 3600)

    # The v1.0 host (robot messages, interactive cards, v1.0 groups, DingTalk sign-in, the
    # Stream gateway: shared/dingtalk-v1.md).
    DINGTALK_API_V1_BASE = _env("DINGTALK_API_V1_BASE", "https://api.dingtalk.com")
    # The robot's robotCode; unset: the app key (an internal app's robot, §0.2). An ISV
    # suite's robot code is not documented: set it.
    DINGTALK_ROBOT_CODE = _env("DINGTALK_ROBOT_CODE")
    # What the reference marks "(unverified)", as settings:
    # §1.4 one token for both hosts (works in practice, the docs are silent)
    DINGTALK_V1_SHARE_TOKEN = _env_bool("DINGTALK_V1_SHARE_TOKEN", False)
    # §2.3 robot flow-control codes answered as HTTP 400, backed off like the gateway limits
    DINGTALK_V1_THROTTLE_CODES = _env(
        "DINGTALK_V1_THROTTLE_CODES",
        "send.too.fast,send.byToken.tooFast,too.many.people,too.many.group",
    )
    # §2.2 retry a send answered 500 system.error/unknownError (it may have gone out)
    DINGTALK_V1_RETRY_SERVER_ERRORS_ON_SEND = _env_bool(
        "DINGTALK_V1_RETRY_SERVER_ERRORS_ON_SEND", False
    )
    # §3.1/§9 userIds per oToMessages/batchSend call (the doc says 20, its error text 100)
    DINGTALK_ROBOT_USER_BATCH = _env_int("DINGTALK_ROBOT_USER_BATCH", 20)
    # §3.4 msgParam bytes of a 1:1 robot message (none stated; the group's 15 000 applied)
    DINGTALK_ROBOT_MSG_PARAM_MAX_BYTES = _env_int("DINGTALK_ROBOT_MSG_PARAM_MAX_BYTES", 15000)
    # §9 robot messages per person per day: not published; the pre-send warning's cap
    # (0: no warning), and the minutes within which the same robot message is a duplicate
    DINGTALK_ROBOT_DAILY_USER_CAP = _env_int("DINGTALK_ROBOT_DAILY_USER_CAP", 0)
    DINGTALK_ROBOT_DUPLICATE_WINDOW_MINUTES = _env_int(
        "DINGTALK_ROBOT_DUPLICATE_WINDOW_MINUTES", 10
    )
    # §6.1 longest outTrackId of a card (64 reported)
    DINGTALK_CARD_OUT_TRACK_ID_MAX = _env_int("DINGTALK_CARD_OUT_TRACK_ID_MAX", 64)
    # §6.4 seconds a card callback's signed timestamp stays acceptable (it signs only the time)
    DINGTALK_CARD_CALLBACK_MAX_AGE = _env_int("DINGTALK_CARD_CALLBACK_MAX_AGE", 300)
    # The console's own address as DingTalk reaches it (https://console.example.com): when
    # set, the console registers <it>/cards/callback for card presses (§6.4).
    DASHBOARD_PUBLIC_URL = _env("DASHBOARD_PUBLIC_URL")
    # The card callback's route key, and its apiSecret (unset: derived from SECRET_KEY)
    DINGTALK_CARD_CALLBACK_ROUTE_KEY = _env("DINGTALK_CARD_CALLBACK_ROUTE_KEY", "dashboard")
    DINGTALK_CARD_CALLBACK_SECRET = _env("DINGTALK_CARD_CALLBACK_SECRET")
    # People per card when a card goes to people (one IM_ROBOT space each)
    DINGTALK_CARD_USER_BATCH = _env_int("DINGTALK_CARD_USER_BATCH", 20)

    # Storage
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL", f"sqlite:///{INSTANCE / 'dashboard.db'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    CACHE_TYPE = _env("CACHE_TYPE", "FileSystemCache")
    CACHE_DIR = _env("CACHE_DIR", str(INSTANCE / "cache"))
    CACHE_REDIS_URL = _env("CACHE_REDIS_URL")
    CACHE_KEY_PREFIX = _env("CACHE_KEY_PREFIX", "dashboard:")  # namespaces the Redis keys
    # Shared rate budget across workers and hosts; defaults to the cache's Redis
    DINGTALK_RATE_LIMIT_REDIS_URL = _env("DINGTALK_RATE_LIMIT_REDIS_URL")
    CACHE_DEFAULT_TIMEOUT = _env_int("CACHE_DEFAULT_TIMEOUT", 300)
    CACHE_THRESHOLD = _env_int("CACHE_THRESHOLD", 5000)
    DIRECTORY_SNAPSHOT_TTL = _env_int("DIRECTORY_SNAPSHOT_TTL", 3600)
    #: How the snapshot reads the directory: "v2" (topapi/v2 listsub, v2/user/list,
    #: v2/department/get; dingtalk-v1.md §8) or "classic" (department/list, listbypage).
    DIRECTORY_CONTACTS_API = _env("DIRECTORY_CONTACTS_API", "v2")
    #: Threads per kind of v2 call while crawling (the governor paces them all).
    DIRECTORY_CRAWL_WORKERS = _env_int("DIRECTORY_CRAWL_WORKERS", 3)
    #: Seconds a directory read (pages, and the JSON API's reads) is reused; unset = the
    #: snapshot's lifetime, 0 = every read reaches DingTalk.
    DIRECTORY_DETAIL_TTL = (
        _env_int("DIRECTORY_DETAIL_TTL", 0) if _env("DIRECTORY_DETAIL_TTL") else None
    )

    # Delivery queue (Huey), consumed by the Procfile's `worker:` process. Unset: the
    # cache's Redis when the cache is Redis (keys under CACHE_KEY_PREFIX), else
    # sqlite:///instance/queue.db. Immediate: tasks run in the caller (tests), no worker.
    DELIVERY_QUEUE_URL = _env("DELIVERY_QUEUE_URL")
    DELIVERY_IMMEDIATE = _env_bool("DELIVERY_IMMEDIATE", False)
    DELIVERY_WORKERS = _env_int("DELIVERY_WORKERS", 2)  # threads of one worker process
    #: Seconds a consumer's claim on a send holds unless renewed (a dead consumer's send
    #: is taken over after it).
    DELIVERY_CLAIM_SECONDS = _env_int("DELIVERY_CLAIM_SECONDS", 180)

    # Schedules (dashboard/schedules)
    #: Seconds a due time may fire late and still be on time; later, it was missed
    #: (the console was down) and the schedule's on_missed decides.
    SCHEDULE_LATE_AFTER = _env_int("SCHEDULE_LATE_AFTER", 300)
    #: Hours within which DingTalk takes the same content to the same person as a
    #: duplicate (143106; the reference says "once per day"): a recurrence repeating
    #: its text this often is flagged.
    SCHEDULE_DUPLICATE_WINDOW_HOURS = _env_int("SCHEDULE_DUPLICATE_WINDOW_HOURS", 24)

    # Sign-in and the API
    DASHBOARD_ADMIN_USERNAME = _env("DASHBOARD_ADMIN_USERNAME")
    DASHBOARD_ADMIN_PASSWORD = _env("DASHBOARD_ADMIN_PASSWORD")
    DASHBOARD_API_TOKEN = _env("DASHBOARD_API_TOKEN")
    # An abuse ceiling per token, well above DingTalk's budget (20/s = 1200/min per operation):
    # calls DingTalk would serve wait for its budget in the governor, they are not refused here.
    API_RATE_LIMIT = _env("API_RATE_LIMIT", "6000 per minute")
    # Flask-Limiter's storage (API limit per token, sign-in limit). Unset: the cache's
    # Redis when the cache is Redis (all workers count together), else per process.
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI")
    # Off: the API sets its own Retry-After (429 from the limit, 503 from DingTalk throttling);
    # Flask-Limiter would overwrite the latter with the limit window on every reply.
    RATELIMIT_HEADERS_ENABLED = False
    # Proxies in front (nginx): how many set X-Forwarded-For/-Proto. 0 trusts none; with
    # nginx set 1, or every user shares one sign-in rate limit (the proxy's address).
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    # "Remember me" keeps an admin signed in for two weeks, not Flask-Login's year.
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("REMEMBER_COOKIE_DAYS", 14))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    # Flask-Login's "remember me" cookie signs a user in as surely as the session does
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    WTF_CSRF_TIME_LIMIT = None

    # Roles, sessions and signing in with DingTalk (dashboard/auth)
    # Minutes without a request after which a session ends (0: never).
    SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", 30)
    # "Sign in with DingTalk" (OAuth2): on when set; the app key is the client_id.
    DINGTALK_OAUTH_ENABLED = _env_bool("DINGTALK_OAUTH_ENABLED", False)
    # DingTalk's login page (the sandbox serves one: set it to the sandbox's URL there);
    # the tokens and the profile come from the v1.0 host, DINGTALK_API_V1_BASE.
    DINGTALK_LOGIN_BASE = _env("DINGTALK_LOGIN_BASE", "https://login.dingtalk.com")
    # The company's DingTalk admins may sign in without a console account (as this role).
    DINGTALK_OAUTH_ADMINS_ROLE = _env("DINGTALK_OAUTH_ADMINS_ROLE")
    # Audit log rows per page
    AUDIT_PAGE_SIZE = _env_int("AUDIT_PAGE_SIZE", 50)

    # Stream mode (dashboard/events): the `events` process keeps one outbound WebSocket to
    # DingTalk's gateway at DINGTALK_API_V1_BASE (the app key, or the suite key in ISV mode).
    DINGTALK_STREAM_ENABLED = _env_bool("DINGTALK_STREAM_ENABLED", False)
    # Days the events log keeps an event (its eventId dedupes redeliveries meanwhile).
    EVENTS_RETENTION_DAYS = _env_int("EVENTS_RETENTION_DAYS", 7)
    # Longest wait between two failed connection attempts (s); doubles from 1 s.
    EVENTS_MAX_BACKOFF = _env_float("EVENTS_MAX_BACKOFF", 60.0)

    # UI
    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ("zh", "en")
    BABEL_DEFAULT_TIMEZONE = _env("DASHBOARD_TIMEZONE", "Asia/Shanghai")
    # A send from the composer to everyone or to more people than this asks to confirm.
    SEND_CONFIRM_THRESHOLD = _env_int("SEND_CONFIRM_THRESHOLD", 200)
    # Static files are copied once, content-hashed and precompressed, into this folder
    # (dashboard/main/assets.py); unset: instance/static.
    STATIC_BUILD_DIR = _env("STATIC_BUILD_DIR")

    # Logging
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    LOG_FORMAT = _env("LOG_FORMAT", "json")
