"""Fixtures for the security tests: the console in ISV mode, and helpers over url_map."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing.converters import NumberConverter

from dashboard.extensions import db
from tests.views.test_isv import CORP_A, isv_config

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def isv_app(sandbox, tmp_path):
    """The console in ISV mode (every blueprint active), one company authorised."""
    from dashboard import create_app
    from dashboard.auth.models import upsert_user
    from dashboard.isv import service

    app = create_app(isv_config(sandbox, tmp_path))
    with app.app_context():
        db.create_all()
        upsert_user("admin", "admin-password")
        service.refresh_company(CORP_A)
        yield app
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def sample_url(app, rule) -> str:
    """A URL for the rule with harmless sample values for its variables."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, NumberConverter) else "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values, force_external=False)


def csrf_token_of(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no csrf_token field in the page"
    return match.group(1)
