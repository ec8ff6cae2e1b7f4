"""DingTalk failures become the original error shape with a fitting HTTP status."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.notifications.models import Send


def failed(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is False and body["msg"]
    return body


def use_timeout(app, seconds: float) -> None:
    """A small DINGTALK_TIMEOUT, and a client rebuilt with it."""
    app.config["DINGTALK_TIMEOUT"] = seconds
    app.extensions["dingtalk"]["internal"] = None


def test_unknown_user_is_a_404_with_dingtalks_body(api, sandbox):
    body = failed(api("userinfo", {"userid": "nobody"}), 404)
    assert body["errcode"] in (60121, 33012)
    assert body["data"]["errcode"] == body["errcode"]
    assert body["msg"] == body["data"]["errmsg"]


def test_unknown_department_is_a_404(api, sandbox):
    body = failed(api("departmentget", {"id": 99999}), 404)
    assert body["errcode"] in (60003, 60121)


def test_unknown_chat_is_a_404(api, sandbox):
    failed(api("chatInfo", {"chatid": "chat-does-not-exist"}), 404)


def test_unknown_task_is_a_404(api, sandbox):
    failed(api("getsendprogress", {"task_id": 424242}), 404)


def test_throttling_is_a_503_with_retry_after(api, sandbox):
    sandbox.inject("throttle", count=10)
    response = api("list_ids", {"id": 1})
    body = failed(response, 503)
    assert body["errcode"] == 90018
    assert int(response.headers["Retry-After"]) >= 1


def test_throttled_send_is_a_503_and_recorded_as_failed(app, api, sandbox):
    sandbox.inject("throttle", count=10, path="/topapi/message/corpconversation/asyncsend_v2")
    response = api("asyncsend_v2", {"userid_list": "u0002", "msg": "限流"})
    body = failed(response, 503)
    assert body["errcode"] == 90018 and int(response.headers["Retry-After"]) >= 1
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.state == "failed" and body["data"]["send_id"] == send.id


def test_latency_beyond_the_timeout_is_a_504(app, api, sandbox):
    use_timeout(app, 0.3)
    sandbox.inject("latency", count=2, seconds=1.0)
    body = failed(api("list_ids", {"id": 1}), 504)
    assert body["errcode"] is None


def test_a_timed_out_send_is_a_504_that_says_it_may_have_been_delivered(app, api, sandbox):
    api("authScopes")  # fetch the token first, so only the send is slow
    use_timeout(app, 0.3)
    sandbox.inject(
        "latency", count=1, seconds=1.0, path="/topapi/message/corpconversation/asyncsend_v2"
    )
    with app.app_context():
        response = api(
            "asyncsend_v2", {"userid_list": "u0002", "msg": "慢"}, headers={"Accept-Language": "en"}
        )
    body = failed(response, 504)
    assert "may still have been carried out" in body["msg"]
    assert body["data"]["state"] == "unknown"


@pytest.mark.parametrize("kind", ["http_500", "ip_ban"])
def test_unusable_upstream_replies_are_a_502(api, sandbox, kind):
    sandbox.inject(kind, count=2)
    body = failed(api("list_ids", {"id": 1}), 502)
    assert body["errcode"] is None and body["data"] is None


def test_rejected_credentials_are_a_502(api, sandbox):
    sandbox.inject("token_invalid", count=5)
    body = failed(api("list_ids", {"id": 1}), 502)
    assert body["errcode"] in (40014, 88)


def test_permission_denied_is_a_403(api, sandbox):
    sandbox.inject("errcode", count=1, errcode=60011, errmsg="没有调用该接口的权限")
    body = failed(api("list_ids", {"id": 1}), 403)
    assert body["errcode"] == 60011 and body["msg"] == "没有调用该接口的权限"


def test_an_invalid_parameter_reported_by_dingtalk_is_a_400(api, sandbox):
    sandbox.inject("errcode", count=1, errcode=40035, errmsg="不合法的参数")
    body = failed(api("list_ids", {"id": 1}), 400)
    assert body == {
        "success": False,
        "msg": "不合法的参数",
        "errcode": 40035,
        "data": {"errcode": 40035, "errmsg": "不合法的参数"},
    }


def test_library_limits_are_a_400_without_a_call(api, sandbox):
    members = ",".join(f"u{n:04d}" for n in range(1, 42))
    before = sandbox.stats()["total"]
    failed(api("createChat", {"name": "大群", "owner": "u0001", "useridlist": members}), 400)
    assert sandbox.stats()["total"] == before


def test_not_configured_is_a_503(app, api, sandbox):
    app.config["DINGTALK_APP_SECRET"] = None
    app.extensions["dingtalk"]["internal"] = None
    failed(api("list_ids", {"id": 1}), 503)


def test_no_secret_or_token_in_any_reply(app, api, sandbox, send_token):
    app.config["DASHBOARD_API_TOKEN"] = "automation-token-123456"
    replies = [api("authScopes"), api("userinfo", {"userid": "nobody"})]
    sandbox.inject("token_invalid", count=5)
    replies.append(api("list_ids", {"id": 1}))
    sandbox.inject("errcode", count=1, errcode=40035, errmsg=f"bad {sandbox.app_secret}")
    replies.append(api("list_ids", {"id": 1}))
    sandbox.inject("http_500", count=2)
    replies.append(api("list_ids", {"id": 1}))
    replies.append(api("asyncsend_v2", {"userid_list": "u0002", "msg": "hi"}))
    client = app.extensions["dingtalk"]["internal"]
    access_token = client.token_store.get(client.token_key)
    assert access_token
    secrets = [
        sandbox.app_secret,
        access_token,
        send_token,
        "automation-token-123456",
        "test-secret-key",
    ]
    for reply in replies:
        text = reply.get_data(as_text=True) + str(dict(reply.headers))
        for secret in secrets:
            assert secret not in text


def test_a_refused_send_answers_with_dingtalks_own_envelope(api, sandbox):
    sandbox.inject(
        "errcode",
        path="/topapi/message/corpconversation/asyncsend_v2",
        errcode=88,
        sub_code="60011",
        errmsg="ding talk error[subcode=60011,submsg=没有调用该接口的权限]",
    )
    body = failed(api("asyncsend_v2", {"userid_list": "u0001", "msg": "hi"}), 403)
    assert body["errcode"] == 88
    assert body["data"]["sub_code"] == "60011"
    assert body["data"]["state"] == "failed"


ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


@pytest.mark.parametrize("kind", ["http_500", "ip_ban_html", "ip_ban_json"])
def test_a_send_without_an_errcode_says_dingtalk_gave_no_result_and_the_send_failed(
    api, sandbox, kind
):
    if kind.startswith("ip_ban"):
        sandbox.set_knobs(ip_ban_style=kind.removeprefix("ip_ban_"))
        kind = "ip_ban"
    sandbox.inject(kind, count=5, path=ASYNCSEND)
    body = failed(api("asyncsend_v2", {"userid_list": "u0002", "msg": "hi"}), 502)
    assert body["msg"].startswith("钉钉没有返回结果") and body["msg"].endswith("发送失败。")
    assert "None" not in body["msg"] and "errcode" not in body["msg"]
    assert body["errcode"] is None and body["data"]["state"] == "failed"


def test_the_english_message_names_the_http_status(api, sandbox):
    sandbox.inject("http_500", count=5, path=ASYNCSEND)
    response = api(
        "asyncsend_v2", {"userid_list": "u0002", "msg": "hi"}, headers={"Accept-Language": "en"}
    )
    body = failed(response, 502)
    assert body["msg"] == "DingTalk did not answer with a result (HTTP 500). The send failed."


def test_a_send_with_some_batches_refused_says_which_went_out(api, sandbox):
    userids = ",".join(f"u{n:04d}" for n in range(1, 102))  # two batches of asyncsend_v2
    sandbox.inject("http_500", count=1, path=ASYNCSEND)
    response = api("asyncsend_v2", {"userid_list": userids, "msg": "两批"})
    assert response.status_code == 202  # two batches: accepted, followed with sendStatus
    send_id = response.get_json()["data"]["send_id"]
    status = api("sendStatus", {"send_id": send_id}).get_json()["data"]
    assert status["state"] == "partial"
    assert status["counts"]["batches"] == 2
    assert (status["counts"]["done"], status["counts"]["failed"]) == (1, 1)
    failed_task, sent_task = sorted(status["tasks"], key=lambda t: t["task_id"] or 0)
    assert failed_task["state"] == "failed" and failed_task["task_id"] is None
    assert failed_task["errcode"] is None and sent_task["task_id"]


def test_a_chat_message_without_an_errcode_says_the_send_failed(api, sandbox):
    chat = api("createChat", {"name": "群", "owner": "u0001", "useridlist": "u0001,u0002"})
    chatid = chat.get_json()["data"]["chatid"]
    sandbox.inject("http_500", count=5, path="/chat/send")
    body = failed(api("chatSend", {"chatid": chatid, "msg": "hi"}), 502)
    assert body["msg"] == "钉钉没有返回结果（HTTP 500）。发送失败。"
    assert body["errcode"] is None
