"""The /_sandbox/ control API and its Python wrapper."""

from __future__ import annotations

import logging

import pytest
import requests

from dashboard.sandbox.control import SandboxControl, SandboxControlError
from dashboard.sandbox.settings import (
    DEFAULT_AGENT_ID,
    DEFAULT_APP_KEY,
    DEFAULT_APP_SECRET,
    DEFAULT_CORP_ID,
    DEFAULT_CORP_SECRET,
)


def test_control_exposes_credentials(sandbox, sandbox_server):
    assert sandbox.base_url == sandbox_server.url
    assert sandbox.app_key == DEFAULT_APP_KEY
    assert sandbox.app_secret == DEFAULT_APP_SECRET
    assert sandbox.corp_id == DEFAULT_CORP_ID
    assert sandbox.corp_secret == DEFAULT_CORP_SECRET
    assert sandbox.agent_id == DEFAULT_AGENT_ID


def test_stats_count_calls_paths_and_errors(oapi, sandbox):
    oapi.get("/department/get", id=1)
    oapi.get("/department/get", id=999)
    oapi.get("/user/get", token="bad", userid="x")
    stats = sandbox.stats()
    assert stats["calls"] == {"/gettoken": 1, "/department/get": 2, "/user/get": 1}
    assert stats["total"] == 4
    assert stats["gettoken"] == 1
    assert stats["errors"] == {60003: 1, 40014: 1}


def test_stats_count_wrapped_sub_codes(oapi, sandbox):
    oapi.post("/topapi/message/corpconversation/getsendprogress", {}, token="bad")
    stats = sandbox.stats()
    assert stats["errors"] == {88: 1}
    assert stats["sub_codes"] == {"40014": 1}


def test_control_calls_are_not_counted(sandbox):
    sandbox.state()
    sandbox.knobs()
    assert sandbox.stats()["total"] == 0


def test_reset_restores_knobs_clock_and_counters(oapi, sandbox):
    sandbox.set_knobs(qps_limit=1, token_ttl=5)
    sandbox.advance(1000)
    oapi.get("/department/get", id=1)
    sandbox.inject("throttle", count=5)
    sandbox.reset()
    assert sandbox.knobs()["qps_limit"] == 40
    assert sandbox.knobs()["token_ttl"] == 7200
    assert sandbox.state()["clock_offset"] == 0
    assert sandbox.state()["faults"] == []
    assert sandbox.stats()["total"] == 0


def test_set_knobs_rejects_unknown_names_and_bad_values(sandbox):
    with pytest.raises(SandboxControlError):
        sandbox.set_knobs(no_such_knob=1)
    with pytest.raises(SandboxControlError):
        sandbox.set_knobs(qps_limit="many")


def test_set_knobs_coerces_types(sandbox):
    knobs = sandbox.set_knobs(qps_limit="7", scope_authed_dept=["2", 3], wrap_topapi_errors="false")
    assert knobs["qps_limit"] == 7
    assert knobs["scope_authed_dept"] == [2, 3]
    assert knobs["wrap_topapi_errors"] is False


def test_changing_credentials_refreshes_the_wrapper(oapi, sandbox):
    sandbox.set_knobs(app_key="dingother", app_secret="other-secret")
    assert sandbox.app_key == "dingother"
    assert oapi.gettoken(appkey="dingother", appsecret="other-secret")["errcode"] == 0


def test_advance_moves_the_clock_forward_only(sandbox):
    before = sandbox.state()["now"]
    after = sandbox.advance(3600)
    assert after - before >= 3600
    with pytest.raises(SandboxControlError):
        sandbox.advance(-1)


def test_dissolve_unknown_chat_is_an_error(sandbox):
    with pytest.raises(SandboxControlError):
        sandbox.dissolve_chat("chatnope")


def test_unknown_task_is_an_error(sandbox):
    with pytest.raises(SandboxControlError):
        sandbox.task(1)


def test_control_endpoints_are_plain_json(sandbox_server):
    response = requests.get(f"{sandbox_server.url}/_sandbox/state", timeout=10)
    assert response.status_code == 200
    assert "errcode" not in response.json()


def test_requests_are_logged_without_tokens(oapi, sandbox, caplog):
    token = oapi.token
    with caplog.at_level(logging.INFO):
        oapi.get("/department/get", id=999)
        oapi.post("/topapi/message/corpconversation/getsendprogress", {}, token="bad")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "GET /department/get -> 200 errcode=60003" in text
    assert (
        "POST /topapi/message/corpconversation/getsendprogress -> 200 errcode=88 sub_code=40014"
        in text
    )
    assert token not in text
    assert "access_token" not in text
    assert sandbox.app_secret not in text


def test_wrapper_takes_a_session(sandbox_server):
    session = requests.Session()
    control = SandboxControl(sandbox_server.url + "/", session=session)
    assert control.base_url == sandbox_server.url
    assert control.session is session
