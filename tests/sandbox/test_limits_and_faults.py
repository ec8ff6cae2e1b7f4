"""Rate limits (§10, §12.7) and injected faults."""

from __future__ import annotations

import pytest

SEND = "/topapi/message/corpconversation/asyncsend_v2"


def test_qps_limit_per_app_and_api_gives_90018(oapi, sandbox):
    sandbox.set_knobs(qps_limit=3)
    codes = [oapi.get("/department/get", id=1)["errcode"] for _ in range(4)]
    assert codes == [0, 0, 0, 90018]
    assert oapi.get("/department/list_ids", id=1)["errcode"] == 0  # another API
    corp = oapi.gettoken(corpid=sandbox.corp_id, corpsecret=sandbox.corp_secret)["access_token"]
    assert oapi.get("/department/get", token=corp, id=1)["errcode"] == 0  # another app
    sandbox.advance(1.1)
    assert oapi.get("/department/get", id=1)["errcode"] == 0
    assert sandbox.stats()["errors"] == {90018: 1}


def test_qps_limit_on_topapi_is_plain_90018(oapi, sandbox):
    sandbox.set_knobs(qps_limit=1)
    oapi.send_notice(userid_list="u0001")
    body = oapi.send_notice(userid_list="u0002")
    assert body["errcode"] == 90018
    assert body["request_id"]


def test_per_minute_limit_gives_90006(oapi, sandbox):
    sandbox.set_knobs(qpm_limit=5)
    codes = []
    for _ in range(6):
        codes.append(oapi.get("/department/get", id=1)["errcode"])
        sandbox.advance(1.5)
    assert codes == [0, 0, 0, 0, 0, 90006]
    sandbox.advance(60)
    assert oapi.get("/department/get", id=1)["errcode"] == 0


def test_global_limit_gives_90002(oapi, sandbox):
    sandbox.set_knobs(global_limit=2, global_window=60)
    corp = oapi.gettoken(corpid=sandbox.corp_id, corpsecret=sandbox.corp_secret)["access_token"]
    assert oapi.get("/department/get", id=1)["errcode"] == 0
    assert oapi.get("/department/get", token=corp, id=1)["errcode"] == 0
    body = oapi.get("/department/get", id=1)
    assert body["errcode"] == 90002
    assert "/department/get" in body["errmsg"]


def test_ip_ban_knob_returns_the_x5_object(oapi, sandbox):
    oapi.token  # noqa: B018 - fetch the token before the ban
    sandbox.set_knobs(ip_ban=True)
    response = oapi.raw_get("/department/get", id=1)
    body = response.json()
    assert "errcode" not in body
    assert body["status"] == 1111
    assert body["source"] == "x5"
    assert body["punish"] == "deny"
    assert body["wait"] == 5
    assert body["uuid"]


def test_ip_ban_html_style(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.set_knobs(ip_ban=True, ip_ban_style="html")
    response = oapi.raw_get("/department/get", id=1)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "访问被拒绝" in response.text


def test_ip_limit_bans_the_caller_for_a_while(oapi, sandbox):
    sandbox.set_knobs(ip_limit=3, ip_window=20, ip_ban_seconds=300)
    oapi.gettoken()
    oapi.get("/department/get", id=1)
    oapi.get("/department/get", id=1)
    assert oapi.get("/department/get", id=1)["source"] == "x5"
    sandbox.advance(200)
    assert oapi.get("/department/get", id=1)["source"] == "x5"
    sandbox.advance(101)
    assert oapi.get("/department/get", id=1)["errcode"] == 0


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("throttle", {"errcode": 90018}),
        ("system_busy", {"errcode": -1, "errmsg": "系统繁忙"}),
        ("token_expired", {"errcode": 42001}),
        ("token_invalid", {"errcode": 40014}),
    ],
)
def test_errcode_faults_on_classic_paths(oapi, sandbox, kind, expected):
    token = oapi.token
    sandbox.inject(kind)
    body = oapi.get("/department/get", token=token, id=1)
    assert {k: body[k] for k in expected} == expected
    assert oapi.get("/department/get", id=1)["errcode"] == 0


def test_token_invalid_fault_is_wrapped_on_topapi(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("token_invalid")
    body = oapi.raw_post(SEND, {}).json()
    assert body["errcode"] == 88
    assert body["sub_code"] == "40014"


def test_bare_88_has_no_sub_code(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("bare_88")
    body = oapi.get("/department/get", id=1)
    assert body["errcode"] == 88
    assert "sub_code" not in body


def test_http_500_fault(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("http_500")
    assert oapi.raw_get("/department/get", id=1).status_code == 500
    assert sandbox.stats()["http_errors"] == {500: 1}


def test_ip_ban_fault_applies_once(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("ip_ban")
    assert oapi.get("/department/get", id=1)["status"] == 1111
    assert oapi.get("/department/get", id=1)["errcode"] == 0


def test_latency_fault_delays_then_answers(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("latency", seconds=0.05)
    assert oapi.get("/department/get", id=1)["errcode"] == 0
    assert sandbox.state()["faults"] == []


def test_generic_errcode_fault(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("errcode", errcode=60011, errmsg="没有调用该接口的权限")
    body = oapi.raw_post(SEND, {}).json()
    assert body["errcode"] == 88 and body["sub_code"] == "60011"


def test_fault_count_and_path(oapi, sandbox):
    oapi.token  # noqa: B018
    sandbox.inject("system_busy", count=2, path="/user/get")
    assert oapi.get("/department/get", id=1)["errcode"] == 0
    assert oapi.get("/user/get", userid="u0001")["errcode"] == -1
    assert oapi.get("/user/get", userid="u0001")["errcode"] == -1
    assert oapi.get("/user/get", userid="u0001")["errcode"] == 0


def test_faults_without_path_skip_gettoken(oapi, sandbox):
    sandbox.inject("throttle")
    assert oapi.gettoken()["errcode"] == 0
    assert oapi.get("/department/get", id=1)["errcode"] == 90018
    sandbox.inject("system_busy", path="/gettoken")
    assert oapi.gettoken()["errcode"] == -1


def test_unknown_fault_kind_is_refused(sandbox):
    with pytest.raises(ValueError):
        sandbox.inject("meteor")
