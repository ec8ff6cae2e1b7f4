"""Every error class and every injected fault, against the sandbox over real HTTP."""

from __future__ import annotations

import pytest

from dashboard.dingtalk import (
    ApiError,
    CredentialsError,
    DingTalkClient,
    HTTPStatusError,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    PaginationError,
    PermissionDenied,
    RequestTimeout,
    Throttled,
    TokenError,
    messages,
)

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
PROGRESS = "/topapi/message/corpconversation/getsendprogress"


def calls(sandbox, path: str) -> int:
    return sandbox.stats()["calls"].get(path, 0)


# -- API errors ---------------------------------------------------------------------------


def test_not_found(dingtalk: DingTalkClient) -> None:
    with pytest.raises(NotFound) as info:
        dingtalk.users.get_user("ghost-user")
    assert info.value.errcode == 60121 and info.value.path == "/user/get"
    with pytest.raises(NotFound) as info:
        dingtalk.departments.get_department(987654)
    assert info.value.errcode == 60003
    with pytest.raises(NotFound):
        dingtalk.messages.get_send_result(1)
    with pytest.raises(NotFound) as info:
        dingtalk.get("/no/such/path")
    assert info.value.errcode == 404


def test_unknown_topapi_method_is_invalid_request(dingtalk: DingTalkClient) -> None:
    with pytest.raises(InvalidRequest) as info:
        dingtalk.post("/topapi/app/remove_auth", {})
    assert info.value.errcode == 22
    assert info.value.sub_msg


def test_permission_denied_outside_scope(dingtalk: DingTalkClient, sandbox) -> None:
    outside = dingtalk.departments.list_sub_department_ids(1)["sub_dept_id_list"][-1]
    inside = dingtalk.departments.list_sub_department_ids(1)["sub_dept_id_list"][0]
    sandbox.set_knobs(scope_authed_dept=[inside])
    with pytest.raises(PermissionDenied) as info:
        dingtalk.departments.get_department(outside)
    assert info.value.code == 60011


def test_wrapped_permission_error_decided_by_sub_code(dingtalk: DingTalkClient, sandbox) -> None:
    sandbox.inject("errcode", path=PROGRESS, errcode=60011)
    with pytest.raises(PermissionDenied) as info:
        dingtalk.messages.get_send_progress(1)
    error = info.value
    assert (error.errcode, error.sub_code, error.code) == (88, "60011", 60011)
    assert error.request_id and error.sub_msg and error.path == PROGRESS


def test_bad_credentials(make_dingtalk, sandbox) -> None:
    client = make_dingtalk(app_secret="not-the-secret")
    with pytest.raises(CredentialsError) as info:
        client.auth.get_scopes()
    assert info.value.errcode == 40089
    assert sandbox.stats()["gettoken"] == 1
    assert calls(sandbox, "/auth/scopes") == 0


def test_server_side_limits_match_the_client(dingtalk: DingTalkClient, sandbox) -> None:
    """A check the client skips (configurable caps raised) is still enforced by the sandbox."""
    dingtalk.max_userid_list = 5000
    with pytest.raises(InvalidRequest):
        dingtalk.messages.send_work_notice(
            messages.text("hi"), userid_list=[f"u{i:04d}" for i in range(1, 102)]
        )
    dingtalk.max_chat_members = 1000
    with pytest.raises(InvalidRequest):
        dingtalk.chats.create_chat("big", "u0001", [f"u{i:04d}" for i in range(1, 42)])


# -- tokens -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["token_expired", "token_invalid"])
def test_token_error_refreshes_and_retries_once(dingtalk: DingTalkClient, sandbox, kind) -> None:
    dingtalk.get_access_token()
    sandbox.inject(kind, path="/user/get")
    assert dingtalk.users.get_user("u0001")["userid"] == "u0001"
    stats = sandbox.stats()
    assert stats["gettoken"] == 2
    assert stats["calls"]["/user/get"] == 2


