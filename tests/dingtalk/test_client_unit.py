"""The client's request shapes and retry rules, against a scripted transport."""

from __future__ import annotations

import logging
import threading
from urllib.parse import urlsplit

import pytest
import requests

from dashboard.dingtalk import (
    CredentialsError,
    DingTalkClient,
    HTTPStatusError,
    InvalidMessage,
    InvalidResponse,
    LocalRateLimiter,
    MemoryTokenStore,
    PaginationError,
    RequestTimeout,
    Throttled,
    TokenError,
    TransportError,
    messages,
)

from .fakes import TOKEN, ScriptedSession, body, query, sequence

SECRET = "unit-app-secret-XYZ"
ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def make_client(session: ScriptedSession, **kw) -> tuple[DingTalkClient, list[float]]:
    delays: list[float] = []
    kw.setdefault("rate_limiter", LocalRateLimiter(rate=10_000))
    client = DingTalkClient(
        app_key="unitkey",
        app_secret=SECRET,
        agent_id=42,
        base_url="http://127.0.0.1:9",
        timeout=3.0,
        session=session,
        sleep=delays.append,
        **kw,
    )
    return client, delays


def test_credentials_are_one_pair() -> None:
    with pytest.raises(ValueError):
        DingTalkClient()
    with pytest.raises(ValueError):
        DingTalkClient(app_key="k")
    with pytest.raises(ValueError):
        DingTalkClient(app_key="k", app_secret="s", corp_id="c", corp_secret="cs")
    client = DingTalkClient(corp_id="dingcorp", corp_secret="cs")
    assert client.app_id == "dingcorp"
    assert "cs" not in repr(client) and SECRET not in repr(make_client(ScriptedSession())[0])


def test_gettoken_with_appkey_and_with_corpid() -> None:
    session = ScriptedSession()
    client, _ = make_client(session)
    assert client.get_access_token() == TOKEN
    assert query(session.sent[0]) == {"appkey": "unitkey", "appsecret": SECRET}
    corp = DingTalkClient(corp_id="dingcorp", corp_secret="cs", session=session)
    corp.get_access_token()
    assert query(session.sent[1]) == {"corpid": "dingcorp", "corpsecret": "cs"}


def test_token_ttl_uses_margin_and_default_expiry() -> None:
    seen: list[int] = []

    class Store(MemoryTokenStore):
        def set(self, key: str, token: str, ttl: int) -> None:
            seen.append(ttl)
            super().set(key, token, ttl)

    session = ScriptedSession({"/gettoken": {"errcode": 0, "access_token": "t1"}})
    client, _ = make_client(session, token_store=Store())
    client.get_access_token()
    session.routes["/gettoken"] = {"errcode": 0, "access_token": "t2", "expires_in": 60}
    client.get_access_token(force_refresh=True)
    assert seen == [7200 - 300, 30]


def test_classic_get_puts_everything_in_the_query() -> None:
    session = ScriptedSession()
    client, _ = make_client(session)
    client.departments.list_departments(2, lang="en_US", fetch_child=False)
    request = session.sent[-1]
    assert request.method == "GET"
    assert urlsplit(request.url).path == "/department/list"
    assert query(request) == {
        "id": "2",
        "lang": "en_US",
        "fetch_child": "false",
        "access_token": TOKEN,
    }
    assert request.body is None
    assert session.timeouts[-1] == 3.0


@pytest.mark.parametrize(("only_active", "flag"), [(True, "1"), (False, "0")])
def test_only_active_is_not_inverted(only_active: bool, flag: str) -> None:
    session = ScriptedSession()
    client, _ = make_client(session)
    client.users.count_org_users(only_active)
    assert query(session.sent[-1])["onlyActive"] == flag


