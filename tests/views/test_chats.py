"""Group chats: create (rules checked before any DingTalk call), remember, open, send, read lists."""

from __future__ import annotations

import math

import pytest

from dashboard.chats import service
from dashboard.chats.models import Chat, ChatMessage
from dashboard.extensions import db
from dashboard.sandbox.state import department_chat_id

TWELVE = [f"u{n:04d}" for n in range(1, 13)]
SETTINGS_OFF = {
    "showHistoryType": "0",
    "searchable": "0",
    "validationType": "0",
    "mentionAllAuthority": "0",
    "managementType": "0",
    "chatBannedType": "0",
}


def chat_calls(sandbox, path: str) -> int:
    return sandbox.stats()["calls"].get(path, 0)


def create_form(**overrides):
    data = {"name": "项目群", "owner": "u0001", "useridlist": ", ".join(TWELVE), **SETTINGS_OFF}
    data.update(overrides)
    return data


def create(client, **overrides):
    return client.post("/chats/new", data=create_form(**overrides))


def only_chat() -> Chat:
    return db.session.execute(db.select(Chat)).scalar_one()


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


@pytest.fixture
def chat(signed_in) -> Chat:
    response = create(signed_in)
    assert response.status_code == 302
    return only_chat()


def send_text(client, chatid: str, text: str = "今天 15:00 开会", **options):
    return client.post(f"/chats/{chatid}", data={"msgtype": "text", "msg": text}, **options)


def sent_page(client, chatid: str, text: str = "今天 15:00 开会") -> str:
    """The chat page the admin lands on after sending (the queue delivered it meanwhile)."""
    response = send_text(client, chatid, text, follow_redirects=True)
    assert response.status_code == 200 and len(response.history) == 1
    return response.get_data(as_text=True)


# --- sign-in -------------------------------------------------------------------------


def test_chat_pages_require_sign_in(client):
    for url in ("/chats/", "/chats/new", "/chats/chatabc"):
        assert client.get(url).status_code == 302


# --- create: every rule answered in the form, no DingTalk call ------------------------


def test_new_chat_form_offers_members_picker_and_plain_settings(signed_in):
    page = signed_in.get("/chats/new").get_data(as_text=True)
    assert 'name="useridlist"' in page and 'data-picker="users"' in page
    assert "js/picker." in page
    for setting in SETTINGS_OFF:
        assert f'name="{setting}"' in page
    assert "可见：新成员可查看最近 100 条消息" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "请输入群名称。"),
        ({"name": "   "}, "请输入群名称。"),
        ({"name": "一" * 21}, "群名称须为 1 到 20 个字符，当前为 21 个。"),
        ({"owner": ""}, "请输入群主的 userid。"),
        ({"useridlist": ""}, "请至少输入一名群成员。"),
        ({"useridlist": " ,\n "}, "请至少输入一名群成员。"),
        ({"owner": "u0099"}, "群主必须为群成员"),
        ({"useridlist": ", ".join(f"u{n:04d}" for n in range(1, 42))}, "创建群时最多 40 名成员"),
        ({"useridlist": "u0001, " + "x" * 65}, "有 userid 超过 64 个字符。"),
    ],
)
def test_invalid_chat_is_answered_in_the_form_without_calling_dingtalk(
    signed_in, sandbox, overrides, message
):
    response = create(signed_in, **overrides)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert sandbox.stats()["total"] == 0
    assert db.session.execute(db.select(Chat)).first() is None


def test_a_name_of_twenty_characters_is_counted_in_characters_and_trimmed(signed_in, app):
    name = "研发部紧急故障处理群" * 2  # 20 characters, 60 UTF-8 bytes
    assert create(signed_in, name=f"  {name}\u3000 ").status_code == 302
    chat = only_chat()
    assert chat.name == name
    with app.test_request_context():
        assert service.get_chat_info(chat.chatid)["name"] == name


def test_owner_must_match_a_member_exactly_not_as_a_substring(signed_in, sandbox):
    response = create(signed_in, owner="u1", useridlist="u10, u11, u100")
    page = response.get_data(as_text=True)
    assert "群主必须为群成员" in page
    assert sandbox.stats()["total"] == 0