def test_wrapped_88_40014_refreshes(dingtalk: DingTalkClient, sandbox) -> None:
    dingtalk.get_access_token()
    sandbox.inject("token_invalid", path=ASYNCSEND)
    sent = dingtalk.messages.send_work_notice(messages.text("hi"), userid_list=["u0001"])
    assert sent["task_id"]
    stats = sandbox.stats()
    assert stats["sub_codes"] == {"40014": 1}
    assert stats["gettoken"] == 2 and stats["calls"][ASYNCSEND] == 2


def test_revoked_token_is_replaced(dingtalk: DingTalkClient, sandbox) -> None:
    old = dingtalk.get_access_token()
    sandbox.revoke_tokens()
    assert dingtalk.auth.get_scopes()["errcode"] == 0
    assert dingtalk.get_access_token() != old
    assert sandbox.stats()["gettoken"] == 2


def test_server_expiry_before_the_cache_ttl(dingtalk: DingTalkClient, sandbox) -> None:
    dingtalk.get_access_token()
    sandbox.advance(7300)
    assert dingtalk.auth.get_scopes()["errcode"] == 0
    assert sandbox.stats()["gettoken"] == 2


def test_token_error_twice_gives_up(dingtalk: DingTalkClient, sandbox) -> None:
    sandbox.inject("token_invalid", count=2, path="/auth/scopes")
    with pytest.raises(TokenError):
        dingtalk.auth.get_scopes()
    assert calls(sandbox, "/auth/scopes") == 2


# -- throttling ---------------------------------------------------------------------------


def test_system_busy_backs_off_doubling(dingtalk: DingTalkClient, sandbox, fake_sleep) -> None:
    sandbox.inject("system_busy", count=2, path="/department/list_ids")
    assert dingtalk.departments.list_sub_department_ids(1)["sub_dept_id_list"]
    assert calls(sandbox, "/department/list_ids") == 3
    assert len(fake_sleep.delays) == 2
    assert 0.5 <= fake_sleep.delays[0] <= 1.0 and 1.0 <= fake_sleep.delays[1] <= 2.0


def test_per_second_limit_waits_about_a_second(
    dingtalk: DingTalkClient, sandbox, fake_sleep
) -> None:
    sandbox.inject("throttle", count=2, path="/department/list_ids")
    assert dingtalk.departments.list_sub_department_ids(1)["sub_dept_id_list"]
    assert calls(sandbox, "/department/list_ids") == 3
    assert len(fake_sleep.delays) == 2
    assert all(1.0 <= d <= 1.25 for d in fake_sleep.delays)


def test_bare_88_gets_one_short_retry(dingtalk: DingTalkClient, sandbox, fake_sleep) -> None:
    sandbox.inject("bare_88", count=1, path="/department/list_ids")
    assert dingtalk.departments.list_sub_department_ids(1)["sub_dept_id_list"]
    sandbox.inject("bare_88", count=2, path="/department/list_ids")
    with pytest.raises(Throttled) as info:
        dingtalk.departments.list_sub_department_ids(1)
    assert info.value.errcode == 88 and info.value.attempts == 2
    assert calls(sandbox, "/department/list_ids") == 4
    assert len(fake_sleep.delays) == 2 and all(1.0 <= d <= 1.25 for d in fake_sleep.delays)


def test_throttled_after_max_attempts(make_dingtalk, sandbox, fake_sleep) -> None:
    client = make_dingtalk(max_retries=3, backoff_max=3.0, jitter=False)
    sandbox.inject("throttle", count=10, path=ASYNCSEND)
    with pytest.raises(Throttled) as info:
        client.messages.send_work_notice(messages.text("hi"), userid_list=["u0001"])
    assert info.value.code == 90018 and info.value.attempts == 4
    assert fake_sleep.delays == [1.0, 1.0, 1.0]
    assert calls(sandbox, ASYNCSEND) == 4
    assert sandbox.stats()["tasks"] == 0


# -- transport faults -------------------------------------------------------------------


