"""gunicorn settings for the dashboard: `gunicorn -c gunicorn.conf.py app:app`.

Every value can be overridden from the environment (GUNICORN_*). The dashboard
spends its time waiting on DingTalk, so workers are threaded (gthread): a
thread blocked on oapi.dingtalk.com costs a few kilobytes, not a process.
Shared state (token, rate budget, history) lives in Redis and PostgreSQL, so
any number of workers and hosts behave as one app; see docs/deploy.md.
"""

import os


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value.strip() else default


def _longest_dingtalk_call() -> int:
    """Seconds one client call can take: every attempt timing out plus every backoff sleep.

    Mirrors the client: a token fetch, max_retries throttling retries and one
    transport retry, each bounded by DINGTALK_TIMEOUT, with the doubling
    backoff capped at 8 s between throttled attempts.
    """
    call_timeout = _env_float("DINGTALK_TIMEOUT", 10.0)
    retries = _env_int("DINGTALK_MAX_RETRIES", 3)
    backoff = _env_float("DINGTALK_BACKOFF_BASE", 1.0)
    attempts = (
        1 + retries + 1 + 1
    )  # the call, its throttling retries, one transport retry, gettoken
    sleeps = sum(min(8.0, backoff * 2**i) for i in range(retries))
    return int(call_timeout * attempts + sleeps) + 1


# Listening: nginx proxies to this address (docs/deploy.md); keep it off public interfaces.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:5000")

# Four processes by default, not 2*cores+1: requests wait on DingTalk, not on the CPU,
# and DingTalk caps the whole app at ~20 calls/s per API whatever we run, so more
# processes add memory, not throughput. Four still survive a crashed or recycled
# worker without a gap. Each has GUNICORN_THREADS threads for concurrent requests.
workers = _env_int("GUNICORN_WORKERS", 4)
worker_class = "gthread"
threads = _env_int("GUNICORN_THREADS", 8)

# gthread's timeout is the worker heartbeat, but keep it above the longest client
# call so a slow DingTalk never looks like a hung worker: 10 s x 6 attempts + 7 s
# of backoff = 68 s with the defaults. nginx's proxy_read_timeout must exceed it.
timeout = _env_int("GUNICORN_TIMEOUT", max(60, _longest_dingtalk_call()))
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then (leaks in any library stay bounded); the jitter keeps
# them from restarting together.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Request lines up to 8190 bytes (gunicorn's largest bounded value; the default 4094
# answered long GET URLs with gunicorn's own error page): the app answers a target
# over its MAX_URL_LENGTH (4096) with the console's own 414 page, in the UI language.
limit_request_line = _env_int("GUNICORN_LIMIT_REQUEST_LINE", 8190)

# Trust X-Forwarded-For/-Proto only from the local nginx.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Preloaded: the master builds the app once (catalogs compiled once, the first admin
# inserted once, a broken configuration fails at start instead of in a restart loop),
# then forks. post_fork below drops the database connections the master opened, and
# the DingTalk client, its requests session and rate limiter are built lazily in each
# worker; redis-py reconnects by itself after a fork. Code upgrades therefore need a
# restart (or USR2), not HUP: see docs/deploy.md. GUNICORN_PRELOAD=0 turns it off.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1").lower() not in {"0", "false", "no"}

# Logs: one JSON line per request on stdout (path without the query string, which
# could carry a token), the server's own messages as JSON on stderr.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-")
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
logger_class = "dashboard.log.GunicornLogger"
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# The runtime control socket (gunicornc) is off unless a path is given: two
# instances on one host would otherwise fight over $HOME/.gunicorn/gunicorn.ctl.
control_socket_disable = not os.environ.get("GUNICORN_CONTROL_SOCKET")
if not control_socket_disable:
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]

proc_name = "dingtalk-dashboard"


def post_fork(server, worker):
    """With preload_app, drop the connections and the client the master made before forking."""
    if not server.cfg.preload_app:
        return
    from dashboard.extensions import db
    from dashboard.services.dingtalk import EXTENSION_KEY

    app = worker.app.wsgi()
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
    app.extensions[EXTENSION_KEY]["internal"] = None
