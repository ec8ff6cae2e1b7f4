"""The dashboard builds the v1.0 client from its settings, beside the classic one."""

from __future__ import annotations

import pytest

from dashboard.services import dingtalk as service


def test_internal_v1_client_shares_the_token_store_and_rate_budget(app):
    app.config["DINGTALK_API_V1_BASE"] = "http://127.0.0.1:9/"
    app.config["DINGTALK_V1_THROTTLE_CODES"] = "send.too.fast, too.many.people"
    v1 = service.get_v1_client()
    classic = service.get_client()
    assert v1 is service.get_v1_client()
    assert v1.base_url == "http://127.0.0.1:9"
    assert v1.rate_limiter is classic.rate_limiter
    assert v1.token_store.cache is classic.token_store.cache
    assert v1.robot_code == app.config["DINGTALK_APP_KEY"]
    assert v1.token_key == f"v1:{classic.token_key}"
    assert v1.throttle_codes == {"send.too.fast", "too.many.people"}


def test_without_an_app_key_the_v1_client_is_not_configured(app):
    app.config.update(DINGTALK_APP_KEY=None, DINGTALK_APP_SECRET=None)
    with pytest.raises(service.NotConfigured):
        service.get_v1_client()


def test_isv_company_v1_client_uses_the_suite_and_its_token_key(make_isv_app, isv_sandbox):
    from dashboard.sandbox.isv import DEMO_CORP_A

    make_isv_app(DEMO_CORP_A, DINGTALK_ROBOT_CODE="suiterobot")
    v1 = service.get_v1_client(DEMO_CORP_A)
    suite = service.suite_client()
    assert v1.token_key == f"v1:{suite.token_key(DEMO_CORP_A)}"
    assert v1.token_store is suite.token_store
    assert v1.robot_code == "suiterobot"
    assert v1.credentials.auth_corp_id == DEMO_CORP_A