def test_owner_rule_in_english(signed_in, sandbox):
    signed_in.post("/lang/en")
    response = create(signed_in, owner="u1", useridlist="u10")
    assert "The owner must be a member of the chat." in response.get_data(as_text=True)
    assert sandbox.stats()["total"] == 0


def test_service_raises_validation_error_with_the_original_message(app, sandbox):
    with app.test_request_context(), pytest.raises(service.ValidationError) as info:
        service.create_chat(
            name="群", owner="u1", useridlist=["u10"], settings={}, created_by="api"
        )
    assert info.value.field == "owner"
    assert str(info.value) == "群主必须为群成员"
    assert sandbox.stats()["total"] == 0


def test_service_rejects_unknown_and_out_of_range_settings(app, sandbox):
    with app.test_request_context():
        for settings in ({"icon": 1}, {"searchable": 2}, {"chatBannedType": "yes"}):
            with pytest.raises(service.ValidationError):
                service.create_chat(
                    name="群",
                    owner="u0001",
                    useridlist="u0001",
                    settings=settings,
                    created_by="api",
                )
    assert sandbox.stats()["total"] == 0


def test_duplicates_are_removed_before_the_40_member_cap(signed_in, sandbox, app):
    forty = [f"u{n:04d}" for n in range(1, 41)]
    response = create(signed_in, useridlist="\n".join(forty + forty[:5]))
    assert response.status_code == 302
    chat = only_chat()
    assert chat.members == forty
    with app.test_request_context():
        assert service.get_chat_info(chat.chatid)["useridlist"] == forty


# --- create: remembered, listed, opened ----------------------------------------------


def test_created_chat_is_remembered_with_creator_settings_and_conversation_id(signed_in, sandbox):
    response = create(
        signed_in,
        name="发布应急群",
        useridlist="u0001，u0002、u0003\nu0004",
        owner="u0002",
        searchable="1",
        chatBannedType="1",
    )
    chat = only_chat()
    assert response.headers["Location"].endswith(f"/chats/{chat.chatid}")
    assert chat.name == "发布应急群"
    assert chat.owner == "u0002"
    assert chat.members == ["u0001", "u0002", "u0003", "u0004"]
    assert chat.settings == {**{k: 0 for k in SETTINGS_OFF}, "searchable": 1, "chatBannedType": 1}
    assert chat.created_by == "admin"
    assert chat.open_conversation_id.startswith("cid")
    assert chat_calls(sandbox, "/chat/create") == 1

    listing = signed_in.get("/chats/").get_data(as_text=True)
    assert "发布应急群" in listing and chat.chatid in listing

    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "发布应急群" in page
    assert "正常" in page
    assert "开启：仅群主和管理员可发言" in page
    assert "是：企业成员可按群名称搜索到该群" in page
    for userid in chat.members:
        assert userid in page


def test_chat_page_shows_member_names_from_the_directory_snapshot(app, chat, signed_in):
    from dashboard.directory.snapshot import refresh_snapshot

    with app.test_request_context():
        refresh_snapshot()
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "余艳芬 (u0001)" in page
    assert "孙英健 (u0002)" in page


def test_chat_page_costs_one_chat_get(chat, signed_in, sandbox):
    before = sandbox.stats()["calls"]
    signed_in.get(f"/chats/{chat.chatid}")
    after = sandbox.stats()["calls"]
    assert after.get("/chat/get", 0) - before.get("/chat/get", 0) == 1
    assert sum(after.values()) - sum(before.values()) == 1


def test_a_chat_created_elsewhere_opens_by_chatid(signed_in):
    chatid = department_chat_id(1)
    response = signed_in.get("/chats/open", query_string={"chatid": f" {chatid} "})
    assert response.headers["Location"].endswith(f"/chats/{chatid}")
    page = signed_in.get(f"/chats/{chatid}").get_data(as_text=True)
    assert "杭州云帆科技有限公司" in page
    assert "群成员（150）" in page


def test_open_chat_rejects_a_malformed_chatid(signed_in, sandbox):
    response = signed_in.get("/chats/open", query_string={"chatid": "chat/../x"})
    assert response.status_code == 400
    assert "chatid 只能包含字母、数字和 - _ . = +" in response.get_data(as_text=True)
    assert sandbox.stats()["total"] == 0


