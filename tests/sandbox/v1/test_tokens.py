"""§1, §2, §9, §10.1-3: tokens on both hosts, the header, the envelope, throttling."""

from __future__ import annotations

import pytest

from tests.sandbox.v1.v1api import TOKEN_HEADER, assert_error

BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"


def test_access_token_is_reused_and_extended(api, sandbox):
    first = api.access_token()
    assert first.status_code == 200
    assert first.headers["Content-Type"] == "application/json;charset=utf-8"
    body = first.json()
    assert set(body) == {"accessToken", "expireIn"} and body["expireIn"] == 7200
    sandbox.advance(7000)
    assert api.access_token().json()["accessToken"] == body["accessToken"]
    sandbox.advance(7000)  # still valid: the repeat call pushed the expiry
    assert api.access_token().json()["accessToken"] == body["accessToken"]


def test_bad_credentials_and_form_body(api):
    assert_error(
        api.access_token(appKey="dingsandboxkey", appSecret="no"), 400, "invalidClientIdOrSecret"
    )
    form = api.session.post(f"{api.base_url}/v1.0/oauth2/accessToken", data={"appKey": "x"})
    assert_error(form, 400, "Missingbody")
    assert_error(api.access_token(appKey="dingsandboxkey"), 400, "MissingappSecret")


def test_token_only_in_the_header(api):
    assert_error(api.post(BATCH_SEND, {}, token=None), 400, "AuthenticationFailed.MissingParameter")
    query = api.post(BATCH_SEND, {}, token=None, params={"access_token": api.token})
    assert_error(query, 400, "AuthenticationFailed.MissingParameter")
    bearer = api.post(BATCH_SEND, {}, token=None, headers={"Authorization": f"Bearer {api.token}"})
    assert_error(bearer, 400, "AuthenticationFailed.MissingParameter")
    assert_error(api.post(BATCH_SEND, {}, token="nope"), 400, "InvalidAuthentication")
    upper = api.post(BATCH_SEND, {}, token=None, headers={TOKEN_HEADER.upper(): api.token})
    assert upper.status_code != 400 or upper.json()["code"] != "InvalidAuthentication"


def test_expired_token_is_invalid_authentication(api, sandbox):
    token = api.token
    sandbox.advance(7201)
    assert_error(api.post(BATCH_SEND, {}, token=token), 400, "InvalidAuthentication")


def test_tokens_valid_on_both_hosts(api, sandbox):
    classic = api.session.get(
        f"{api.base_url}/gettoken",
        params={"appkey": sandbox.app_key, "appsecret": sandbox.app_secret},
    ).json()["access_token"]
    assert classic == api.token  # one token per app
    oapi = api.session.get(
        f"{api.base_url}/user/get", params={"access_token": api.token, "userid": "manager01"}
    ).json()
    assert oapi["errcode"] != 40014


def test_cross_host_switch(api, sandbox):
    sandbox.set_knobs(v1_cross_host_tokens=False)
    classic = api.session.get(
        f"{api.base_url}/gettoken",
        params={"appkey": sandbox.app_key, "appsecret": sandbox.app_secret},
    ).json()["access_token"]
    assert classic != api.token
    assert_error(api.post(BATCH_SEND, {}, token=classic), 400, "InvalidAuthentication")
    oapi = api.session.get(
        f"{api.base_url}/user/get", params={"access_token": api.token, "userid": "manager01"}
    ).json()
    assert oapi["errcode"] == 40014


def test_unknown_path_answers_200_with_the_classic_body(api):
    # Wrong case: batchRecall is otoMessages, batchSend is oToMessages (§0.2).
    for path in ("/v1.0/robot/otoMessages/batchSend", "/v1.0/robot/oToMessages/batchRecall"):
        response = api.post(path, {})
        assert response.status_code == 200
        assert response.json() == {"errcode": 404, "errmsg": "请求的URI地址不存在"}


def test_missing_product_segment_is_invalid_version(api):
    assert_error(api.post("/v1.0/sceneGroup/create", {}), 404, "InvalidVersion")


def test_qps_limit_per_app_and_api_with_penalty(api, sandbox):
    sandbox.set_knobs(v1_qps_limit=3)
    codes = [api.post(BATCH_SEND, {}).status_code for _ in range(4)]
    assert codes[:3] == [400, 400, 400]
    body = assert_error(
        api.post(BATCH_SEND, {}), 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"
    )
    assert "Retry-After" not in body
    assert codes[3] == 403
    # Another API has its own budget.
    assert api.post("/v1.0/robot/groupMessages/send", {}).status_code == 400
    sandbox.advance(1.5)
    assert api.post(BATCH_SEND, {}).status_code == 400


