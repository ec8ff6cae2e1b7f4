"""Every client operation against the sandbox emulator over real HTTP."""

from __future__ import annotations

import pytest
import requests

from dashboard.dingtalk import DingTalkClient, messages

SALES_MIN_MEMBERS = 101
ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def biggest_department(dingtalk: DingTalkClient) -> tuple[int, list[str]]:
    depts = dingtalk.departments.list_departments(1, fetch_child=True)["department"]
    sizes = {d["id"]: dingtalk.users.list_department_member_ids(d["id"])["userIds"] for d in depts}
    dept_id = max(sizes, key=lambda k: len(sizes[k]))
    return dept_id, sizes[dept_id]


def test_gettoken_is_cached(dingtalk: DingTalkClient, sandbox) -> None:
    token = dingtalk.get_access_token()
    assert token and dingtalk.get_access_token() == token
    assert sandbox.stats()["gettoken"] == 1


def test_corp_credentials_work_too(make_dingtalk, sandbox) -> None:
    corp = make_dingtalk(
        app_key=None, app_secret=None, corp_id=sandbox.corp_id, corp_secret=sandbox.corp_secret
    )
    assert corp.app_id == sandbox.corp_id
    assert corp.auth.get_scopes()["errcode"] == 0


def test_departments(dingtalk: DingTalkClient) -> None:
    children = dingtalk.departments.list_sub_department_ids(1)["sub_dept_id_list"]
    assert children
    everything = dingtalk.departments.list_departments(1, fetch_child=True)["department"]
    direct = dingtalk.departments.list_departments(1, fetch_child=False)["department"]
    assert {d["id"] for d in direct} == set(children)
    assert len(everything) > len(direct)
    leaf = next(d for d in everything if d["parentid"] != 1)
    detail = dingtalk.departments.get_department(leaf["id"], lang="zh_CN")
    assert detail["id"] == leaf["id"] and detail["name"] == leaf["name"]
    path = dingtalk.departments.list_parent_ids_by_department(leaf["id"])["parentIds"]
    assert path[0] == leaf["id"] and path[-1] == 1
    member = dingtalk.users.list_department_member_ids(leaf["id"])["userIds"][0]
    paths = dingtalk.departments.list_parent_paths_by_user(member)["department"]
    assert any(p[0] == leaf["id"] and p[-1] == 1 for p in paths)


def test_users(dingtalk: DingTalkClient) -> None:
    active = dingtalk.users.count_org_users(True)["count"]
    everyone = dingtalk.users.count_org_users(False)["count"]
    assert everyone >= 150 and active < everyone
    user = dingtalk.users.get_user("u0001")
    assert user["userid"] == "u0001"
    found = dingtalk.users.get_userid_by_unionid(user["unionid"])
    assert found["userid"] == "u0001"
    page = dingtalk.users.list_department_members_page(1, 0, 10, order="entry_asc")
    assert len(page["userlist"]) <= 10 and "hasMore" in page


