"""Shared fixtures: the sandbox emulator on an ephemeral port, and clients for it.

The emulator is a real HTTP server on 127.0.0.1; the client under test talks to
it exactly as it would talk to oapi.dingtalk.com, only the base URL differs.
"""

from __future__ import annotations

import threading

import pytest
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


@pytest.fixture
def sandbox(sandbox_server) -> SandboxControl:
    """Control handle on a freshly reset emulator (state, knobs, faults, counters)."""
    control = SandboxControl(sandbox_server.url)
    control.reset()
    return control
