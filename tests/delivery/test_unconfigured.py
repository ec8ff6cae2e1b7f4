"""A consumer without a DingTalk client (NotConfigured from the client factory) never leaves a
send or a chat message queued for ever: it is failed, nothing sent, with the reason in words."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from dashboard.chats import service as chats
from dashboard.chats.models import ChatMessage
from dashboard.delivery import tasks
from dashboard.extensions import db
from dashboard.notifications import sending
from dashboard.notifications.models import Send

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
WORDS = "未发送：投递进程没有钉钉应用凭证"


@pytest.fixture
def signed_in(client, auth, app, monkeypatch):
    """Signed in; the queue keeps what is handed to it (no consumer runs yet)."""
    app.config["DINGTALK_USERID_BATCH"] = 2
    monkeypatch.setattr(tasks.deliver_send, "enqueue", lambda *a: None)
    monkeypatch.setattr(tasks.deliver_chat_message, "enqueue", lambda *a: None)
    auth.login()
    return client


@contextmanager
def worker_without_credentials(app):
    """The consumer's configuration lacks the app's credentials (no .env in its environment)."""
    kept = {k: app.config[k] for k in ("DINGTALK_APP_KEY", "DINGTALK_APP_SECRET")}
    app.config.update(DINGTALK_APP_KEY=None, DINGTALK_APP_SECRET=None)
    app.extensions["dingtalk"]["internal"] = None
    yield
    app.config.update(kept)  # the web process has them


def test_a_send_the_consumer_cannot_make_fails_with_the_reason_and_nothing_sent(
    signed_in, app, sandbox
):
    signed_in.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "配置", "userid_list": "u0001,u0002,u0003", "nonce": "n"},
    )
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.state == "queued" and len(send.tasks) == 2

    with worker_without_credentials(app):
        assert sending.deliver(send.id) == sending.FINISHED
    db.session.expire_all()
    send = db.session.get(Send, send.id)
    assert send.state == "failed" and send.claimed_by is None
    assert {(t.state, t.attempted_at) for t in send.tasks} == {("failed", None)}
    assert WORDS in send.errmsg and "DINGTALK_APP_KEY" in send.errmsg
    assert sandbox.stats()["calls"].get(ASYNCSEND, 0) == 0
    assert sending.unfinished_send_ids() == []  # nothing left for a restarted consumer

    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    assert f"通知未发出：{WORDS}" in page


def test_a_chat_message_the_consumer_cannot_send_fails_with_the_reason(signed_in, app, sandbox):
    with app.test_request_context():
        chat = chats.create_chat(
            name="配置", owner="u0001", useridlist="u0001,u0002", settings={}, created_by="admin"
        )
    signed_in.post(f"/chats/{chat.chatid}", data={"msgtype": "text", "msg": "在吗"})
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert message.state == "pending"

    with worker_without_credentials(app):
        assert chats.deliver_message(message.id) == chats.FINISHED
    db.session.expire_all()
    message = db.session.get(ChatMessage, message.id)
    assert (message.state, message.reason) == ("failed", "not_configured")
    assert WORDS in message.errmsg
    assert sandbox.stats()["calls"].get("/chat/send", 0) == 0
    assert chats.resume_pending_messages() == []