def test_topapi_posts_json_with_token_in_query() -> None:
    session = ScriptedSession({ASYNCSEND: {"errcode": 0, "task_id": 7}})
    client, _ = make_client(session)
    client.messages.send_work_notice(
        messages.text("hi"), userid_list=["u0001", "u0002"], dept_id_list=[2]
    )
    request = session.sent[-1]
    assert request.method == "POST"
    assert request.headers["Content-Type"] == "application/json;charset=UTF-8"
    assert query(request) == {"access_token": TOKEN}
    assert body(request) == {
        "agent_id": 42,
        "msg": {"msgtype": "text", "text": {"content": "hi"}},
        "userid_list": "u0001,u0002",
        "dept_id_list": "2",
        "to_all_user": False,
    }


def test_message_id_is_url_encoded() -> None:
    session = ScriptedSession({"/chat/getReadList": {"errcode": 0, "readUserIdList": []}})
    client, _ = make_client(session)
    client.chats.get_read_list_page("ab+/c==", 0, 10)
    url = session.sent[-1].url
    assert "messageId=ab%2B%2Fc%3D%3D" in url
    assert query(session.sent[-1])["messageId"] == "ab+/c=="


def test_local_validation_happens_before_any_request() -> None:
    session = ScriptedSession()
    client, _ = make_client(session)
    text = messages.text("hi")
    cases = [
        lambda: client.messages.send_work_notice(text),
        lambda: client.messages.send_work_notice(text, userid_list=[f"u{i}" for i in range(101)]),
        lambda: client.messages.send_work_notice(text, dept_id_list=list(range(21))),
        lambda: client.messages.send_work_notice({"msgtype": "text"}, to_all_user=True),
        lambda: client.chats.create_chat("", "u1", ["u1"]),
        lambda: client.chats.create_chat("n" * 21, "u1", ["u1"]),
        lambda: client.chats.create_chat("ok", "u1", ["u10", "u11"]),
        lambda: client.chats.create_chat("ok", "u1", "u1,u2"),
        lambda: client.chats.create_chat("ok", "u1", ["u1"] + [f"x{i}" for i in range(40)]),
        lambda: client.chats.create_chat("ok", "u1", ["u1"], bogus=1),
        lambda: client.chats.get_read_list_page("m", 0, 101),
        lambda: client.users.list_department_members_page(1, 0, 0),
        lambda: client.users.list_department_members_page(1, 0, 101),
        lambda: client.users.list_department_members_page(1, -1, 10),
    ]
    for case in cases:
        with pytest.raises(InvalidMessage):
            case()
    assert session.sent == []


def test_list_limits_are_configurable() -> None:
    session = ScriptedSession()
    client, _ = make_client(session, max_userid_list=5000, max_chat_members=2)
    client.messages.send_work_notice(messages.text("hi"), userid_list=[f"u{i}" for i in range(500)])
    with pytest.raises(InvalidMessage, match="at most 2"):
        client.chats.create_chat("ok", "u1", ["u1", "u2", "u3"])


def test_create_chat_maps_settings() -> None:
    session = ScriptedSession({"/chat/create": {"errcode": 0, "chatid": "chat1"}})
    client, _ = make_client(session)
    client.chats.create_chat("项目群", "u1", ["u1", "u2"], show_history_type=1, searchable=0)
    assert body(session.sent[-1]) == {
        "name": "项目群",
        "owner": "u1",
        "useridlist": ["u1", "u2"],
        "showHistoryType": 1,
        "searchable": 0,
    }


def test_wrapped_token_error_refreshes_once_then_gives_up() -> None:
    wrapped = {"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token"}
    session = ScriptedSession({"/auth/scopes": wrapped})
    client, _ = make_client(session)
    with pytest.raises(TokenError) as info:
        client.auth.get_scopes()
    assert info.value.sub_code == "40014"
    assert session.count("/auth/scopes") == 2
    assert session.count("/gettoken") == 2


def test_bad_credentials_are_not_retried() -> None:
    session = ScriptedSession(
        {"/gettoken": {"errcode": 40089, "errmsg": "不合法的corpid或corpsecret"}}
    )
    client, _ = make_client(session)
    with pytest.raises(CredentialsError):
        client.auth.get_scopes()
    assert session.count("/gettoken") == 1
    assert session.count("/auth/scopes") == 0