@pytest.mark.parametrize("chatid", ["c" * 65, "chat id", "chat<script>", "群聊"])
def test_a_malformed_chatid_in_the_url_is_a_404_without_dingtalk_or_a_record(
    chat, signed_in, sandbox, chatid
):
    message_pk = db.session.execute(db.select(ChatMessage.id)).scalar()
    before = sandbox.stats()["total"]
    for response in (
        signed_in.get(f"/chats/{chatid}"),
        send_text(signed_in, chatid),
        signed_in.post(f"/chats/{chatid}/preview", data={"msgtype": "text", "msg": "hi"}),
        signed_in.get(f"/chats/{chatid}/messages/{message_pk or 1}"),
    ):
        assert response.status_code == 404
        assert "chatid 只能包含字母、数字和 - _ . = +" in response.get_data(as_text=True)
        assert "<script>" not in response.get_data(as_text=True)
    assert sandbox.stats()["total"] == before
    assert db.session.execute(db.select(ChatMessage)).scalars().all() == []


def test_unknown_chat_is_explained(signed_in):
    response = signed_in.get("/chats/chatdoesnotexist")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "钉钉无法显示该群。" in page
    assert "钉钉找不到该群。只有通过服务端接口创建的群才能打开。" in page
    assert 'id="chat-send"' not in page  # no form for sending into a chat that does not exist


# --- create: DingTalk refusals are explained and recorded ------------------------------


def test_unknown_userid_is_explained_and_recorded(signed_in, sandbox):
    response = create(signed_in, useridlist="u0001, nobody42", owner="u0001")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "钉钉未能创建该群。" in page
    assert "钉钉找不到其中一个 userid" in page
    failed = only_chat()
    assert failed.chatid is None
    assert failed.errcode == 40003 and "nobody42" in failed.errmsg
    assert failed.reason == "unknown_user"
    listing = signed_in.get("/chats/").get_data(as_text=True)
    assert "失败" in listing and "40003" in listing


def test_throttled_create_is_explained_and_recorded(signed_in, sandbox):
    sandbox.inject("throttle", count=10, path="/chat/create")
    page = create(signed_in).get_data(as_text=True)
    assert "钉钉当前正在限流，请等一分钟后重试。" in page
    failed = only_chat()
    assert failed.errcode == 90018 and failed.reason == "throttled"


# --- send ----------------------------------------------------------------------------


def test_text_message_is_sent_recorded_and_listed(chat, signed_in, sandbox):
    response = send_text(signed_in, chat.chatid)
    assert response.status_code == 302
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert message.chatid == chat.chatid
    assert message.msg == {"msgtype": "text", "text": {"content": "今天 15:00 开会"}}
    assert message.sender == "admin"
    assert set("+/=") & set(message.message_id)
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "今天 15:00 开会" in page
    assert f"/chats/{chat.chatid}/messages/{message.id}" in page


def test_every_composer_type_can_be_sent(chat, signed_in, sandbox):
    forms = [
        {"msgtype": "markdown", "markdown_title": "周报", "markdown_text": "# 周报\n- 完成"},
        {
            "msgtype": "link",
            "link_message_url": "https://example.com/a",
            "link_pic_url": "@lADOpic",
            "link_title": "公告",
            "link_text": "请阅读",
        },
        {
            "msgtype": "action_card",
            "card_title": "审批",
            "card_markdown": "请审批",
            "card_style": "single",
            "card_single_title": "查看",
            "card_single_url": "https://example.com/x",
        },
        {
            "msgtype": "oa",
            "oa_message_url": "https://example.com/oa",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "通知",
            "oa_title": "OA 标题",
        },
        {"msgtype": "image", "media_id": "@lADOimage"},
        {"msgtype": "file", "media_id": "@lADOfile"},
        {"msgtype": "voice", "media_id": "@lADOvoice", "voice_duration": "10"},
    ]
    for data in forms:
        assert signed_in.post(f"/chats/{chat.chatid}", data=data).status_code == 302, data
    sent = db.session.execute(db.select(ChatMessage)).scalars().all()
    assert [m.msgtype for m in sent] == [d["msgtype"] for d in forms]
    assert all(m.ok for m in sent)
    assert chat_calls(sandbox, "/chat/send") == len(forms)


