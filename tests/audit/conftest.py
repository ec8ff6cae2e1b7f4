"""The console in ISV mode for the company switch."""

from __future__ import annotations

import pytest

from dashboard.sandbox.isv import DEMO_CORP_A


@pytest.fixture
def isv_app(make_isv_app):
    return make_isv_app(DEMO_CORP_A)
