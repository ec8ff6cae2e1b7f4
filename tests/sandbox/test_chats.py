"""Group chats: create, get, send, read lists with cursor paging (§6)."""

from __future__ import annotations

import pytest

from dashboard.sandbox.state import department_chat_id

SALES_CHAT = department_chat_id(5)  # 销售部's own group: 105 members


def create(oapi, **fields):
    body = {"name": "项目群", "owner": "u0001", "useridlist": ["u0001", "u0002", "u0003"]}
    body.update(fields)
    return oapi.post("/chat/create", body)


def send(oapi, chatid, text="hi"):
    body = oapi.post(
        "/chat/send", {"chatid": chatid, "msg": {"msgtype": "text", "text": {"content": text}}}
    )
    assert body["errcode"] == 0, body
    return body["messageId"]


def read_list(oapi, message_id, cursor=0, size=100):
    return oapi.get("/chat/getReadList", messageId=message_id, cursor=cursor, size=size)


def test_create_returns_ids(oapi):
    body = create(oapi)
    assert body["errcode"] == 0
    assert body["chatid"].startswith("chat")
    assert body["openConversationId"].startswith("cid")
    assert body["conversationTag"] == 2
    assert "request_id" not in body


def test_get_returns_chat_info(oapi):
    chatid = create(oapi, searchable=1)["chatid"]
    info = oapi.get("/chat/get", chatid=chatid)["chat_info"]
    assert info["name"] == "项目群"
    assert info["owner"] == "u0001"
    assert info["useridlist"] == ["u0001", "u0002", "u0003"]
    assert info["searchable"] == 1
    assert info["validationType"] == 0
    assert info["status"] == 1


def test_dissolved_chat_reports_status_2(oapi, sandbox):
    chatid = create(oapi)["chatid"]
    sandbox.dissolve_chat(chatid)
    assert oapi.get("/chat/get", chatid=chatid)["chat_info"]["status"] == 2
    body = oapi.post(
        "/chat/send", {"chatid": chatid, "msg": {"msgtype": "text", "text": {"content": "x"}}}
    )
    assert body["errcode"] == 40035


@pytest.mark.parametrize(
    ("fields", "errcode"),
    [
        ({"name": ""}, 40035),
        ({"name": "一" * 21}, 40035),
        ({"owner": "u0009"}, 49006),
        ({"useridlist": [f"u{i:04d}" for i in range(1, 42)]}, 49005),
        ({"useridlist": ["u0001", "ghost"]}, 40003),
        ({"useridlist": []}, 40035),
        ({"searchable": 3}, 40035),
    ],
)
def test_create_limits(oapi, fields, errcode):
    assert create(oapi, **fields)["errcode"] == errcode


def test_create_accepts_20_chars_and_40_members(oapi):
    members = [f"u{i:04d}" for i in range(1, 41)]
    assert create(oapi, name="一" * 20, useridlist=members)["errcode"] == 0


def test_create_limits_are_knobs(oapi, sandbox):
    sandbox.set_knobs(chat_create_members_max=2)
    assert create(oapi)["errcode"] == 49005


def test_unknown_chat(oapi):
    assert oapi.get("/chat/get", chatid="chatnope")["errcode"] == 60121
    assert oapi.get("/chat/get")["errcode"] == 40035


def test_send_returns_message_id_with_url_special_characters(oapi):
    message_id = send(oapi, create(oapi)["chatid"])
    assert "+" in message_id and "/" in message_id and "=" in message_id


def test_send_legacy_top_level_msgtype_form(oapi):
    chatid = create(oapi)["chatid"]
    body = oapi.post(
        "/chat/send", {"chatid": chatid, "msgtype": "text", "text": {"content": "旧格式"}}
    )
    assert body["errcode"] == 0
    assert body["messageId"]


def test_send_validates_msg(oapi):
    chatid = create(oapi)["chatid"]
    assert oapi.post("/chat/send", {"chatid": chatid})["errcode"] == 40035
    bad = {"chatid": chatid, "msg": {"msgtype": "text"}}
    assert oapi.post("/chat/send", bad)["errcode"] == 40035
    long = {"chatid": chatid, "msg": {"msgtype": "text", "text": {"content": "x" * 2100}}}
    assert oapi.post("/chat/send", long)["errcode"] == 45002
    assert (
        oapi.post(
            "/chat/send", {"chatid": "chatnope", "msgtype": "text", "text": {"content": "x"}}
        )["errcode"]
        == 60121
    )