def test_iter_department_members_pages_past_100(dingtalk: DingTalkClient, sandbox) -> None:
    dept_id, member_ids = biggest_department(dingtalk)
    assert len(member_ids) >= SALES_MIN_MEMBERS
    before = sandbox.stats()["calls"].get("/user/listbypage", 0)
    users = list(dingtalk.users.iter_department_members(dept_id, size=40))
    assert sorted(u["userid"] for u in users) == sorted(member_ids)
    pages = sandbox.stats()["calls"]["/user/listbypage"] - before
    assert pages == -(-len(member_ids) // 40)


def test_auth_scopes(dingtalk: DingTalkClient) -> None:
    scopes = dingtalk.auth.get_scopes()
    assert scopes["auth_org_scopes"]["authed_dept"] == [1]


def test_chat_lifecycle(dingtalk: DingTalkClient) -> None:
    created = dingtalk.chats.create_chat(
        "项目群", "u0001", ["u0001", "u0002", "u0003"], show_history_type=1
    )
    chatid = created["chatid"]
    info = dingtalk.chats.get_chat(chatid)["chat_info"]
    assert info["name"] == "项目群" and info["owner"] == "u0001"
    assert sorted(info["useridlist"]) == ["u0001", "u0002", "u0003"]
    sent = dingtalk.chats.send_chat_message(chatid, messages.text("大家好"))
    message_id = sent["messageId"]
    assert any(c in message_id for c in "+/=")
    page = dingtalk.chats.get_read_list_page(message_id, 0, 3)
    assert page["errcode"] == 0 and isinstance(page["readUserIdList"], list)
    assert list(dingtalk.chats.iter_read_list(message_id, chatid=chatid)) == []


def test_message_id_reaches_the_server_url_encoded(dingtalk: DingTalkClient, sandbox) -> None:
    """A raw '+' would arrive as a space: the sandbox then does not know the messageId."""
    chatid = dingtalk.chats.create_chat("编码", "u0001", ["u0001", "u0002"])["chatid"]
    message_id = dingtalk.chats.send_chat_message(chatid, messages.text("hi"))["messageId"]
    assert "+" in message_id
    assert dingtalk.chats.get_read_list_page(message_id, 0, 2)["errcode"] == 0
    raw = requests.get(
        f"{sandbox.base_url}/chat/getReadList?messageId={message_id}&cursor=0&size=2",
        params={"access_token": dingtalk.get_access_token()},
        timeout=5,
    ).json()
    assert raw["errcode"] != 0


def test_iter_read_list_follows_cursors(dingtalk: DingTalkClient, sandbox) -> None:
    dept_id, member_ids = biggest_department(dingtalk)
    chatid = dingtalk.departments.get_department(dept_id)["deptGroupChatId"]
    assert len(dingtalk.chats.get_chat(chatid)["chat_info"]["useridlist"]) > 100
    message_id = dingtalk.chats.send_chat_message(chatid, messages.text("周报提醒"))["messageId"]
    sandbox.advance(24 * 3600)
    before = sandbox.stats()["calls"].get("/chat/getReadList", 0)
    readers = list(dingtalk.chats.iter_read_list(message_id, size=30))
    pages = sandbox.stats()["calls"]["/chat/getReadList"] - before
    assert len(readers) == len(set(readers)) > 30
    assert set(readers) <= set(member_ids)
    assert pages >= 2


def test_work_notice_lifecycle(dingtalk: DingTalkClient, sandbox) -> None:
    sent = dingtalk.messages.send_work_notice(
        messages.text("请提交日报"), userid_list=["u0001", "u0002", "ghost"], dept_id_list=[2]
    )
    task_id = sent["task_id"]
    progress = dingtalk.messages.get_send_progress(task_id)["progress"]
    assert progress["status"] in (0, 1, 2)
    sandbox.advance(3600)
    assert dingtalk.messages.get_send_progress(task_id)["progress"] == {
        "progress_in_percent": 100,
        "status": 2,
    }
    result = dingtalk.messages.get_send_result(task_id)["send_result"]
    assert "ghost" in result["invalid_user_id_list"]
    delivered = set(result["read_user_id_list"]) | set(result["unread_user_id_list"])
    assert {"u0001", "u0002"} <= delivered
    assert dingtalk.messages.recall_work_notice(task_id)["errcode"] == 0


OA = messages.oa(
    "https://example.com/oa",
    {"bgcolor": "FFBBBBBB", "text": "头部"},
    {"title": "正文", "form": [{"key": "姓名:", "value": "张三"}], "content": "内容"},
)


@pytest.mark.parametrize(
    "msg",
    [
        messages.text("hi"),
        messages.image("@lADOADmaWMzazQKA"),
        messages.voice("@lAvoice", 10),
        messages.file("@lAfile"),
        messages.link("https://example.com", "@lApic", "标题", "描述"),
        OA,
        messages.markdown("首屏", "# 标题\n正文"),
        messages.action_card("标题", "正文", "查看", "https://example.com"),
        messages.action_card_buttons(
            "审批", "正文", [("同意", "https://a.example"), ("拒绝", "https://b.example")]
        ),
    ],
    ids=["text", "image", "voice", "file", "link", "oa", "markdown", "card", "card-buttons"],
)
def test_every_msg_type_is_accepted(dingtalk: DingTalkClient, msg: dict) -> None:
    assert dingtalk.messages.send_work_notice(msg, userid_list=["u0001"])["task_id"]
    chatid = dingtalk.chats.create_chat("类型测试", "u0001", ["u0001", "u0002"])["chatid"]
    assert dingtalk.chats.send_chat_message(chatid, msg)["messageId"]
