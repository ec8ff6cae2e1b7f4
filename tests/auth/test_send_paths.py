"""Every send path keeps a scoped sender inside its departments, before any DingTalk call;
senders act only on their own sends and schedules (admins and owners on all)."""

from __future__ import annotations

from dashboard.audit.models import AuditEvent
from dashboard.chats.models import Chat, ChatMessage
from dashboard.extensions import db
from dashboard.notifications.models import Send
from tests.auth.conftest import MARKETING, inside_marketing, outside_marketing, sign_in

CHAT_SEND = "/chat/send"
CHAT_CREATE = "/chat/create"
ROBOT_GROUP = "/v1.0/robot/groupMessages/send"
ROBOT_BATCH = "/v1.0/robot/oToMessages/batchSend"
CARD_SEND = "/v1.0/card/instances/createAndDeliver"


def calls(sandbox, path: str) -> int:
    return sandbox.stats()["calls"].get(path, 0)


def api(client, raw: str, operation: str, **body):
    return client.post(
        f"/api/dingtalkserve/{operation}/",
        json=body,
        headers={"Authorization": f"Bearer {raw}"},
    )


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).filter_by(action=name)).scalars())


def remember_chat(members: list[str], chatid: str = "chat-known", cid: str = "cid-known"):
    chat = Chat(
        chatid=chatid,
        open_conversation_id=cid,
        name="群",
        owner=members[0],
        members=members,
        settings={},
        created_by="admin",
    )
    db.session.add(chat)
    db.session.commit()
    return chat


# --- chats -----------------------------------------------------------------------------------


def test_a_scoped_sender_creates_chats_only_of_people_in_scope(as_role, sandbox):
    marketing = as_role("sender", scope=[MARKETING], name="marketing")
    inside, outsider = inside_marketing()[0], outside_marketing()[0]
    response = marketing.post(
        "/chats/new", data={"name": "周会", "owner": inside, "useridlist": f"{inside},{outsider}"}
    )
    assert response.status_code == 403 and outsider in response.get_data(as_text=True)
    assert db.session.execute(db.select(Chat)).first() is None
    assert sandbox.stats()["total"] == 0 or calls(sandbox, CHAT_CREATE) == 0
    [refused] = actions("send.refused")
    assert refused.actor == "marketing"


def test_a_scoped_sender_posts_only_in_chats_of_people_in_scope(as_role, sandbox):
    marketing = as_role("sender", scope=[MARKETING], name="marketing")
    inside, outsider = inside_marketing(), outside_marketing()[0]
    remember_chat([inside[0], outsider], "chat-mixed", "cid-mixed")
    remember_chat(inside[:2], "chat-ours", "cid-ours")
    for chatid in ("chat-mixed", "chat-unknown"):
        response = marketing.post(f"/chats/{chatid}", data={"msgtype": "text", "msg": "hi"})
        assert response.status_code == 403, chatid
    assert db.session.execute(db.select(ChatMessage)).first() is None
    assert calls(sandbox, CHAT_SEND) == 0
    response = marketing.post("/chats/chat-ours", data={"msgtype": "text", "msg": "hi"})
    assert response.status_code != 403


def test_a_scoped_token_is_refused_a_chat_outside_its_scope(client, make_token, sandbox):
    raw = make_token("sender", scope=[MARKETING])
    remember_chat([inside_marketing()[0], outside_marketing()[0]])
    response = api(client, raw, "chatSend", chatid="chat-known", msg="hi")
    assert response.status_code == 403 and response.get_json()["success"] is False
    response = api(
        client,
        raw,
        "createChat",
        name="周会",
        owner=inside_marketing()[0],
        useridlist=[inside_marketing()[0], outside_marketing()[0]],
    )
    assert response.status_code == 403
    assert calls(sandbox, CHAT_SEND) == 0 and calls(sandbox, CHAT_CREATE) == 0
    assert db.session.execute(db.select(ChatMessage)).first() is None


# --- robot and cards -------------------------------------------------------------------------


