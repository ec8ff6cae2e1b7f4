"""SandboxSettings defaults, environment overlay and coercion."""

from __future__ import annotations

import pytest

from dashboard.sandbox.settings import SandboxSettings, knob_names


def test_documented_defaults():
    settings = SandboxSettings()
    assert (settings.app_key, settings.app_secret) == ("dingsandboxkey", "sandbox-secret")
    assert (settings.corp_id, settings.corp_secret) == ("dingsandboxcorp", "sandbox-corp-secret")
    assert settings.agent_id == 100001
    assert settings.token_ttl == 7200
    assert (settings.userid_list_max, settings.dept_id_list_max) == (100, 20)
    assert (settings.qps_limit, settings.qpm_limit) == (40, 1500)
    assert settings.enforce_http_method is False
    assert settings.unknown_task_errcode == 400002
    assert settings.scope_authed_dept == (1,)


def test_from_env_reads_credentials_and_sandbox_variables():
    settings = SandboxSettings.from_env(
        {
            "DINGTALK_APP_KEY": "dingkey",
            "DINGTALK_APP_SECRET": "secret",
            "DINGTALK_CORP_ID": "dingcorp",
            "DINGTALK_CORP_SECRET": "corpsecret",
            "DINGTALK_AGENT_ID": "42",
            "SANDBOX_TOKEN_TTL": "60",
            "SANDBOX_USERID_LIST_MAX": "5000",
            "SANDBOX_ENFORCE_HTTP_METHOD": "true",
            "SANDBOX_SCOPE_AUTHED_DEPT": "2,3",
            "SANDBOX_SCOPE_AUTHED_USER": "0123,u0001",
            "SANDBOX_NOTICE_READ_RATIO": "0.5",
        }
    )
    assert (settings.app_key, settings.app_secret) == ("dingkey", "secret")
    assert (settings.corp_id, settings.corp_secret) == ("dingcorp", "corpsecret")
    assert settings.agent_id == 42
    assert settings.token_ttl == 60
    assert settings.userid_list_max == 5000
    assert settings.enforce_http_method is True
    assert settings.scope_authed_dept == (2, 3)
    assert settings.scope_authed_user == ("0123", "u0001")
    assert settings.notice_read_ratio == 0.5


def test_from_env_without_variables_is_the_defaults():
    assert SandboxSettings.from_env({}) == SandboxSettings()


def test_every_knob_has_a_sandbox_variable():
    defaults = SandboxSettings()
    for name, value in defaults.as_dict().items():
        text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
        settings = SandboxSettings.from_env({f"SANDBOX_{name.upper()}": text})
        assert getattr(settings, name) == getattr(defaults, name), name
    assert len(knob_names()) == len(defaults.as_dict())


def test_bad_values_are_refused():
    with pytest.raises(ValueError):
        SandboxSettings().updated({"qps_limit": "lots"})
    with pytest.raises(ValueError):
        SandboxSettings().updated({"ip_ban": "perhaps"})
    with pytest.raises(KeyError):
        SandboxSettings().updated({"nope": 1})
