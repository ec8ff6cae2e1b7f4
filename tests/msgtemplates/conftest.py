"""Service tests run inside a request (the translated messages need its locale)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_request(request):
    if "app" not in request.fixturenames or "outside_request" in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield


@pytest.fixture
def outside_request():
    """Marks a test that runs with the app context only (as the queue's worker does)."""
