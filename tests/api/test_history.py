"""API sends land in the same history as the pages' sends, marked with the token's name."""

from __future__ import annotations

from dashboard.chats.models import Chat, ChatMessage
from dashboard.extensions import db
from dashboard.notifications.models import Send


def test_an_api_send_is_in_the_send_history_with_the_tokens_name(api, sandbox):
    response = api("asyncsend_v2", {"userid_list": "u0002,u0003", "msg": "来自接口"})
    data = response.get_json()["data"]
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.source == "api"
    assert send.api_token_name == "hr-script" and send.sender == "hr-script"
    assert send.userids == ["u0002", "u0003"] and send.summary == "来自接口"
    assert send.state == "submitted"
    assert [t.task_id for t in send.tasks] == [data["task_id"]]
    assert data["send_id"] == send.id


def test_a_send_in_several_batches_is_accepted_and_its_status_lists_every_task(app, api, sandbox):
    app.config["DINGTALK_USERID_BATCH"] = 2
    users = [f"u{n:04d}" for n in range(2, 7)]
    response = api("asyncsend_v2", {"userid_list": users, "msg": "分批"})
    data = response.get_json()["data"]
    assert response.status_code == 202
    send = db.session.execute(db.select(Send)).scalar_one()
    assert data == {"send_id": send.id, "state": send.state, "batches": 3}
    status = api("sendStatus", {"send_id": data["send_id"]}).get_json()["data"]
    assert sandbox.stats()["calls"]["/topapi/message/corpconversation/asyncsend_v2"] == 3
    assert [t["task_id"] for t in status["tasks"]] == [t.task_id for t in send.tasks]
    assert all(t["task_id"] and t["state"] == "done" for t in status["tasks"])
    assert [t["recipients"] for t in status["tasks"]] == [2, 2, 1]


def test_a_refused_send_is_recorded_too(api, sandbox):
    sandbox.inject(
        "errcode",
        count=1,
        path="/topapi/message/corpconversation/asyncsend_v2",
        errcode=40035,
        errmsg="不合法的参数",
    )
    response = api("asyncsend_v2", {"userid_list": "u0002", "msg": "失败"})
    assert response.status_code == 400 and response.get_json()["errcode"] == 40035
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.state == "failed" and send.errcode == 40035 and send.api_token_name == "hr-script"


def test_api_chats_and_chat_messages_are_remembered(api, sandbox):
    created = api("createChat", {"name": "接口群", "owner": "u0002", "useridlist": "u0002,u0003"})
    chatid = created.get_json()["data"]["chatid"]
    api("chatSend", {"chatid": chatid, "msg": "群消息"})
    chat = db.session.execute(db.select(Chat)).scalar_one()
    assert chat.chatid == chatid and chat.created_by == "hr-script"
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    assert message.chatid == chatid and message.sender == "hr-script"
    assert message.msg == {"msgtype": "text", "text": {"content": "群消息"}}