def test_messages_are_listed_newest_first(chat, signed_in):
    send_text(signed_in, chat.chatid, "第一条")
    send_text(signed_in, chat.chatid, "第二条")
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert page.index("第二条") < page.index("第一条")


def test_invalid_message_is_answered_in_the_form_without_calling_dingtalk(chat, signed_in, sandbox):
    before = chat_calls(sandbox, "/chat/send")
    response = signed_in.post(f"/chats/{chat.chatid}", data={"msgtype": "text", "msg": ""})
    assert response.status_code == 200
    assert chat_calls(sandbox, "/chat/send") == before
    assert db.session.execute(db.select(ChatMessage)).first() is None


def test_vendor_and_admin_text_is_escaped(chat, signed_in):
    send_text(signed_in, chat.chatid, "<script>alert(1)</script>")
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_sending_into_a_dissolved_chat_is_explained_and_recorded(chat, signed_in, sandbox):
    sandbox.dissolve_chat(chat.chatid)
    page = sent_page(signed_in, chat.chatid)
    assert "钉钉未能发送该消息。" in page
    assert "该群已解散，无法再向其中发送消息。" in page
    assert "已解散" in page
    failed = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert failed.message_id is None
    assert failed.errcode == 40035 and failed.reason == "dissolved"
    listing = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "失败" in listing and "该群已解散" in listing


def test_throttled_send_is_explained(chat, signed_in, sandbox):
    sandbox.inject("throttle", count=10, path="/chat/send")
    page = sent_page(signed_in, chat.chatid)
    assert "钉钉当前正在限流，请等一分钟后重试。" in page
    failed = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert failed.reason == "throttled"


def test_owner_who_left_is_explained(chat, signed_in, sandbox):
    sandbox.inject("errcode", count=1, path="/chat/send", errcode=49003, errmsg="操作者必须为群主")
    page = sent_page(signed_in, chat.chatid)
    assert "群主已退出该群，钉钉拒绝了该请求。" in page


def test_preview_shows_the_chat_send_request_without_the_token(chat, signed_in, sandbox):
    reply = signed_in.post(
        f"/chats/{chat.chatid}/preview",
        data={"msgtype": "markdown", "markdown_title": "周报", "markdown_text": "**加粗**"},
    ).get_json()
    assert reply["msg"] == {
        "msgtype": "markdown",
        "markdown": {"title": "周报", "text": "**加粗**"},
    }
    assert reply["requests"][0]["line"].startswith("POST ")
    assert reply["requests"][0]["line"].endswith("/chat/send?access_token=***")
    assert reply["requests"][0]["body"] == {"chatid": chat.chatid, "msg": reply["msg"]}
    assert chat_calls(sandbox, "/chat/send") == 0


def test_pages_never_show_the_app_secret_or_token(chat, signed_in, sandbox, app):
    send_text(signed_in, chat.chatid)
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    with app.test_request_context():
        from dashboard.services.dingtalk import get_client

        token = get_client().get_access_token()
    for url in ("/chats/", f"/chats/{chat.chatid}", f"/chats/{chat.chatid}/messages/{message.id}"):
        page = signed_in.get(url).get_data(as_text=True)
        assert sandbox.app_secret not in page
        assert token not in page


# --- read lists ----------------------------------------------------------------------