def test_message_id_must_be_url_encoded(oapi):
    message_id = send(oapi, create(oapi)["chatid"])
    assert read_list(oapi, message_id, size=3)["errcode"] == 0  # requests encodes the query
    raw = oapi.session.get(
        f"{oapi.base_url}/chat/getReadList?access_token={oapi.token}&messageId={message_id}&cursor=0&size=3",
        timeout=10,
    ).json()
    assert raw["errcode"] == 40035  # '+' arrives as a space without encoding


def test_read_list_grows_over_time(oapi, sandbox):
    message_id = send(oapi, create(oapi)["chatid"])
    assert read_list(oapi, message_id, size=3) == {
        "errcode": 0,
        "errmsg": "ok",
        "readUserIdList": [],
    }
    sandbox.advance(3600)
    body = read_list(oapi, message_id, size=3)
    assert 0 < len(body["readUserIdList"]) <= 3
    assert "next_cursor" not in body


def test_read_list_size_limits(oapi):
    message_id = send(oapi, create(oapi)["chatid"])
    assert read_list(oapi, message_id, size=4)["errcode"] == 40035  # more than the 3 members
    assert read_list(oapi, message_id, size=0)["errcode"] == 40035
    assert read_list(oapi, message_id, cursor=-1, size=3)["errcode"] == 40035
    assert read_list(oapi, "unknown+id==", size=3)["errcode"] == 40035
    sales_message = send(oapi, SALES_CHAT)
    assert read_list(oapi, sales_message, size=101)["errcode"] == 40035


def test_read_list_pages_a_chat_of_more_than_100(oapi, sandbox):
    info = oapi.get("/chat/get", chatid=SALES_CHAT)["chat_info"]
    assert len(info["useridlist"]) == 105
    message_id = send(oapi, SALES_CHAT, "季度冲刺")
    sandbox.advance(3600)
    readers, cursor, pages = [], 0, 0
    while True:
        body = read_list(oapi, message_id, cursor=cursor, size=40)
        assert body["errcode"] == 0
        readers += body["readUserIdList"]
        pages += 1
        if "next_cursor" not in body:
            break
        assert body["next_cursor"] > cursor
        cursor = body["next_cursor"]
    assert 60 < len(readers) < 105  # chat_read_ratio 0.9
    assert len(set(readers)) == len(readers)
    assert pages == (len(readers) + 39) // 40
    assert read_list(oapi, message_id, cursor=0, size=50)["next_cursor"] == 50
    last = read_list(oapi, message_id, cursor=50, size=100)
    assert "next_cursor" not in last
    assert readers[50:] == last["readUserIdList"]


def test_stuck_cursor_knob_returns_the_same_cursor(oapi, sandbox):
    message_id = send(oapi, SALES_CHAT)
    sandbox.advance(3600)
    sandbox.set_read_list_stuck(True)
    body = read_list(oapi, message_id, cursor=0, size=10)
    assert body["next_cursor"] == 0
    body = read_list(oapi, message_id, cursor=10, size=10)
    assert body["next_cursor"] == 10
    sandbox.set_read_list_stuck(False)
    assert read_list(oapi, message_id, cursor=0, size=10)["next_cursor"] == 10


def test_department_chat_is_linked_from_department_get(oapi):
    assert oapi.get("/department/get", id=5)["deptGroupChatId"] == SALES_CHAT
    assert oapi.get("/department/get", id=11)["deptGroupChatId"] == ""


def test_create_needs_useridlist_as_a_json_array(oapi, sandbox):
    """§6.1 types useridlist as str[]; a comma-separated string is refused unless the knob says."""
    assert create(oapi, useridlist="u0001,u0002")["errcode"] == 40035
    sandbox.set_knobs(loose_id_lists=True)
    assert create(oapi, useridlist="u0001,u0002")["errcode"] == 0
