"""Shared fixtures: the sandbox emulator on an ephemeral port, and clients for it.

The emulator is a real HTTP server on 127.0.0.1; the client under test talks to
it exactly as it would talk to oapi.dingtalk.com, only the base URL differs.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from dashboard.sandbox import create_sandbox_app
from dashboard.sandbox.control import SandboxControl
from dashboard.sandbox.isv import (
    DEFAULT_CALLBACK_AES_KEY,
    DEFAULT_CALLBACK_TOKEN,
    DEFAULT_SUITE_KEY,
    DEFAULT_SUITE_SECRET,
    IsvSandboxControl,
)
from dashboard.sandbox.settings import SandboxSettings


class _ServerThread(threading.Thread):
    def __init__(self, wsgi_app):
        super().__init__(daemon=True)
        self.server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    def run(self):
        self.server.serve_forever()

    def stop(self):
        self.server.shutdown()


@pytest.fixture(scope="session")
def sandbox_server():
    """One emulator for the whole session; `sandbox` resets it before each test."""
    app = create_sandbox_app(SandboxSettings())
    thread = _ServerThread(app)
    thread.start()
    yield thread
    thread.stop()


_CALLS: Counter = Counter()
_CALL_FILES = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def sandbox(sandbox_server):
    """Control handle on a freshly reset emulator (state, knobs, faults, counters)."""
    control = SandboxControl(sandbox_server.url)
    control.reset()
    yield control
    stats = control.stats()
    _CALLS.update(tests=1, calls=stats["total"], gettoken=stats["gettoken"])


def pytest_sessionfinish(session):
    """Each xdist worker (or the single process) leaves its DingTalk call counts behind."""
    if _CALLS:
        _CALL_FILES.mkdir(exist_ok=True)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        (_CALL_FILES / f"sandbox-calls-{worker}.json").write_text(json.dumps(_CALLS))


def pytest_sessionstart(session):
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        for stale in _CALL_FILES.glob("sandbox-calls-*.json"):
            stale.unlink()


def pytest_terminal_summary(terminalreporter):
    """How many DingTalk calls (and gettoken calls) the suite made against the sandbox."""
    total: Counter = Counter()
    for path in _CALL_FILES.glob("sandbox-calls-*.json"):
        total.update(json.loads(path.read_text()))
    if total:
        terminalreporter.write_line(
            f"sandbox: {total['calls']} DingTalk calls, {total['gettoken']} gettoken, "
            f"over {total['tests']} tests using the emulator"
        )


# --- the dashboard -------------------------------------------------------------------


class RequestScopedClient(FlaskClient):
    """Each request gets its own app context, as in production.

    The `app` fixture keeps an app context open for the test body (database
    access); without this, requests would share it, and with it Flask's `g`
    (Flask-Login's user, Babel's locale), making one test client look signed
    in after another signed in.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def dashboard_config(sandbox, tmp_path, **extra) -> dict:
    """The test configuration of the dashboard on the sandbox (internal app), with `extra`."""
    config = {
        "TESTING": True,
        "WTF_CSRF_ENABLED": False,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
        "CACHE_TYPE": "SimpleCache",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "DINGTALK_API_BASE": sandbox.base_url,
        "DINGTALK_API_V1_BASE": sandbox.base_url,  # the v1.0 host, same port by path
        "DINGTALK_APP_KEY": sandbox.app_key,
        "DINGTALK_APP_SECRET": sandbox.app_secret,
        "DINGTALK_AGENT_ID": str(sandbox.agent_id),
        "DINGTALK_BACKOFF_BASE": 0.01,
        "DINGTALK_TIMEOUT": 5.0,
        "DASHBOARD_INSTANCE_PATH": str(tmp_path),
        # Sends run in the test's process; tests/delivery runs real consumers.
        "DELIVERY_IMMEDIATE": True,
        "DELIVERY_QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
    }
    config.update(extra)
    return config


@contextmanager
def running_dashboard(config: dict, *corpids: str, request_scoped: bool = True):
    """The dashboard with `config`, its tables created and the admin added, app context open.

    In ISV mode each of `corpids` is added through service/get_auth_info first.
    `request_scoped`: its test client gives each request its own app context.
    """
    from dashboard import create_app
    from dashboard.auth.models import upsert_user
    from dashboard.extensions import db

    app = create_app(config)
    if request_scoped:
        app.test_client_class = RequestScopedClient
    with app.app_context():
        db.create_all()
        upsert_user("admin", "admin-password")
        if corpids:
            from dashboard.isv import service

            for corpid in corpids:
                service.refresh_company(corpid)
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


@pytest.fixture
def app(sandbox, tmp_path):
    """The dashboard on a fresh SQLite database, talking to the sandbox over HTTP."""
    with running_dashboard(dashboard_config(sandbox, tmp_path)) as app:
        yield app


# --- the dashboard in ISV mode -------------------------------------------------------

ISV_ENCRYPTION_KEY = "test-dashboard-encryption-key"


@pytest.fixture
def isv_config(sandbox, tmp_path):
    """A function: the ISV-mode configuration on the sandbox suite, with `extra` settings."""

    def make(**extra) -> dict:
        settings = {
            "DINGTALK_APP_KEY": None,
            "DINGTALK_APP_SECRET": None,
            "DINGTALK_SUITE_KEY": DEFAULT_SUITE_KEY,
            "DINGTALK_SUITE_SECRET": DEFAULT_SUITE_SECRET,
            "DINGTALK_SUITE_TICKET": "TestSuiteTicket",
            "DINGTALK_CALLBACK_TOKEN": DEFAULT_CALLBACK_TOKEN,
            "DINGTALK_CALLBACK_AES_KEY": DEFAULT_CALLBACK_AES_KEY,
            "DASHBOARD_ENCRYPTION_KEY": ISV_ENCRYPTION_KEY,
        }
        settings.update(extra)
        return dashboard_config(sandbox, tmp_path, **settings)

    return make


@pytest.fixture
def make_isv_app(isv_config):
    """A function: the dashboard in ISV mode with the companies `corpids` added.

    ``make_isv_app(DEMO_CORP_A, DEMO_CORP_B, DASHBOARD_API_TOKEN=...)``; the
    app context stays open for the test, as with `app`, and its requests share it
    (the ISV tests read rows the requests wrote in the same session).
    """
    with ExitStack() as stack:

        def make(*corpids: str, **extra):
            config = isv_config(**extra)
            return stack.enter_context(running_dashboard(config, *corpids, request_scoped=False))

        yield make


@pytest.fixture
def serve():
    """A function: serve a WSGI app on a real local port until the test ends; returns its URL."""
    threads = []

    def start(wsgi_app) -> str:
        thread = _ServerThread(wsgi_app)
        thread.start()
        threads.append(thread)
        return thread.url

    yield start
    for thread in threads:
        thread.stop()


@pytest.fixture
def isv_sandbox(sandbox) -> IsvSandboxControl:
    """Control handle on the sandbox's suite (companies, tickets, pushed callbacks)."""
    return IsvSandboxControl(sandbox.base_url)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="admin", password="admin-password"):
        return self._client.post(
            "/login", data={"username": username, "password": password}, follow_redirects=False
        )

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    """Sign-in helper; `auth.login()` signs in the test admin."""
    return AuthActions(client)


@pytest.fixture
def make_token():
    """A function: a raw API token of `role` (and department `scope`), made by the admin."""
    from dashboard.api.auth import create_token

    def make(role: str, scope=None) -> str:
        _token, raw = create_token(
            name=f"{role}-token", role=role, dept_scope=scope, created_by="admin"
        )
        return raw

    return make