def read_page(client, chatid: str, message_id: int) -> str:
    response = client.get(f"/chats/{chatid}/messages/{message_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_read_list_shows_readers_and_the_rest_with_counts(chat, signed_in, sandbox, app):
    send_text(signed_in, chat.chatid)
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert "还没有人阅读。" in read_page(signed_in, chat.chatid, message.id)

    sandbox.set_knobs(chat_read_ratio=0.5)  # about half of the 12 read: both lists have people
    sandbox.advance(3600)
    with app.test_request_context():
        status = service.read_status(message)
    assert status["members"] == TWELVE
    assert status["read"] and status["unread"]
    assert sorted(status["read"] + status["unread"]) == TWELVE
    page = read_page(signed_in, chat.chatid, message.id)
    assert f"已读（{len(status['read'])} / 12）" in page
    assert f"未读（{len(status['unread'])} / 12）" in page


def test_read_list_follows_every_cursor_page(chat, signed_in, sandbox, app):
    send_text(signed_in, chat.chatid)
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    sandbox.advance(3600)
    with app.test_request_context():
        everyone = service.read_status(message)["read"]
        before = chat_calls(sandbox, "/chat/getReadList")
        paged = service.read_status(message, size=5)
    pages = chat_calls(sandbox, "/chat/getReadList") - before
    assert sorted(paged["read"]) == sorted(everyone)
    assert len(everyone) > 5
    assert pages == math.ceil(len(everyone) / 5)


def test_read_list_of_a_large_chat_spans_pages_of_100(signed_in, sandbox):
    chatid = department_chat_id(1)
    send_text(signed_in, chatid, "全员通知")
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    sandbox.advance(3600)
    before = sandbox.stats()["calls"]
    page = read_page(signed_in, chatid, message.id)
    after = sandbox.stats()["calls"]
    pages = after["/chat/getReadList"] - before.get("/chat/getReadList", 0)
    assert after["/chat/get"] - before.get("/chat/get", 0) == 1
    assert pages == 2
    assert "/ 150）" in page
    read = int(page.split("已读（")[1].split(" /")[0])
    assert 100 < read < 150


def test_a_stuck_cursor_stops_with_a_clear_message(chat, signed_in, sandbox):
    send_text(signed_in, chat.chatid)
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    sandbox.advance(3600)
    sandbox.set_read_list_stuck(True)
    page = read_page(signed_in, chat.chatid, message.id)
    assert "无法加载已读列表。" in page
    assert "钉钉反复返回同一页已读列表，为避免无限循环已停止读取。" in page
    assert chat_calls(sandbox, "/chat/getReadList") == 1


def test_read_list_of_another_chats_message_is_not_found(chat, signed_in):
    send_text(signed_in, chat.chatid)
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert signed_in.get(f"/chats/chatother/messages/{message.id}").status_code == 404
    assert signed_in.get(f"/chats/{chat.chatid}/messages/999").status_code == 404


def test_a_send_refused_because_the_owner_left_is_diagnosed(chat, signed_in, sandbox, monkeypatch):
    """The emulator cannot make an owner leave, so chat/get's answer is stood in for."""
    sandbox.inject("errcode", count=1, path="/chat/send", errcode=40035, errmsg="不合法的参数")
    left = {"owner": "u0001", "useridlist": TWELVE[1:], "status": 1}
    monkeypatch.setattr(service, "get_chat_info", lambda chatid, client=None: left)
    page = send_text(signed_in, chat.chatid, follow_redirects=True).get_data(as_text=True)
    assert "群主已退出该群，钉钉拒绝了该请求。" in page
    failed = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert failed.errcode == 40035 and failed.reason == "owner_left"


def test_a_chat_message_is_recorded_before_dingtalk_is_called(app, sandbox, monkeypatch):
    """Nothing sent goes unrecorded: the row exists (pending) while chat/send is in flight."""
    from dashboard.chats import service
    from dashboard.chats.models import ChatMessage
    from dashboard.dingtalk.api.chats import ChatAPI

    seen = []
    original = ChatAPI.send_chat_message

    def watching(self, chatid, msg):
        seen.append([m.state for m in db.session.execute(db.select(ChatMessage)).scalars()])
        return original(self, chatid, msg)

    monkeypatch.setattr(ChatAPI, "send_chat_message", watching)
    with app.test_request_context():
        chat = service.create_chat(name="记录", owner="u0001", useridlist="u0001,u0002", settings={}, created_by="admin")  # fmt: skip
        record = service.send_chat_message(chatid=chat.chatid, msg={"msgtype": "text", "text": {"content": "hi"}}, sender="admin")  # fmt: skip
    assert seen == [["pending"]]
    assert record.state == "done" and record.message_id


def test_a_timed_out_chat_message_is_unknown_not_failed_and_not_resent(app, sandbox):
    from dashboard.chats import service
    from dashboard.dingtalk.errors import RequestTimeout

    with app.test_request_context():
        chat = service.create_chat(name="超时", owner="u0001", useridlist="u0001,u0002", settings={}, created_by="admin")  # fmt: skip
    app.config["DINGTALK_TIMEOUT"] = 0.5
    app.extensions["dingtalk"]["internal"] = None
    sandbox.inject("latency", path="/chat/send", seconds=1.5)
    with app.test_request_context():
        with pytest.raises(RequestTimeout) as caught:
            service.send_chat_message(chatid=chat.chatid, msg={"msgtype": "text", "text": {"content": "hi"}}, sender="admin")  # fmt: skip
        assert caught.value.record.state == "unknown"
        assert "没有重复发送" in service.explain_record(caught.value.record)
    assert sandbox.stats()["calls"]["/chat/send"] == 1


# --- what DingTalk says is vendor text; names, not ids ---------------------------------

HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"


def test_a_hostile_errmsg_of_a_failed_chat_and_message_is_shown_escaped(chat, signed_in, sandbox):
    from markupsafe import escape

    sandbox.inject("errcode", count=1, path="/chat/send", errcode=40035, errmsg=HOSTILE)
    send_text(signed_in, chat.chatid)
    sandbox.inject("errcode", count=1, path="/chat/create", errcode=40035, errmsg=HOSTILE)
    create(signed_in, name="第二个群")
    for url in (f"/chats/{chat.chatid}", "/chats/"):
        page = signed_in.get(url).get_data(as_text=True)
        assert str(escape(HOSTILE)) in page, url  # the admin reads DingTalk's words, as text
        assert "<script>alert" not in page and "<img src=x" not in page, url


def test_a_chat_failure_without_an_errcode_never_shows_none(chat, signed_in, sandbox):
    sandbox.inject("http_500", count=1, path="/chat/send")
    page = sent_page(signed_in, chat.chatid)
    assert "钉钉未能发送该消息。" in page
    assert "无法连接钉钉，或钉钉未返回可用结果。请稍后重试。" in page
    failed = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert (failed.state, failed.errcode, failed.reason) == ("failed", None, "unreachable")
    listing = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "None" not in listing and "HTTP 500" in listing


def test_read_list_shows_names_on_a_fresh_install_without_a_snapshot(chat, signed_in, sandbox):
    from dashboard.directory.snapshot import peek_snapshot

    send_text(signed_in, chat.chatid)
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    sandbox.set_knobs(chat_read_ratio=0.5)
    sandbox.advance(3600)
    assert peek_snapshot() is None  # nobody opened the directory yet
    page = read_page(signed_in, chat.chatid, message.id)
    assert "余艳芬 (u0001)" in page and "孙英健 (u0002)" in page
    assert ">u0001<" not in page


def test_new_chat_in_isv_mode_without_a_company_keeps_the_form_and_records_nothing(
    signed_in, sandbox, app
):
    app.config["DINGTALK_SUITE_KEY"] = "suite-without-a-chosen-company"
    response = create(signed_in, name="没选企业的群")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请先在切换器中选择企业。" in page
    assert 'value="没选企业的群"' in page
    assert db.session.execute(db.select(Chat)).first() is None
    assert chat_calls(sandbox, "/chat/create") == 0


# --- messages go out through the delivery queue -----------------------------------------


@pytest.fixture
def no_consumer(monkeypatch):
    """Messages stay queued: nothing runs the queue's tasks (the ids handed to it are kept)."""
    from dashboard.delivery import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.deliver_chat_message, "enqueue", queued.append)
    return queued


