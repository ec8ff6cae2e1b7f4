"""createChat and chatSend give back DingTalk's body as it came, and are remembered.

The chats the API makes are recorded like the ones made on the pages, failures
included, while the reply is DingTalk's own body (chatid, openConversationId,
conversationTag and whatever else DingTalk sends), not a rebuilt one.
"""

from __future__ import annotations

import json

import pytest

from dashboard.chats.models import Chat, ChatMessage
from dashboard.extensions import db
from dashboard.services.dingtalk import get_client


@pytest.fixture
def dingtalk_adds(app, monkeypatch):
    """Make every DingTalk reply on `path` carry extra keys, as a newer DingTalk might."""

    def install(path: str, **extra):
        session = get_client().session
        real = session.request

        def request(method, url, **kwargs):
            response = real(method, url, **kwargs)
            if url.endswith(path):
                response._content = json.dumps(response.json() | extra).encode()
            return response

        monkeypatch.setattr(session, "request", request)

    return install


def test_create_chat_returns_dingtalks_body_as_it_came(api, sandbox, dingtalk_adds):
    dingtalk_adds("/chat/create", request_id="req-create", future_field={"kept": True})
    response = api("createChat", {"name": "项目群", "owner": "u0002", "useridlist": "u0002,u0003"})
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert set(data) == {
        "errcode", "errmsg", "chatid", "openConversationId", "conversationTag",
        "request_id", "future_field",
    }  # fmt: skip
    assert data["conversationTag"] == 2 and data["future_field"] == {"kept": True}
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert (chat.chatid, chat.open_conversation_id) == (data["chatid"], data["openConversationId"])
    assert chat.created_by == "hr-script"


def test_chat_send_returns_dingtalks_body_as_it_came(api, sandbox, dingtalk_adds):
    created = api("createChat", {"name": "群", "owner": "u0002", "useridlist": "u0002,u0003"})
    chatid = created.get_json()["data"]["chatid"]
    dingtalk_adds("/chat/send", request_id="req-send")
    data = api("chatSend", {"chatid": chatid, "msg": "你好"}).get_json()["data"]
    assert data["errcode"] == 0 and data["messageId"] and data["request_id"] == "req-send"
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert message.message_id == data["messageId"] and message.sender == "hr-script"


def test_refused_chat_create_and_send_are_remembered_with_the_reason(api, sandbox):
    response = api("createChat", {"name": "群", "owner": "u0002", "useridlist": "u0002,ghost"})
    assert response.status_code >= 400 and response.get_json()["errcode"]
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert chat.chatid is None and chat.errcode == response.get_json()["errcode"]

    response = api("chatSend", {"chatid": "chat-nobody-made", "msg": "在吗"})
    assert response.status_code == 404
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert message.message_id is None and message.reason == "chat_not_found"
