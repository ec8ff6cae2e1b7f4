"""An audit row for each action of the other areas: templates, groups, chats, robot messages,
cards, schedules, refused sends; a form shown again with its errors is no row."""

from __future__ import annotations

from datetime import timedelta

from dashboard.audit.models import AuditEvent
from dashboard.auth.models import upsert_user
from dashboard.extensions import db
from dashboard.notifications.models import Send, utcnow
from tests.auth.conftest import sign_in

PEOPLE = ", ".join(f"u{n:04d}" for n in range(1, 4))


def actions(prefix: str = "") -> list[tuple[str, str | None]]:
    rows = db.session.execute(db.select(AuditEvent).order_by(AuditEvent.id)).scalars()
    return [(e.action, e.object_type) for e in rows if e.action.startswith(prefix)]


def test_template_and_group_changes(app, client, auth, sandbox):
    auth.login()
    assert client.post("/templates/new", data={"name": "", "msgtype": "link"}).status_code == 200
    assert client.post("/groups/new", data={"name": ""}).status_code == 200
    assert actions("template.") == [] and actions("group.") == []  # errors shown: no change
    reply = client.post("/templates/new", data={"name": "周报", "msgtype": "text", "msg": "周报"})
    assert reply.status_code == 302
    reply = client.post("/groups/new", data={"name": "测试", "userid_list": "u0001"})
    assert reply.status_code == 302
    assert actions("template.") == [("template.change", "template")]
    assert actions("group.") == [("group.change", "group")]


def test_chat_created_and_message_sent(app, client, auth, sandbox):
    auth.login()
    reply = client.post(
        "/chats/new", data={"name": "项目群", "owner": "u0001", "useridlist": PEOPLE}
    )
    assert reply.status_code == 302, reply.text
    chatid = reply.location.rstrip("/").rsplit("/", 1)[-1]
    reply = client.post(f"/chats/{chatid}", data={"msgtype": "text", "msg": "大家好"})
    assert reply.status_code == 302
    assert actions("chat.") == [("chat.create", "chat"), ("chat.message", "chat")]


def test_robot_message_and_card_are_sends_and_errors_are_not(app, client, auth, sandbox):
    auth.login()
    reply = client.post("/robot/compose", data={"msg_key": "sampleText", "p_content": ""})
    assert reply.status_code == 200
    reply = client.post("/cards/compose", data={"card_template_id": "", "card_params": "{bad"})
    assert reply.status_code == 200
    assert actions("robot.") == [] and actions("card.") == []
    reply = client.post(
        "/robot/compose",
        data={"msg_key": "sampleText", "p_content": "审计", "userid_list": "u0001", "nonce": "a1"},
    )
    assert reply.status_code == 302, reply.text
    reply = client.post(
        "/cards/compose",
        data={"card_template_id": "sandbox-ack.schema", "card_params": "title=t",
              "userid_list": "u0001"},
    )  # fmt: skip
    assert reply.status_code == 302, reply.text
    assert actions("robot.") == [("robot.send", "robot")]
    assert actions("card.") == [("card.send", "send")]


def test_schedule_changes(app, client, auth, sandbox):
    from dashboard.schedules.models import Schedule

    auth.login()
    later = utcnow() + timedelta(days=1)
    schedule = Schedule(created_by="admin", msgtype="text", kind="once", userid_list="u0001",
                        msg_json='{"msgtype": "text", "text": {"content": "周报"}}',
                        run_at=later, next_run_at=later)  # fmt: skip
    db.session.add(schedule)
    db.session.commit()
    for action in ("pause", "resume", "delete"):
        assert client.post(f"/schedules/{schedule.id}/{action}").status_code == 302, action
    assert [a for a, _t in actions("schedule.")] == [
        "schedule.pause",
        "schedule.resume",
        "schedule.delete",
    ]


def test_a_refused_send_is_recorded(app, sandbox):
    upsert_user("scoped", "role-password", role="sender", dept_scope=[4])
    scoped = sign_in(app, "scoped", "role-password")
    reply = scoped.post("/notifications/new", data={"msgtype": "text", "msg": "x",
                                                   "userid_list": "u0001"})  # fmt: skip
    assert reply.status_code == 403
    assert db.session.execute(db.select(Send)).first() is None
    assert ("send.refused", "endpoint") in actions("send.")


def test_a_card_update_that_changed_nothing_is_a_failure_row(app, client, auth, sandbox):
    auth.login()
    reply = client.post(
        "/cards/compose",
        data={"card_template_id": "sandbox-ack.schema", "card_params": "title=t",
              "userid_list": "u0001"},
    )  # fmt: skip
    assert reply.status_code == 302, reply.text
    send = db.session.execute(db.select(Send)).scalar_one()
    track = send.tasks[0].out_key
    assert client.post(f"/cards/{send.id}/update", data={"out_track_id": track}).status_code == 302
    reply = client.post(
        f"/cards/{send.id}/update", data={"out_track_id": track, "card_params": "title=done"}
    )
    assert reply.status_code == 302
    rows = db.session.execute(
        db.select(AuditEvent).filter_by(action="card.update").order_by(AuditEvent.id)
    ).scalars()
    assert [(e.outcome, e.object_id) for e in rows] == [
        ("failure", str(send.id)),
        ("success", str(send.id)),
    ]