def test_timed_out_send_is_not_resent(make_dingtalk, sandbox) -> None:
    client = make_dingtalk(timeout=0.5)
    client.get_access_token()
    sandbox.inject("latency", path=ASYNCSEND, seconds=1.5)
    with pytest.raises(RequestTimeout) as info:
        client.messages.send_work_notice(messages.text("迟到的通知"), userid_list=["u0001"])
    assert info.value.outcome_unknown is True
    assert "may have been delivered" in str(info.value)
    assert calls(sandbox, ASYNCSEND) == 1


def test_timed_out_chat_send_is_not_resent(make_dingtalk, sandbox) -> None:
    client = make_dingtalk(timeout=0.5)
    chatid = client.chats.create_chat("超时群", "u0001", ["u0001", "u0002"])["chatid"]
    sandbox.inject("latency", path="/chat/send", seconds=1.5)
    with pytest.raises(RequestTimeout) as info:
        client.chats.send_chat_message(chatid, messages.text("hi"))
    assert info.value.outcome_unknown is True
    assert calls(sandbox, "/chat/send") == 1


def test_timed_out_get_is_retried_once(make_dingtalk, sandbox) -> None:
    client = make_dingtalk(timeout=0.5)
    sandbox.inject("latency", path="/user/get", seconds=1.5)
    assert client.users.get_user("u0001")["userid"] == "u0001"
    assert calls(sandbox, "/user/get") == 2


def test_http_500_get_retried_once(dingtalk: DingTalkClient, sandbox) -> None:
    sandbox.inject("http_500", path="/user/get")
    assert dingtalk.users.get_user("u0001")["userid"] == "u0001"
    sandbox.inject("http_500", count=2, path="/user/get")
    with pytest.raises(HTTPStatusError) as info:
        dingtalk.users.get_user("u0001")
    assert info.value.status_code == 500
    assert calls(sandbox, "/user/get") == 4


def test_http_500_on_a_send_is_raised(dingtalk: DingTalkClient, sandbox) -> None:
    sandbox.inject("http_500", path=ASYNCSEND)
    with pytest.raises(HTTPStatusError):
        dingtalk.messages.send_work_notice(messages.text("hi"), userid_list=["u0001"])
    assert calls(sandbox, ASYNCSEND) == 1


@pytest.mark.parametrize("style", ["x5", "html"])
def test_ip_ban_is_invalid_response(dingtalk: DingTalkClient, sandbox, style) -> None:
    dingtalk.get_access_token()
    sandbox.set_knobs(ip_ban_style=style)
    sandbox.inject("ip_ban", path="/auth/scopes")
    with pytest.raises(InvalidResponse) as info:
        dingtalk.auth.get_scopes()
    assert info.value.path == "/auth/scopes"
    assert calls(sandbox, "/auth/scopes") == 1


def test_stuck_read_list_raises(dingtalk: DingTalkClient, sandbox) -> None:
    members = [f"u{i:04d}" for i in range(1, 31)]
    chatid = dingtalk.chats.create_chat("卡住", "u0001", members)["chatid"]
    message_id = dingtalk.chats.send_chat_message(chatid, messages.text("hi"))["messageId"]
    sandbox.advance(24 * 3600)
    sandbox.set_read_list_stuck(True)
    with pytest.raises(PaginationError, match="does not advance"):
        list(dingtalk.chats.iter_read_list(message_id, size=5))
    assert calls(sandbox, "/chat/getReadList") <= 3


def test_dissolved_chat_send_is_an_api_error(dingtalk: DingTalkClient, sandbox) -> None:
    chatid = dingtalk.chats.create_chat("解散", "u0001", ["u0001", "u0002"])["chatid"]
    sandbox.dissolve_chat(chatid)
    assert dingtalk.chats.get_chat(chatid)["chat_info"]["status"] == 2
    with pytest.raises(ApiError) as info:
        dingtalk.chats.send_chat_message(chatid, messages.text("hi"))
    assert info.value.errcode != 0