def test_a_scoped_token_robot_and_card_sends_stay_in_scope(client, make_token, sandbox):
    raw = make_token("sender", scope=[MARKETING])
    outsider = outside_marketing()[0]
    remember_chat([inside_marketing()[0], outsider], "chat-mixed", "cid-mixed")
    text = {"msgKey": "sampleText", "msgParam": {"content": "hi"}}
    assert api(client, raw, "robotSend", userIds=[outsider], **text).status_code == 403
    for cid in ("cid-mixed", "cid-unknown"):
        response = api(client, raw, "robotGroupSend", openConversationId=cid, **text)
        assert response.status_code == 403, cid
        response = api(client, raw, "cardSend", cardTemplateId="tpl.schema", openConversationId=cid)
        assert response.status_code == 403, cid
    response = api(client, raw, "cardSend", cardTemplateId="tpl.schema", userIds=[outsider])
    assert response.status_code == 403 and outsider in response.get_json()["msg"]
    assert db.session.execute(db.select(Send)).first() is None
    for path in (ROBOT_GROUP, ROBOT_BATCH, CARD_SEND):
        assert calls(sandbox, path) == 0, path


def test_a_scoped_sender_robot_group_message_on_the_page(as_role, sandbox):
    marketing = as_role("sender", scope=[MARKETING], name="marketing")
    response = marketing.post(
        "/robot/compose",
        data={
            "msg_key": "sampleText",
            "p_content": "hi",
            "open_conversation_id": "cid-x",
            "confirm": "y",
        },
    )
    assert response.status_code == 403
    assert db.session.execute(db.select(Send)).first() is None
    assert calls(sandbox, ROBOT_GROUP) == 0


# --- own sends through the API ---------------------------------------------------------------


def test_a_token_recalls_and_updates_only_its_own_sends(app, client, make_token, sandbox):
    from dashboard.api.auth import create_token
    from dashboard.notifications.sending import send_work_notice
    from dashboard.robot.channel import robot_msg

    _token, other = create_token(name="other", role="sender", created_by="admin")
    _token, mine = create_token(name="mine", role="sender", created_by="admin")
    with app.test_request_context():
        send = send_work_notice(
            msg=robot_msg("sampleText", {"content": "hi"}),
            userid_list=[inside_marketing()[0]],
            dept_id_list=[],
            to_all_user=False,
            sender="mine",
            source="api",
            api_token_name="mine",
            channel="robot",
        )
        send_id = send.id
    response = api(client, other, "robotRecall", send_id=send_id)
    assert response.status_code == 403 and response.get_json()["success"] is False
    assert actions("forbidden")
    response = api(client, other, "robotRecall", processQueryKey="not-the-consoles")
    assert response.status_code == 403
    response = api(client, other, "cardUpdate", outTrackId="x", cardParamMap={"a": "b"})
    assert response.status_code == 403
    assert api(client, mine, "robotRecall", send_id=send_id).status_code == 200


# --- own schedules ---------------------------------------------------------------------------


def test_a_sender_changes_only_their_own_schedules(app, as_role, sandbox):
    from datetime import timedelta

    from dashboard.notifications.models import utcnow
    from dashboard.schedules.models import Schedule

    alice, bob = as_role("sender", name="alice"), as_role("sender", name="bob")
    owner = sign_in(app, "admin", "admin-password")
    schedule = Schedule(
        created_by="alice",
        msgtype="text",
        msg_json='{"msgtype": "text", "text": {"content": "周报"}}',
        userid_list=inside_marketing()[0],
        kind="once",
        run_at=utcnow() + timedelta(days=1),
        next_run_at=utcnow() + timedelta(days=1),
    )
    db.session.add(schedule)
    db.session.commit()
    sid = schedule.id
    assert bob.get(f"/schedules/{sid}").status_code == 200  # follows every schedule
    for action in ("edit", "pause", "resume", "run", "delete"):
        assert bob.post(f"/schedules/{sid}/{action}").status_code == 403, action
    assert len(actions("forbidden")) == 5
    assert alice.post(f"/schedules/{sid}/pause").status_code == 302
    assert owner.post(f"/schedules/{sid}/resume").status_code == 302
