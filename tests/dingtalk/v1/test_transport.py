"""The v1.0 transport against the strict fake: token, header, envelope, refresh, backoff.

Reference: shared/dingtalk-v1.md §0-§2 (and §9 for the limits' signals).
"""

from __future__ import annotations

import json
import threading

import pytest
import requests

from dashboard.dingtalk import (
    CredentialsError,
    HTTPStatusError,
    InvalidRequest,
    MemoryTokenStore,
    NotFound,
    PermissionDenied,
    RequestTimeout,
    Throttled,
    TokenError,
    TransportError,
)
from dashboard.dingtalk.errors import error_from_record, error_record
from dashboard.dingtalk.isv import SuiteTicketError
from dashboard.dingtalk.v1 import IpBlocked, Request, V1Client

from ..fakes import ScriptedSession
from . import fake_v1

SEND = "/v1.0/robot/oToMessages/batchSend"
TOKEN_PATH = "/v1.0/oauth2/accessToken"


def send_request(users=("zhangsan",)) -> Request:
    body = {
        "robotCode": fake_v1.APP_KEY,
        "userIds": list(users),
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "hi"}),
    }
    return Request("POST", SEND, body)


def v1_error(status: int, code: str, message: str = "m", **extra) -> tuple[int, dict]:
    return status, {
        "code": code,
        "requestid": "01A08FE7-CD6B-79BB-8B2E-35D8768AD457",
        "message": message,
        **extra,
    }


def test_token_is_fetched_once_with_a_json_body_and_kept_under_its_v1_key(v1, v1_fake):
    store = v1.token_store
    v1.call(send_request(), send=True)
    v1.call(send_request(), send=True)
    (fetch,) = v1_fake.fake.calls(TOKEN_PATH)
    assert fetch["method"] == "POST"
    assert fetch["headers"]["content-type"] == "application/json"
    assert json.loads(fetch["raw"]) == {"appKey": fake_v1.APP_KEY, "appSecret": fake_v1.APP_SECRET}
    assert "x-acs-dingtalk-access-token" not in fetch["headers"]
    assert store.get(f"v1:{fake_v1.APP_KEY}") == v1_fake.fake.app_token
    assert store.get(fake_v1.APP_KEY) is None  # the classic key stays the classic token's


def test_the_token_goes_in_the_header_only(v1, v1_fake):
    v1.call(send_request(), send=True)
    (call,) = v1_fake.fake.calls(SEND)
    assert call["headers"]["x-acs-dingtalk-access-token"] == v1_fake.fake.app_token
    assert call["query"] == {}
    assert "authorization" not in call["headers"]
    assert call["headers"]["content-type"] == "application/json"


def test_share_classic_token_keeps_one_token_for_both_hosts(make_v1, v1_fake):
    store = MemoryTokenStore()
    make_v1(token_store=store, share_classic_token=True).call(send_request(), send=True)
    assert store.get(fake_v1.APP_KEY) == v1_fake.fake.app_token


def test_invalid_authentication_refreshes_once_and_retries(v1, v1_fake):
    v1.call(send_request(), send=True)
    v1_fake.fake.revoke_tokens()
    reply = v1.call(send_request(), send=True)
    assert reply["processQueryKey"]
    assert len(v1_fake.fake.calls(TOKEN_PATH)) == 2
    assert len(v1_fake.fake.calls(SEND)) == 3


def test_a_second_invalid_authentication_is_raised_not_refreshed_again(v1, v1_fake):
    v1.get_access_token()
    bad = v1_error(400, "InvalidAuthentication", "不合法的access_token")
    v1_fake.fake.faults[SEND] = [bad, bad, bad]
    with pytest.raises(TokenError) as caught:
        v1.call(send_request(), send=True)
    assert caught.value.api_code == "InvalidAuthentication"
    assert caught.value.status_code == 400
    assert len(v1_fake.fake.calls(TOKEN_PATH)) == 2
    assert len(v1_fake.fake.calls(SEND)) == 2


def test_a_missing_header_is_a_token_error_without_a_refresh(v1, v1_fake):
    v1_fake.fake.faults[SEND] = [v1_error(400, "AuthenticationFailed.MissingParameter")]
    with pytest.raises(TokenError):
        v1.call(send_request(), send=True)
    assert len(v1_fake.fake.calls(TOKEN_PATH)) == 1