@pytest.mark.parametrize(
    ("knobs", "status", "code"),
    [
        ({"v1_qpm_limit": 2}, 403, "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi"),
        ({"v1_global_limit": 2}, 403, "Forbidden.AccessDenied.QpsLimitForApi"),
        ({"v1_monthly_limit": 2}, 403, "Forbidden.AccessDenied.ApiCountLimitForOrg"),
    ],
)
def test_other_limits(api, sandbox, knobs, status, code):
    sandbox.set_knobs(**knobs)
    api.post(BATCH_SEND, {})
    api.post(BATCH_SEND, {})
    assert_error(api.post(BATCH_SEND, {}), status, code)
    # Token calls are exempt from the monthly quota.
    assert api.access_token().status_code == 200


def test_faults_map_onto_v1_codes(api, sandbox):
    sandbox.inject("throttle", path=BATCH_SEND)
    assert_error(api.post(BATCH_SEND, {}), 403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    sandbox.inject("system_busy")
    assert_error(api.post(BATCH_SEND, {}), 500, "system.busy")
    sandbox.inject("token_invalid")
    assert api.access_token().status_code == 200  # path-less faults skip the token call
    assert_error(api.post(BATCH_SEND, {}), 400, "InvalidAuthentication")
    sandbox.inject("errcode", path=BATCH_SEND, status=400, code="send.too.fast", message="慢点")
    body = assert_error(api.post(BATCH_SEND, {}), 400, "send.too.fast")
    assert body["message"] == "慢点"


def test_ip_allowlist_refuses_with_403(api, sandbox):
    token = api.token
    sandbox.set_knobs(ip_allowlist="10.0.0.1")
    assert_error(
        api.post(BATCH_SEND, {}, token=token), 403, "Forbidden.AccessDenied.IpNotInWhiteList"
    )


def test_isv_corp_access_token_is_new_each_time(api):
    body = {
        "authCorpId": "dingisvcorpa",
        "suiteKey": "suitesandboxkey",
        "suiteSecret": "suite-sandbox-secret",
        "suiteTicket": "any",
    }
    url = f"{api.base_url}/v1.0/oauth2/corpAccessToken"
    first = api.session.post(url, json=body).json()
    second = api.session.post(url, json=body).json()
    assert first["accessToken"] != second["accessToken"] and second["expireIn"] == 7200
    bad = api.session.post(url, json=dict(body, suiteKey="nope"))
    assert_error(bad, 400, "invalidSuiteKey")
    assert api.post(BATCH_SEND, {}, token=first["accessToken"]).json()["code"] != (
        "InvalidAuthentication"
    )


def test_unified_token_endpoint_is_snake_case(api, sandbox):
    url = f"{api.base_url}/v1.0/oauth2/{sandbox.corp_id}/token"
    body = {
        "client_id": sandbox.app_key,
        "client_secret": sandbox.app_secret,
        "grant_type": "client_credentials",
    }
    reply = api.session.post(url, json=body).json()
    assert set(reply) == {"access_token", "expires_in"}
    assert_error(
        api.session.post(f"{api.base_url}/v1.0/oauth2/dingfake/token", json=body),
        500,
        "unknownError",
    )


def test_oapi_ignores_the_v1_header(api):
    reply = api.session.get(
        f"{api.base_url}/user/get",
        params={"userid": "manager01"},
        headers={TOKEN_HEADER: api.token},
    ).json()
    assert (reply["errcode"], reply["sub_code"], reply["sub_msg"]) == (
        88,
        "40000",
        "access_token is blank",
    )


def test_a_number_for_an_id_is_refused(api):
    body = {"robotCode": 123, "userIds": ["manager01"], "msgKey": "sampleText", "msgParam": "{}"}
    assert_error(api.post(BATCH_SEND, body), 400, "invalidParameter.robotCode.invalid")


def test_missing_permission_names_the_scope(api, sandbox):
    sandbox.set_knobs(v1_denied_paths=BATCH_SEND)
    body = assert_error(
        api.post(BATCH_SEND, {}), 403, "Forbidden.AccessDenied.AccessTokenPermissionDenied"
    )
    assert body["accessdenieddetail"] == {"requiredScopes": ["qyapi_robot_sendmsg"]}
    assert "add-api-permission" in body["message"]