def test_backoff_doubles_from_base_up_to_max_then_raises() -> None:
    session = ScriptedSession({"/auth/scopes": {"errcode": 90002, "errmsg": "global"}})
    client, delays = make_client(session, max_retries=5, jitter=False, backoff_max=8.0)
    with pytest.raises(Throttled) as info:
        client.auth.get_scopes()
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0]
    assert info.value.attempts == 6
    assert session.count("/auth/scopes") == 6


def test_backoff_jitter_stays_within_each_step() -> None:
    session = ScriptedSession(
        {
            "/auth/scopes": sequence(
                {"errcode": -1}, {"errcode": -1}, {"errcode": -1}, {"errcode": 0}
            )
        }
    )
    client, delays = make_client(session)
    client.auth.get_scopes()
    assert len(delays) == 3
    for delay, step in zip(delays, [1.0, 2.0, 4.0], strict=True):
        assert step / 2 <= delay <= step


def test_send_is_never_retried_after_a_timeout() -> None:
    session = ScriptedSession({ASYNCSEND: requests.ReadTimeout("read timed out")})
    client, _ = make_client(session)
    with pytest.raises(RequestTimeout) as info:
        client.messages.send_work_notice(messages.text("hi"), to_all_user=True)
    assert info.value.outcome_unknown is True
    assert session.count(ASYNCSEND) == 1


def test_connect_timeout_on_a_send_is_known_not_sent() -> None:
    session = ScriptedSession({"/chat/send": requests.ConnectTimeout("connect timed out")})
    client, _ = make_client(session)
    with pytest.raises(RequestTimeout) as info:
        client.chats.send_chat_message("chat1", messages.text("hi"))
    assert info.value.outcome_unknown is False
    assert session.count("/chat/send") == 1


def test_get_is_retried_once_on_timeout_and_5xx() -> None:
    session = ScriptedSession(
        {"/user/get": sequence(requests.ReadTimeout("slow"), {"errcode": 0, "userid": "u1"})}
    )
    client, _ = make_client(session)
    assert client.users.get_user("u1")["userid"] == "u1"
    session.routes["/user/get"] = sequence((502, "bad gateway"), (503, "unavailable"))
    with pytest.raises(HTTPStatusError) as info:
        client.users.get_user("u1")
    assert info.value.status_code == 503
    assert session.count("/user/get") == 4
    session.routes["/user/get"] = (404, "nope")
    with pytest.raises(HTTPStatusError):
        client.users.get_user("u1")
    assert session.count("/user/get") == 5


def test_connection_error_text_is_redacted() -> None:
    leaky = requests.ConnectionError(
        f"Max retries exceeded with url: /gettoken?appkey=unitkey&appsecret={SECRET}"
    )
    session = ScriptedSession({"/gettoken": leaky})
    client, _ = make_client(session)
    with pytest.raises(TransportError) as info:
        client.get_access_token()
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_non_json_and_non_envelope_bodies() -> None:
    session = ScriptedSession({"/auth/scopes": "<html>deny</html>"})
    client, _ = make_client(session)
    with pytest.raises(InvalidResponse, match="not JSON"):
        client.auth.get_scopes()
    session.routes["/auth/scopes"] = {"status": 1111, "wait": 5, "punish": "deny"}
    with pytest.raises(InvalidResponse, match="envelope"):
        client.auth.get_scopes()
    assert session.count("/auth/scopes") == 2


def test_concurrent_first_calls_fetch_one_token() -> None:
    session = ScriptedSession()
    client, _ = make_client(session)
    barrier = threading.Barrier(16)

    def worker() -> None:
        barrier.wait()
        for _ in range(5):
            client.auth.get_scopes()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert session.count("/gettoken") == 1
    assert session.count("/auth/scopes") == 80


def test_two_apps_never_share_a_token() -> None:
    store = MemoryTokenStore()
    session = ScriptedSession()
    app_a, _ = make_client(session, token_store=store)
    app_b = DingTalkClient(
        app_key="otherkey", app_secret="other", session=session, token_store=store
    )
    app_a.get_access_token()
    app_b.get_access_token()
    assert session.count("/gettoken") == 2
    assert store.get("unitkey") and store.get("otherkey")


