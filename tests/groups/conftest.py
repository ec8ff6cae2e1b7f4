"""The sandbox's directory, changed by a test and put back after it."""

from __future__ import annotations

import copy

import pytest


@pytest.fixture(autouse=True)
def _in_request(request):
    """Service tests run inside a request (the translated messages need its locale)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


@pytest.fixture
def directory(sandbox, sandbox_server):
    """The emulator's demo company (departments and users), restored when the test ends.

    The control API has no directory endpoint (yet); the emulator runs in this process,
    so a test changes its Company under the state's lock, as DingTalk's admin would.
    """
    state = sandbox_server.server.app.extensions["sandbox_state"]
    with state.lock:
        saved = copy.deepcopy(state.company)
    yield state
    with state.lock:
        state.company = saved