def test_concurrent_callers_fetch_one_token(make_v1, v1_fake):
    store = MemoryTokenStore()
    clients = [make_v1(token_store=store) for _ in range(8)]
    barrier = threading.Barrier(len(clients))
    errors: list[BaseException] = []

    def run(client: V1Client) -> None:
        barrier.wait()
        try:
            client.call(send_request(), send=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert v1_fake.fake.token_fetches == 1


def test_bad_credentials_are_a_credentials_error_with_the_envelope(make_v1, v1_fake):
    client = V1Client.for_app(fake_v1.APP_KEY, "wrong-secret", base_url=v1_fake.url)
    with pytest.raises(CredentialsError) as caught:
        client.get_access_token()
    error = caught.value
    assert (error.api_code, error.status_code) == ("invalidClientIdOrSecret", 400)
    assert error.request_id and error.errmsg == "无效的clientId或者clientSecret"
    assert error.code is None and error.errcode is None
    assert "wrong-secret" not in str(error) and "wrong-secret" not in repr(error)


def test_permission_denied_keeps_the_required_scopes(v1, v1_fake):
    v1_fake.fake.faults[SEND] = [
        v1_error(
            403,
            "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            "没有调用该接口的权限",
            accessdenieddetail={"requiredScopes": ["qyapi_robot_sendmsg"]},
        )
    ]
    with pytest.raises(PermissionDenied) as caught:
        v1.call(send_request(), send=True)
    assert caught.value.required_scopes == ("qyapi_robot_sendmsg",)
    assert "qyapi_robot_sendmsg" in str(caught.value)


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (403, "Forbidden.AccessDenied.IpNotInWhiteList", PermissionDenied),
        (403, "Forbidden.AccessDenied.ApiCountLimitForOrg", PermissionDenied),
        (400, "invalidParameter.msgKey.invalid", InvalidRequest),
        (400, "Missingbody", InvalidRequest),
        (400, "param.cardNotExist", NotFound),
    ],
)
def test_codes_map_onto_the_classic_error_types(v1, v1_fake, status, code, cls):
    v1_fake.fake.faults[SEND] = [v1_error(status, code)]
    with pytest.raises(cls) as caught:
        v1.call(send_request(), send=True)
    assert type(caught.value) is cls
    assert caught.value.api_code == code
    assert len(v1_fake.fake.calls(SEND)) == 1