def test_listbypage_guard_and_cap() -> None:
    stuck = {"errcode": 0, "hasMore": True, "userlist": []}
    session = ScriptedSession({"/user/listbypage": stuck})
    client, _ = make_client(session)
    with pytest.raises(PaginationError, match="not advance"):
        list(client.users.iter_department_members(1))
    session.routes["/user/listbypage"] = {
        "errcode": 0,
        "hasMore": True,
        "userlist": [{"userid": "u"}],
    }
    with pytest.raises(PaginationError, match="max_pages"):
        list(client.users.iter_department_members(1, max_pages=3))
    offsets = [query(r)["offset"] for r in session.sent if "listbypage" in r.url]
    assert offsets == ["0", "0", "1", "2"]


def test_read_list_cursor_guard() -> None:
    session = ScriptedSession(
        {
            "/chat/getReadList": sequence(
                {"errcode": 0, "next_cursor": 5, "readUserIdList": ["u1"]},
                {"errcode": 0, "next_cursor": 5, "readUserIdList": ["u2"]},
            )
        }
    )
    client, _ = make_client(session)
    with pytest.raises(PaginationError, match="does not advance"):
        list(client.chats.iter_read_list("m"))


def test_one_log_line_per_call_without_secrets(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    session = ScriptedSession({"/user/get": {"errcode": 60121, "errmsg": "找不到该用户"}})
    client, _ = make_client(session)
    client.auth.get_scopes()
    with pytest.raises(Exception, match="60121"):
        client.users.get_user("ghost")
    lines = [r.getMessage() for r in caplog.records if r.name == "dashboard.dingtalk"]
    assert any(line.startswith("GET /auth/scopes") and "errcode=0" in line for line in lines)
    assert any(line.startswith("GET /user/get") and "errcode=60121" in line for line in lines)
    assert SECRET not in caplog.text and TOKEN not in caplog.text


def test_system_busy_is_retried_at_most_three_times() -> None:
    session = ScriptedSession({"/auth/scopes": {"errcode": -1, "errmsg": "系统繁忙"}})
    client, delays = make_client(session, max_retries=6, jitter=False)
    with pytest.raises(Throttled) as info:
        client.auth.get_scopes()
    assert session.count("/auth/scopes") == 4
    assert delays == [1.0, 2.0, 4.0] and info.value.attempts == 4


def test_bare_88_gets_one_short_retry_but_wrapped_codes_follow_their_sub_code() -> None:
    session = ScriptedSession({"/auth/scopes": {"errcode": 88, "errmsg": "ding talk error"}})
    client, delays = make_client(session, jitter=False)
    with pytest.raises(Throttled):
        client.auth.get_scopes()
    assert session.count("/auth/scopes") == 2 and delays == [1.0]
    session.routes["/auth/scopes"] = {"errcode": 88, "sub_code": "90018", "sub_msg": "qps"}
    with pytest.raises(Throttled):
        client.auth.get_scopes()
    assert session.count("/auth/scopes") == 2 + 4 and delays == [1.0] * 4


def test_per_minute_limits_are_not_retried_within_the_minute() -> None:
    for code in (90005, 90006):
        session = ScriptedSession({"/auth/scopes": {"errcode": code, "errmsg": "1500/min"}})
        client, delays = make_client(session)
        with pytest.raises(Throttled) as info:
            client.auth.get_scopes()
        assert session.count("/auth/scopes") == 1 and delays == []
        assert info.value.retry_after == 60.0


def test_throttled_send_is_resent_but_never_after_a_timeout() -> None:
    session = ScriptedSession(
        {ASYNCSEND: sequence({"errcode": 90018}, requests.ReadTimeout("slow"), {"errcode": 0})}
    )
    client, _ = make_client(session)
    with pytest.raises(RequestTimeout):
        client.messages.send_work_notice(messages.text("hi"), userid_list=["u1"])
    assert session.count(ASYNCSEND) == 2