def only_message() -> ChatMessage:
    db.session.expire_all()
    return db.session.execute(db.select(ChatMessage)).scalar_one()


def test_a_message_answers_at_once_queued_and_its_row_follows_it_until_sent(
    chat, signed_in, sandbox, no_consumer
):
    response = send_text(signed_in, chat.chatid, follow_redirects=True)
    page = response.get_data(as_text=True)
    message = only_message()
    assert no_consumer == [message.id] and chat_calls(sandbox, "/chat/send") == 0
    assert message.state == "pending" and message.queued and message.corpid is None
    assert "消息已排队：将在后台发出，下方的状态会自动更新。" in page
    status_url = f"/chats/{chat.chatid}/messages/{message.id}/status"
    assert f'data-status-url="{status_url}"' in page and "js/history_status." in page
    assert "排队中" in page
    status = signed_in.get(status_url).get_json()
    assert (status["state"], status["state_label"], status["in_progress"]) == (
        "pending", "排队中", True,
    )  # fmt: skip

    assert service.deliver_message(message.id) == service.FINISHED  # what the consumer runs
    status = signed_in.get(status_url).get_json()
    assert (status["state_label"], status["in_progress"]) == ("已发送", False)
    assert status["link_url"] == f"/chats/{chat.chatid}/messages/{message.id}"
    assert status["link_text"] == "已读情况"
    assert chat_calls(sandbox, "/chat/send") == 1
    assert only_message().reply["messageId"] == only_message().message_id
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "data-unsettled" not in page and status["link_url"] in page


