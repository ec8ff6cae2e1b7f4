"""Fixtures for the security tests: the console in ISV mode, and helpers over url_map."""

from __future__ import annotations

import re

import pytest
from werkzeug.routing.converters import NumberConverter

from dashboard.sandbox.isv import DEMO_CORP_A

CSRF_FIELD = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture
def isv_app(make_isv_app):
    """The console in ISV mode (every blueprint active), one company authorised."""
    return make_isv_app(DEMO_CORP_A)


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
