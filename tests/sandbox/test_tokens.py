"""GET /gettoken and the access-token check (§0.2, §1, §12.2-3)."""

from __future__ import annotations

DEPT_GET = "/department/get"
SEND = "/topapi/message/corpconversation/asyncsend_v2"


def test_gettoken_with_appkey_returns_token_and_expires_in(oapi):
    body = oapi.gettoken()
    assert body["errcode"] == 0
    assert body["errmsg"] == "ok"
    assert body["expires_in"] == 7200
    assert len(body["access_token"]) >= 16
    assert "request_id" not in body


def test_gettoken_with_corpid_is_a_different_app(oapi, sandbox):
    corp = oapi.gettoken(corpid=sandbox.corp_id, corpsecret=sandbox.corp_secret)
    app = oapi.gettoken()
    assert corp["errcode"] == 0
    assert corp["access_token"] != app["access_token"]
    assert oapi.get(DEPT_GET, token=corp["access_token"], id=1)["errcode"] == 0


def test_gettoken_mismatch_is_40089(oapi, sandbox):
    assert oapi.gettoken(appkey=sandbox.app_key, appsecret="wrong")["errcode"] == 40089
    assert oapi.gettoken(corpid=sandbox.corp_id, corpsecret="wrong")["errcode"] == 40089
    assert oapi.gettoken(appkey="unknown", appsecret=sandbox.app_secret)["errcode"] == 40089
    assert oapi.gettoken(corpid=sandbox.corp_id)["errcode"] == 40089


def test_same_token_while_valid_and_expiry_is_extended(oapi, sandbox):
    first = oapi.gettoken()["access_token"]
    sandbox.advance(7000)
    assert oapi.gettoken()["access_token"] == first  # expiry pushed to now+7200
    sandbox.advance(7000)
    assert oapi.get(DEPT_GET, token=first, id=1)["errcode"] == 0
    sandbox.advance(201)
    assert oapi.get(DEPT_GET, token=first, id=1)["errcode"] == 40014
    second = oapi.gettoken()["access_token"]
    assert second != first
    assert oapi.get(DEPT_GET, token=second, id=1)["errcode"] == 0


def test_token_ttl_knob_changes_lifetime(oapi, sandbox):
    sandbox.set_knobs(token_ttl=60)
    body = oapi.gettoken()
    assert body["expires_in"] == 60
    sandbox.advance(61)
    assert oapi.get(DEPT_GET, token=body["access_token"], id=1)["errcode"] == 40014


def test_expired_token_can_answer_42001(oapi, sandbox):
    sandbox.set_knobs(token_ttl=10, expired_token_errcode=42001)
    token = oapi.gettoken()["access_token"]
    sandbox.advance(11)
    assert oapi.get(DEPT_GET, token=token, id=1) == {
        "errcode": 42001,
        "errmsg": "access_token超时",
    }


def test_missing_token_is_41001(oapi):
    assert oapi.get(DEPT_GET, token=None, id=1)["errcode"] == 41001


def test_unknown_token_is_plain_40014_on_classic_paths(oapi):
    assert oapi.get(DEPT_GET, token="nope", id=1) == {
        "errcode": 40014,
        "errmsg": "不合法的access_token",
    }


def test_unknown_token_is_wrapped_88_on_topapi(oapi):
    body = oapi.post(SEND, {"agent_id": 1}, token="nope")
    assert body["errcode"] == 88
    assert body["sub_code"] == "40014"
    assert body["sub_msg"] == "不合法的access_token"
    assert body["errmsg"] == "ding talk error[subcode=40014,submsg=不合法的access_token]"
    assert body["request_id"]


def test_wrapping_can_be_switched_off(oapi, sandbox):
    sandbox.set_knobs(wrap_topapi_errors=False)
    body = oapi.post(SEND, {"agent_id": 1}, token="nope")
    assert body["errcode"] == 40014
    assert "sub_code" not in body
    assert body["request_id"]


def test_revoke_tokens_invalidates_every_token(oapi, sandbox):
    token = oapi.token
    assert sandbox.revoke_tokens() == 1
    assert oapi.get(DEPT_GET, token=token, id=1)["errcode"] == 40014
    assert oapi.gettoken()["access_token"] != token


def test_reset_forgets_tokens(oapi, sandbox):
    token = oapi.token
    sandbox.reset()
    assert oapi.get(DEPT_GET, token=token, id=1)["errcode"] == 40014


def test_ip_allowlist_gives_60020_naming_the_ip(oapi, sandbox):
    sandbox.set_knobs(ip_allowlist=["10.0.0.1"])
    body = oapi.gettoken()
    assert body["errcode"] == 60020
    assert "request ip=127.0.0.1" in body["errmsg"]
    sandbox.set_knobs(ip_allowlist=["127.0.0.1"])
    assert oapi.gettoken()["errcode"] == 0


def test_gettoken_is_counted(oapi, sandbox):
    oapi.gettoken()
    oapi.gettoken()
    stats = sandbox.stats()
    assert stats["gettoken"] == 2
    assert stats["calls"]["/gettoken"] == 2
