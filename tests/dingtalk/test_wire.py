"""The exact request a strict fake of oapi.dingtalk.com receives, for every operation.

Each request goes through the real ``requests`` preparation (``ScriptedSession``
only replaces ``send``); the assertions are the reference's §1-§7: verb, path,
query (``access_token`` only in the query, no stray parameters), Content-Type
and the JSON body with its field names and types.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from dashboard.dingtalk import DingTalkClient, InvalidMessage, LocalRateLimiter
from dashboard.dingtalk.isv import StaticTicket, SuiteClient, sign

from .fakes import TOKEN, ScriptedSession

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
PROGRESS = "/topapi/message/corpconversation/getsendprogress"
RESULT = "/topapi/message/corpconversation/getsendresult"
RECALL = "/topapi/message/corpconversation/recall"
JSON_CT = "application/json;charset=UTF-8"
TEXT = {"msgtype": "text", "text": {"content": "请提交日报"}}


def make_client(session: ScriptedSession, **kw: Any) -> DingTalkClient:
    return DingTalkClient(
        app_key="wirekey",
        app_secret="wire-secret",
        agent_id=kw.pop("agent_id", "100001"),
        base_url="http://127.0.0.1:9",
        session=session,
        rate_limiter=LocalRateLimiter(rate=10_000),
        sleep=lambda _s: None,
        **kw,
    )


def pairs(request: requests.PreparedRequest) -> list[tuple[str, str]]:
    """The query as (name, value) pairs, duplicates kept."""
    return parse_qsl(urlsplit(request.url).query, keep_blank_values=True)


def last_call(session: ScriptedSession) -> requests.PreparedRequest:
    calls = [r for r in session.sent if urlsplit(r.url).path != "/gettoken"]
    assert len(calls) == 1, [r.url for r in calls]
    return calls[0]


GETS: list[tuple[str, Callable[[DingTalkClient], Any], str, dict[str, str]]] = [
    ("list_ids", lambda c: c.departments.list_sub_department_ids(5), "/department/list_ids",
     {"id": "5"}),
    ("list", lambda c: c.departments.list_departments(2, lang="en_US", fetch_child=True),
     "/department/list", {"id": "2", "lang": "en_US", "fetch_child": "true"}),
    ("list default", lambda c: c.departments.list_departments(), "/department/list",
     {"id": "1"}),
    ("department get", lambda c: c.departments.get_department(3, lang="zh_CN"),
     "/department/get", {"id": "3", "lang": "zh_CN"}),
    ("parents by dept", lambda c: c.departments.list_parent_ids_by_department(7),
     "/department/list_parent_depts_by_dept", {"id": "7"}),
    ("parents by user", lambda c: c.departments.list_parent_paths_by_user("u0001"),
     "/department/list_parent_depts", {"userId": "u0001"}),
    ("count active", lambda c: c.users.count_org_users(True), "/user/get_org_user_count",
     {"onlyActive": "1"}),
    ("count all", lambda c: c.users.count_org_users(False), "/user/get_org_user_count",
     {"onlyActive": "0"}),
    ("count '0'", lambda c: c.users.count_org_users("0"), "/user/get_org_user_count",
     {"onlyActive": "0"}),
    ("count 'true'", lambda c: c.users.count_org_users("true"), "/user/get_org_user_count",
     {"onlyActive": "1"}),
    ("user get", lambda c: c.users.get_user("张三01", lang="en_US"), "/user/get",
     {"userid": "张三01", "lang": "en_US"}),
    ("dept member", lambda c: c.users.list_department_member_ids(4), "/user/getDeptMember",
     {"deptId": "4"}),
    ("listbypage", lambda c: c.users.list_department_members_page(1, 0, 100),
     "/user/listbypage", {"department_id": "1", "offset": "0", "size": "100"}),
    ("listbypage all",
     lambda c: c.users.list_department_members_page(2, 200, 50, order="entry_desc",
                                                    lang="en_US"),
     "/user/listbypage",
     {"department_id": "2", "offset": "200", "size": "50", "order": "entry_desc",
      "lang": "en_US"}),
    ("unionid", lambda c: c.users.get_userid_by_unionid("PiiiPyQq+Bx=="),
     "/user/getUseridByUnionid", {"unionid": "PiiiPyQq+Bx=="}),
    ("scopes", lambda c: c.auth.get_scopes(), "/auth/scopes", {}),
    ("chat get", lambda c: c.chats.get_chat("chat2b8a"), "/chat/get", {"chatid": "chat2b8a"}),
    ("read list", lambda c: c.chats.get_read_list_page("abcd1234+/==", 0, 20),
     "/chat/getReadList", {"messageId": "abcd1234+/==", "cursor": "0", "size": "20"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "path", "params"), GETS, ids=[g[0] for g in GETS])
def test_classic_get_request(name, call, path, params) -> None:
    session = ScriptedSession()
    call(make_client(session))
    request = last_call(session)
    assert request.method == "GET"
    assert urlsplit(request.url).path == path
    assert sorted(pairs(request)) == sorted([*params.items(), ("access_token", TOKEN)])
    assert request.body is None
    assert "Content-Type" not in request.headers


POSTS: list[tuple[str, Callable[[DingTalkClient], Any], str, dict[str, Any]]] = [
    ("asyncsend users",
     lambda c: c.messages.send_work_notice(TEXT, userid_list=["u0001", " u0002"]),
     ASYNCSEND,
     {"agent_id": 100001, "msg": TEXT, "userid_list": "u0001,u0002", "to_all_user": False}),
    ("asyncsend depts", lambda c: c.messages.send_work_notice(TEXT, dept_id_list=[2, "3"]),
     ASYNCSEND,
     {"agent_id": 100001, "msg": TEXT, "dept_id_list": "2,3", "to_all_user": False}),
    ("asyncsend all", lambda c: c.messages.send_work_notice(TEXT, to_all_user=True),
     ASYNCSEND, {"agent_id": 100001, "msg": TEXT, "to_all_user": True}),
    ("progress", lambda c: c.messages.get_send_progress(256271667526), PROGRESS,
     {"agent_id": 100001, "task_id": 256271667526}),
    ("progress str", lambda c: c.messages.get_send_progress("256271667526"), PROGRESS,
     {"agent_id": 100001, "task_id": 256271667526}),
    ("result", lambda c: c.messages.get_send_result("42"), RESULT,
     {"agent_id": 100001, "task_id": 42}),
    ("recall", lambda c: c.messages.recall_work_notice("42"), RECALL,
     {"agent_id": 100001, "msg_task_id": 42}),
    ("chat create",
     lambda c: c.chats.create_chat("项目群", "u1", ["u1", "u2"], showHistoryType=True,
                                   searchable="1", validation_type=0, chatBannedType=False),
     "/chat/create",
     {"name": "项目群", "owner": "u1", "useridlist": ["u1", "u2"], "showHistoryType": 1,
      "searchable": 1, "validationType": 0, "chatBannedType": 0}),
    ("chat send", lambda c: c.chats.send_chat_message("chat2b8a", TEXT), "/chat/send",
     {"chatid": "chat2b8a", "msg": TEXT}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "call", "path", "expected"), POSTS, ids=[p[0] for p in POSTS])
def test_post_request(name, call, path, expected) -> None:
    session = ScriptedSession()
    call(make_client(session))
    request = last_call(session)
    assert request.method == "POST"
    assert urlsplit(request.url).path == path
    assert pairs(request) == [("access_token", TOKEN)]
    assert request.headers["Content-Type"] == JSON_CT
    sent = json.loads(request.body)
    assert sent == expected
    assert "access_token" not in sent
    # types as DingTalk reads them: agent_id/task ids int64, id lists comma strings
    for key in ("agent_id", "task_id", "msg_task_id"):
        if key in sent:
            assert type(sent[key]) is int
    for key in ("userid_list", "dept_id_list"):
        if key in sent:
            assert isinstance(sent[key], str)


PREPARED: list[tuple[str, Callable[[DingTalkClient], Any], Callable[[DingTalkClient], Any]]] = [
    ("asyncsend",
     lambda c: c.messages.work_notice_request(TEXT, userid_list="u1, u2", dept_id_list=[3]),
     lambda c: c.messages.send_work_notice(TEXT, userid_list="u1, u2", dept_id_list=[3])),
    ("asyncsend all", lambda c: c.messages.work_notice_request(TEXT, to_all_user=True),
     lambda c: c.messages.send_work_notice(TEXT, to_all_user=True)),
    ("chat send", lambda c: c.chats.chat_message_request("chat2b8a", VOICE),
     lambda c: c.chats.send_chat_message("chat2b8a", VOICE)),
]  # fmt: skip
VOICE = {"msgtype": "voice", "voice": {"media_id": "@lA", "duration": 10}}


@pytest.mark.parametrize(("name", "prepare", "send"), PREPARED, ids=[p[0] for p in PREPARED])
def test_the_prepared_request_is_what_is_sent(name, prepare, send) -> None:
    """A preview shows ``*_request``; the send must put exactly that on the wire."""
    session = ScriptedSession()
    client = make_client(session)
    prepared = prepare(client)
    send(client)
    request = last_call(session)
    assert (request.method, urlsplit(request.url).path) == (prepared.method, prepared.path)
    assert (
        request.body
        == json.dumps(prepared.body, ensure_ascii=False, separators=(",", ":")).encode()
    )


def test_a_work_notice_can_be_prepared_without_a_client() -> None:
    """The console previews before any credentials exist: the body needs only an agent id."""
    from dashboard.dingtalk.api.work_notices import work_notice_request

    session = ScriptedSession()
    make_client(session, agent_id=7).messages.send_work_notice(TEXT, userid_list=["u1"])
    prepared = work_notice_request(TEXT, agent_id=7, userid_list=["u1"])
    assert json.loads(last_call(session).body) == prepared.body


def test_gettoken_request() -> None:
    session = ScriptedSession()
    make_client(session).get_access_token()
    (request,) = session.sent
    assert request.method == "GET"
    assert urlsplit(request.url).path == "/gettoken"
    assert sorted(pairs(request)) == [("appkey", "wirekey"), ("appsecret", "wire-secret")]
    assert request.body is None


def test_post_body_is_compact_utf8_json() -> None:
    session = ScriptedSession()
    make_client(session).messages.send_work_notice(TEXT, userid_list=["u1"])
    raw = last_call(session).body
    assert isinstance(raw, bytes)
    assert "请提交日报".encode() in raw and b"\\u" not in raw and b", " not in raw


def test_message_id_is_encoded_exactly_once() -> None:
    session = ScriptedSession()
    make_client(session).chats.get_read_list_page("ab+/c==", 5, 10)
    raw = urlsplit(last_call(session).url).query
    assert "messageId=ab%2B%2Fc%3D%3D" in raw and "%25" not in raw


def test_numbers_in_msg_are_strings_on_the_wire() -> None:
    session = ScriptedSession()
    client = make_client(session)
    voice = {"msgtype": "voice", "voice": {"media_id": "@lA", "duration": 10}}
    client.messages.send_work_notice(voice, userid_list=["u1"])
    assert json.loads(session.sent[-1].body)["msg"]["voice"]["duration"] == "10"
    card = {
        "msgtype": "action_card",
        "action_card": {
            "title": "t",
            "markdown": "md",
            "btn_orientation": 1,
            "btn_json_list": [{"title": "同意", "action_url": "https://a"}],
        },
    }
    client.chats.send_chat_message("chat1", card)
    assert json.loads(session.sent[-1].body)["msg"]["action_card"]["btn_orientation"] == "1"
    assert voice["voice"]["duration"] == 10  # the caller's object is left alone


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.messages.get_send_progress("abc"),
        lambda c: c.messages.get_send_result(True),
        lambda c: c.messages.recall_work_notice(None),
        lambda c: c.chats.create_chat("g", "u1", ["u1"], searchable="yes"),
        lambda c: c.users.count_org_users("maybe"),
    ],
)
def test_values_dingtalk_would_reject_are_refused_locally(call) -> None:
    session = ScriptedSession()
    with pytest.raises(InvalidMessage):
        call(make_client(session))
    assert session.sent == []


def test_parent_paths_given_as_a_string_are_decoded() -> None:
    reply = {"errcode": 0, "errmsg": "ok", "department": "[[456,123,1],[789,1]]"}
    session = ScriptedSession({"/department/list_parent_depts": reply})
    paths = make_client(session).departments.list_parent_paths_by_user("u1")["department"]
    assert paths == [[456, 123, 1], [789, 1]]
    session.routes["/department/list_parent_depts"] = {**reply, "department": [[2, 1]]}
    assert make_client(session).departments.list_parent_paths_by_user("u1")["department"] == [
        [2, 1]
    ]


def test_isv_signed_post_as_prepared_by_requests() -> None:
    session = ScriptedSession(
        {"/service/get_corp_token": {"errcode": 0, "access_token": "ct", "expires_in": 7200}}
    )
    suite = SuiteClient(
        "suitekey",
        "suite-secret",
        StaticTicket("TestSuiteTicket"),
        base_url="http://127.0.0.1:9",
        session=session,
        clock=lambda: 1445827045.067,
    )
    suite.get_corp_token("dingcorp")
    (request,) = session.sent
    assert request.method == "POST"
    assert urlsplit(request.url).path == "/service/get_corp_token"
    assert pairs(request) == [
        ("accessKey", "suitekey"),
        ("timestamp", "1445827045067"),
        ("suiteTicket", "TestSuiteTicket"),
        ("signature", sign("suite-secret", 1445827045067, "TestSuiteTicket")),
    ]
    assert request.headers["Content-Type"] == JSON_CT
    assert json.loads(request.body) == {"auth_corpid": "dingcorp"}
