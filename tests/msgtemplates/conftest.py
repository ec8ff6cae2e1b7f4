"""Service tests run inside a request (the translated messages need its locale)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _in_request(request):
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.test_request_context():
        yield
