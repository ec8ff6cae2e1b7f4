"""The `api` fixture: a v1.0 caller (v1api.Api) on a freshly reset emulator."""

from __future__ import annotations

import pytest

from dashboard.sandbox.control import SandboxControl
from tests.sandbox.v1.v1api import Api


@pytest.fixture
def api(sandbox: SandboxControl, sandbox_server) -> Api:
    """A v1.0 caller on a freshly reset emulator."""
    return Api(sandbox_server.url, sandbox)
