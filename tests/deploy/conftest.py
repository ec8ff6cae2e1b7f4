"""Production-shaped fixtures: real Redis and PostgreSQL, the sandbox and gunicorn as processes.

Redis (127.0.0.1:6379) and PostgreSQL (127.0.0.1:5432) must be running
(`make services` starts them); when they are not, the tests fail and say so,
because CI has to prove the multi-worker behaviour, not skip it. Every run
works in its own PostgreSQL database and under its own Redis key prefix, and
removes both afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
import redis
import requests

from dashboard.sandbox.control import SandboxControl

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = "redis://127.0.0.1:6379/0"
PG_HOST, PG_PORT = "127.0.0.1", 5432
# trust auth ignores the password: it is there so the tests can prove it never leaks
PG_PASSWORD = "pg-password-must-not-leak"
API_TOKEN = "deploy-api-token-" + uuid.uuid4().hex
ADMIN_PASSWORD = "deploy-admin-password-" + uuid.uuid4().hex[:8]
SECRET_KEY = "deploy-secret-key-" + uuid.uuid4().hex
HINT = "start them with `make services` (scripts/ensure-services.sh)"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/deploy/" in str(item.fspath):
            item.add_marker(pytest.mark.deploy)
            item.add_marker(pytest.mark.xdist_group("deploy"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, proc: subprocess.Popen | None = None):
    """Poll ``predicate`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what}: the process exited with code {proc.returncode}", pytrace=False)
        try:
            result = predicate()
        except (requests.RequestException, OSError):
            result = None
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"{what}: not ready after {timeout:.0f}s", pytrace=False)


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        proc.send_signal(sig)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# --- the shared services ----------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server() -> redis.Redis:
    """The machine's Redis; fails the test run with the reason when it does not answer."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis is not reachable on 127.0.0.1:6379 ({type(exc).__name__}: {exc}); {HINT}",
            pytrace=False,
        )
    return client


@pytest.fixture(scope="session")
def redis_prefix(redis_server) -> Iterator[str]:
    """A key prefix of this run's own; its keys are deleted at the end."""
    prefix = f"deploytest-{uuid.uuid4().hex[:10]}:"
    yield prefix
    keys = list(redis_server.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        redis_server.delete(*keys)


def _pg_connect(dbname: str = "postgres") -> psycopg.Connection:
    errors = []
    for user in ("postgres", "root"):
        try:
            return psycopg.connect(
                host=PG_HOST,
                port=PG_PORT,
                user=user,
                dbname=dbname,
                connect_timeout=3,
                autocommit=True,
            )
        except psycopg.OperationalError as exc:
            errors.append(f"as {user}: {str(exc).strip()}")
    pytest.fail(
        f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} ({'; '.join(errors)}); {HINT}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run (tables from db.create_all()), dropped after."""
    name = f"dashboard_test_{uuid.uuid4().hex[:10]}"
    with _pg_connect() as conn:
        user = conn.info.user
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgresql+psycopg://{user}:{PG_PASSWORD}@{PG_HOST}:{PG_PORT}/{name}"
    yield url
    with _pg_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the emulator and the dashboard as processes ---------------------------------------------


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory) -> Iterator[str]:
    """`python -m dashboard.sandbox` on a free port, as a deployment would run it."""
    port = free_port()
    log = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dashboard.sandbox", "--port", str(port), "--quiet"],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: requests.get(f"{url}/_sandbox/state", timeout=2).ok, 20, "sandbox", proc)
    yield url
    stop(proc)


@pytest.fixture
def emulator(sandbox_process) -> SandboxControl:
    """The sandbox process, reset."""
    control = SandboxControl(sandbox_process)
    control.reset()
    return control


def dashboard_env(sandbox_url: str, pg: str, prefix: str, **extra: str) -> dict[str, str]:
    """The environment docs/deploy.md asks for, pointed at this run's stores and sandbox."""
    control = SandboxControl(sandbox_url)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DINGTALK_", "DASHBOARD_"))}
    env.update(
        SECRET_KEY=SECRET_KEY,
        DATABASE_URL=pg,
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=prefix,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"{prefix}limiter",
        API_RATE_LIMIT="100000 per minute",
        DIRECTORY_DETAIL_TTL="0",  # every API read reaches the sandbox: the counts tell
        DINGTALK_API_BASE=sandbox_url,
        DINGTALK_APP_KEY=control.app_key,
        DINGTALK_APP_SECRET=control.app_secret,
        DINGTALK_AGENT_ID=str(control.agent_id),
        DINGTALK_RATE_LIMIT="10",
        DINGTALK_BACKOFF_BASE="0.05",
        DASHBOARD_ADMIN_USERNAME="admin",
        DASHBOARD_ADMIN_PASSWORD=ADMIN_PASSWORD,
        DASHBOARD_API_TOKEN=API_TOKEN,
        LOG_LEVEL="DEBUG",
        LOG_FORMAT="json",
    )
    env.update(extra)
    return env


def app_config(env: dict[str, str]) -> dict[str, object]:
    """The same settings as ``env``, as a create_app() mapping for apps built in this process."""
    config: dict[str, object] = {
        key: env[key]
        for key in env
        if key.startswith(("CACHE_", "DINGTALK_", "DASHBOARD_", "RATELIMIT_", "API_"))
    }
    config.update(
        SECRET_KEY=env["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"],
        DINGTALK_RATE_LIMIT=float(env["DINGTALK_RATE_LIMIT"]),
        DINGTALK_BACKOFF_BASE=float(env["DINGTALK_BACKOFF_BASE"]),
        WTF_CSRF_ENABLED=False,
    )
    return config


@pytest.fixture(scope="session")
def deploy_env(sandbox_process, pg_url, redis_prefix, tmp_path_factory) -> dict[str, str]:
    """The run's environment, with the tables and the admin created before any worker starts.

    db.create_all() stands in for `flask db upgrade` (the lead's migrations);
    creating the admin here means the workers only read it at boot instead of
    racing to insert it.
    """
    from dashboard import create_app
    from dashboard.auth.commands import ensure_admin_from_env
    from dashboard.extensions import db

    home = tmp_path_factory.mktemp("dashboard")
    env = dashboard_env(
        sandbox_process, pg_url, redis_prefix, DASHBOARD_INSTANCE_PATH=str(home / "instance")
    )
    app = create_app(app_config(env))
    with app.app_context():
        db.create_all()
        ensure_admin_from_env()
        db.session.remove()
        db.engine.dispose()
    return env


@dataclass
class Gunicorn:
    """A running `gunicorn -c gunicorn.conf.py app:app` and its log files."""

    url: str
    proc: subprocess.Popen
    stdout: Path
    stderr: Path
    env: dict[str, str] = field(repr=False)

    def log_lines(self) -> list[dict]:
        """Every JSON line gunicorn and the app wrote so far (stdout and stderr)."""
        lines = []
        for path in (self.stdout, self.stderr):
            for raw in path.read_text(errors="replace").splitlines():
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    lines.append({"raw": raw})
        return lines

    def raw_logs(self) -> str:
        return self.stdout.read_text(errors="replace") + self.stderr.read_text(errors="replace")

    def api(self, operation: str, payload: dict, **headers: str) -> requests.Response:
        return requests.post(
            f"{self.url}/api/dingtalkserve/{operation}",
            json=payload,
            headers={"Authorization": f"Bearer {API_TOKEN}", **headers},
            timeout=60,
        )


@pytest.fixture(scope="session")
def delivery_worker(deploy_env, tmp_path_factory) -> Iterator[subprocess.Popen]:
    """The Procfile's `worker:` process on the same environment (its queue: the cache's Redis)."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(BIN / "flask"), "--app", "app", "delivery", "worker"],
            cwd=ROOT,
            env=deploy_env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    yield proc
    stop(proc)


def start_gunicorn(env: dict[str, str], home: Path, workers: int = 4) -> Gunicorn:
    """`gunicorn -c gunicorn.conf.py app:app` on ``env``, with ``workers`` booted and /readyz 200."""
    port = free_port()
    env = dict(
        env,
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_THREADS="8",
    )
    stdout, stderr = home / "stdout.log", home / "stderr.log"
    with open(stdout, "wb") as out, open(stderr, "wb") as err:
        proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    server = Gunicorn(f"http://127.0.0.1:{port}", proc, stdout, stderr, env)
    try:
        wait_until(
            lambda: server.raw_logs().count("Booting worker") >= workers,
            45,
            f"{workers} workers",
            proc,
        )
        wait_until(
            lambda: requests.get(f"{server.url}/readyz", timeout=5).status_code == 200,
            45,
            "gunicorn /readyz",
            proc,
        )
    except BaseException:
        stop(proc, signal.SIGINT)
        raise
    return server


@pytest.fixture(scope="session")
def gunicorn(deploy_env, delivery_worker, tmp_path_factory) -> Iterator[Gunicorn]:
    """The dashboard under gunicorn.conf.py's defaults (4 workers, preloaded) on Redis and
    PostgreSQL, beside its delivery worker (/readyz needs both)."""
    server = start_gunicorn(deploy_env, tmp_path_factory.mktemp("gunicorn"))
    yield server
    stop(server.proc, signal.SIGINT)