def test_per_second_throttling_waits_about_a_second_and_retries(v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [
        v1_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
    ] * 2
    assert v1.call(send_request(), send=True)["processQueryKey"]
    assert delays == [1.0, 1.0]


def test_throttling_gives_up_after_max_retries(make_v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [v1_error(403, "Forbidden.AccessDenied.QpsLimitForApi")] * 5
    with pytest.raises(Throttled) as caught:
        make_v1(max_retries=2).call(send_request(), send=True)
    assert caught.value.attempts == 3 and caught.value.retry_after == 1.0
    assert len(delays) == 2


def test_per_minute_limit_is_not_retried_in_line(v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [v1_error(403, "Forbidden.AccessDenied.QpmLimitForAppkeyAndApi")]
    with pytest.raises(Throttled) as caught:
        v1.call(send_request(), send=True)
    assert caught.value.retry_after == 60.0 and delays == []


def test_robot_flow_control_is_throttled_for_a_minute_and_configurable(make_v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [v1_error(400, "send.too.fast")]
    with pytest.raises(Throttled) as caught:
        make_v1().call(send_request(), send=True)
    assert caught.value.retry_after == 60.0 and delays == []
    v1_fake.fake.faults[SEND] = [v1_error(400, "send.too.fast")]
    with pytest.raises(InvalidRequest):
        make_v1(throttle_codes=()).call(send_request(), send=True)


def test_system_busy_is_retried_even_for_a_send(v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [v1_error(500, "system.busy")]
    assert v1.call(send_request(), send=True)["processQueryKey"]
    assert len(delays) == 1


def test_system_error_on_a_send_is_not_retried_unless_configured(make_v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [v1_error(500, "system.error")]
    with pytest.raises(Throttled):
        make_v1().call(send_request(), send=True)
    assert len(v1_fake.fake.calls(SEND)) == 1
    v1_fake.fake.faults[SEND] = [v1_error(500, "system.error")]
    assert make_v1(retry_server_errors_on_send=True).call(send_request(), send=True)


def test_an_unknown_or_miscased_path_is_not_found(v1, v1_fake):
    with pytest.raises(NotFound) as caught:
        v1.call(Request("POST", "/v1.0/robot/otoMessages/batchSend", send_request().body))
    assert caught.value.errcode == 404


def test_the_ip_ban_body_is_ip_blocked_for_five_minutes(v1, v1_fake, delays):
    v1_fake.fake.faults[SEND] = [
        (200, {"status": 1111, "wait": 5, "source": "x5", "punish": "deny", "uuid": "u"})
    ]
    with pytest.raises(IpBlocked) as caught:
        v1.call(send_request(), send=True)
    assert caught.value.retry_after == 300.0 and delays == []


def test_a_status_without_an_envelope_is_an_http_status_error(v1, v1_fake):
    v1_fake.fake.faults[SEND] = [(502, "<html>Bad Gateway</html>")]
    with pytest.raises(HTTPStatusError) as caught:
        v1.call(send_request(), send=True)
    assert caught.value.status_code == 502


def test_a_v1_error_on_record_rebuilds_the_same_typed_error(v1, v1_fake):
    v1_fake.fake.faults[SEND] = [
        v1_error(
            403,
            "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            accessdenieddetail={"requiredScopes": ["Card.Instance.Write"]},
        )
    ]
    with pytest.raises(PermissionDenied) as caught:
        v1.call(send_request(), send=True)
    record = json.loads(json.dumps(error_record(caught.value)))
    rebuilt = error_from_record(record)
    assert type(rebuilt) is PermissionDenied
    assert (rebuilt.api_code, rebuilt.status_code, rebuilt.request_id, rebuilt.required_scopes) == (
        caught.value.api_code,
        403,
        caught.value.request_id,
        ("Card.Instance.Write",),
    )
    assert str(rebuilt) == str(caught.value)


def test_a_send_that_times_out_is_not_re_sent():
    token = {"accessToken": "tok-0123456789", "expireIn": 7200}
    session = ScriptedSession({TOKEN_PATH: token, SEND: requests.ReadTimeout("slow")})
    client = V1Client.for_app("k", "s", base_url="http://127.0.0.1:9", session=session)
    with pytest.raises(RequestTimeout) as caught:
        client.call(send_request(), send=True)
    assert caught.value.outcome_unknown
    assert session.count(SEND) == 1


def test_a_read_is_retried_once_after_a_connection_error():
    token = {"accessToken": "tok-0123456789", "expireIn": 7200}
    path = "/v1.0/robot/oToMessages/readStatus"
    session = ScriptedSession({TOKEN_PATH: token, path: requests.ConnectionError("reset")})
    client = V1Client.for_app("k", "s", base_url="http://127.0.0.1:9", session=session)
    with pytest.raises(TransportError):
        client.call(Request("GET", path, None, {"robotCode": "k", "processQueryKey": "q"}))
    assert session.count(path) == 2


# -- ISV: one company's token ------------------------------------------------------------


def suite_corp(v1_fake, tickets: list[str]) -> V1Client:
    return V1Client.for_suite_corp(
        fake_v1.SUITE_KEY,
        fake_v1.SUITE_SECRET,
        lambda: tickets.pop(0) if len(tickets) > 1 else tickets[0],
        fake_v1.CORP_ID,
        robot_code=fake_v1.APP_KEY,
        base_url=v1_fake.url,
        token_store=MemoryTokenStore(),
    )


def test_isv_corp_token_body_and_key(v1_fake):
    client = suite_corp(v1_fake, [fake_v1.SUITE_TICKET])
    client.call(send_request(), send=True)
    (fetch,) = v1_fake.fake.calls("/v1.0/oauth2/corpAccessToken")
    assert json.loads(fetch["raw"]) == {
        "authCorpId": fake_v1.CORP_ID,
        "suiteKey": fake_v1.SUITE_KEY,
        "suiteSecret": fake_v1.SUITE_SECRET,
        "suiteTicket": fake_v1.SUITE_TICKET,
    }
    key = f"v1:isv:{fake_v1.SUITE_KEY}:{fake_v1.CORP_ID}"
    assert client.token_store.get(key)


def test_isv_refused_ticket_is_asked_for_again_once(v1_fake):
    client = suite_corp(v1_fake, ["stale-ticket", fake_v1.SUITE_TICKET])
    assert client.get_access_token().startswith("v1corp-")
    assert len(v1_fake.fake.calls("/v1.0/oauth2/corpAccessToken")) == 2
    stale = suite_corp(v1_fake, ["stale-ticket"])
    with pytest.raises(SuiteTicketError):
        stale.get_access_token()
