"""Fixtures of the events tests: the sandbox's Stream/directory control."""

from __future__ import annotations

import pytest

from dashboard.sandbox.v1.control import V1SandboxControl


@pytest.fixture
def stream(sandbox, sandbox_server) -> V1SandboxControl:
    """The sandbox's gateway and directory changes (hire, leave, drop, redeliver, ...)."""
    return V1SandboxControl(sandbox_server.url)
