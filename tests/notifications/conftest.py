"""A console without DingTalk for the pure logic of the notifications package."""

from __future__ import annotations

import pytest


@pytest.fixture
def bare_app(tmp_path):
    """An app (config, translations, cache) in a request context; nothing calls DingTalk."""
    from dashboard import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'unit.db'}",
            "CACHE_TYPE": "SimpleCache",
            "RATELIMIT_STORAGE_URI": "memory://",
            "DINGTALK_API_BASE": "http://127.0.0.1:9",  # nothing listens: no call may be made
            "DASHBOARD_INSTANCE_PATH": str(tmp_path),
        }
    )
    with app.test_request_context("/"):
        yield app