def test_a_failed_message_settles_with_its_reason_in_the_status(
    chat, signed_in, sandbox, no_consumer
):
    send_text(signed_in, chat.chatid)
    sandbox.dissolve_chat(chat.chatid)
    service.deliver_message(only_message().id)
    status = signed_in.get(f"/chats/{chat.chatid}/messages/{only_message().id}/status").get_json()
    assert (status["state_label"], status["in_progress"]) == ("失败", False)
    assert "该群已解散" in status["settled_text"] and "40035" in status["settled_text"]
    assert "link_url" not in status


def test_a_message_is_sent_once_however_often_its_task_runs(chat, signed_in, sandbox, no_consumer):
    send_text(signed_in, chat.chatid)
    message_id = only_message().id
    assert service.deliver_message(message_id) == service.FINISHED
    assert service.deliver_message(message_id) == service.FINISHED  # a duplicate task
    assert chat_calls(sandbox, "/chat/send") == 1
    assert service.deliver_message(999) == service.GONE


def test_a_message_interrupted_mid_call_is_unknown_and_never_sent_again(
    chat, signed_in, sandbox, no_consumer, app
):
    from datetime import timedelta

    from dashboard.attempts import utcnow

    send_text(signed_in, chat.chatid)
    message = only_message()
    message.attempted_at = utcnow()  # a consumer started the call just now
    db.session.commit()
    assert service.deliver_message(message.id) == service.BUSY  # maybe still on the wire
    assert only_message().state == "pending"
    message = only_message()
    message.attempted_at = utcnow() - timedelta(seconds=app.config["DELIVERY_CLAIM_SECONDS"] + 1)
    db.session.commit()  # that consumer died mid-call long ago
    assert service.deliver_message(message.id) == service.FINISHED
    message = only_message()
    assert (message.state, message.reason) == ("unknown", "no_answer")
    assert chat_calls(sandbox, "/chat/send") == 0
    page = signed_in.get(f"/chats/{chat.chatid}").get_data(as_text=True)
    assert "结果未知" in page and "没有重复发送" in page


def test_a_consumer_starting_queues_the_pending_messages_again(
    chat, signed_in, sandbox, no_consumer
):
    send_text(signed_in, chat.chatid, "一")
    send_text(signed_in, chat.chatid, "二")
    first, second = db.session.execute(db.select(ChatMessage).order_by(ChatMessage.id)).scalars()
    service.deliver_message(first.id)
    no_consumer.clear()
    assert service.resume_pending_messages() == [second.id] == no_consumer


def test_the_apis_chat_send_not_picked_up_in_time_stays_queued_and_goes_out_once_later(
    app, sandbox, no_consumer
):
    from dashboard.dingtalk.errors import RequestTimeout

    with app.test_request_context():
        chat = service.create_chat(name="接口", owner="u0001", useridlist="u0001,u0002", settings={}, created_by="admin")  # fmt: skip
        with pytest.raises(RequestTimeout) as caught:
            service.send_chat_message(chatid=chat.chatid, msg={"msgtype": "text", "text": {"content": "hi"}}, sender="hr-script", timeout=0)  # fmt: skip
    assert caught.value.record.state == "pending" and chat_calls(sandbox, "/chat/send") == 0
    message_id = caught.value.record.id
    assert no_consumer == [message_id]
    assert service.deliver_message(message_id) == service.FINISHED  # a consumer, later
    assert only_message().ok and chat_calls(sandbox, "/chat/send") == 1
