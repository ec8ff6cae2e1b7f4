"""Shared fixtures: the sandbox emulator on an ephemeral port, and clients for it.

The emulator is a real HTTP server on 127.0.0.1; the client under test talks to
it exactly as it would talk to oapi.dingtalk.com, only the base URL differs.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from dashboard.sandbox import create_sandbox_app
from dashboard.sandbox.control import SandboxControl
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


@pytest.fixture
def app(sandbox, tmp_path):
    """The dashboard on a fresh SQLite database, talking to the sandbox over HTTP."""
    from dashboard import create_app
    from dashboard.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
            "CACHE_TYPE": "SimpleCache",
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_STORAGE_URI": "memory://",
            "DINGTALK_API_BASE": sandbox.base_url,
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
    )
    app.test_client_class = RequestScopedClient
    with app.app_context():
        db.create_all()
        from dashboard.auth.models import upsert_user

        upsert_user("admin", "admin-password")
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


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
