"""The schedules' JSON API operations, on the sandbox."""

from __future__ import annotations

from datetime import datetime

import pytest

from dashboard.api.auth import create_token
from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.schedules.models import Schedule, ScheduleRun
from tests.api.conftest import ApiCaller


@pytest.fixture
def api(client, clock) -> ApiCaller:
    return ApiCaller(client, create_token(name="cron-script", scope="send", created_by="admin")[1])


def test_create_once_with_run_at_and_follow_it(api, clock, sandbox):
    reply = api(
        "scheduleCreate",
        {"userid_list": "u0001", "msg": "Hello", "run_at": "2027-01-15T10:00:00+08:00"},
    )
    assert reply.status_code == 200, reply.get_json()
    data = reply.get_json()["data"]
    assert data["kind"] == "once" and data["state"] == "active"
    assert (
        data["next_run_at"] == "2027-01-15T10:00:00+08:00" and data["created_by"] == "cron-script"
    )

    listed = api("scheduleList").get_json()["data"]
    assert listed["count"] == 1 and listed["schedules"][0]["schedule_id"] == data["schedule_id"]

    from dashboard.schedules import service

    clock.advance(hours=2)
    with api.client.application.test_request_context():
        service.fire_due()
    got = api("scheduleGet", {"schedule_id": data["schedule_id"]}).get_json()["data"]
    assert got["state"] == "finished" and got["last_run"]["outcome"] == "sent"
    send = db.session.get(Send, got["last_run"]["send_id"])
    assert send.schedule_id == data["schedule_id"] and send.api_token_name == "cron-script"


def test_create_with_cron_timezone_and_on_missed(api):
    reply = api(
        "scheduleCreate",
        {"userid_list": ["u0001"], "msg": "Report {date}", "cron": "0 9 * * 1-5",
         "timezone": "Europe/Berlin", "on_missed": "skip"},
    )  # fmt: skip
    data = reply.get_json()["data"]
    assert (
        data["kind"] == "cron"
        and data["timezone"] == "Europe/Berlin"
        and data["on_missed"] == "skip"
    )
    assert data["next_run_at"] == "2027-01-15T09:00:00+01:00" and data["warnings"] == []


def test_a_repeated_text_is_saved_with_its_warning(api):
    data = api(
        "scheduleCreate", {"userid_list": "u0001", "msg": "Same", "cron": "0 9 * * *"}
    ).get_json()["data"]
    assert data["warning"] and "143106" in data["warnings"][0]


@pytest.mark.parametrize(
    "body, message",
    [
        (
            {"msg": "x", "run_at": "2027-01-16T09:00:00"},
            "userid_list,dept_id_list, to_all_user必须有一个不能为空",
        ),
        ({"userid_list": "u1", "run_at": "2027-01-16T09:00:00"}, "msg不能为空"),
        ({"userid_list": "u1", "msg": "x"}, "run_at或cron不能为空"),
        ({"userid_list": "u1", "msg": "x", "run_at": "tomorrow"}, "ISO-8601"),
        ({"userid_list": "u1", "msg": "x", "cron": "0 25 * * *"}, "cron"),
        (
            {"userid_list": "u1", "msg": "x", "cron": "0 9 * * *", "run_at": "2027-01-16T09:00"},
            "不能同时",
        ),
        (
            {"userid_list": "u1", "msg": "x", "cron": "0 9 * * *", "timezone": "Mars/Base"},
            "Mars/Base",
        ),
        ({"userid_list": "u1", "msg": "x", "cron": "0 9 * * *", "on_missed": "later"}, "on_missed"),
    ],
)
def test_bad_input_is_a_clear_400(api, body, message):
    reply = api("scheduleCreate", body)
    assert reply.status_code == 400 and message in reply.get_json()["msg"]
    assert db.session.query(Schedule).count() == 0


def test_update_pause_resume_delete(api, clock):
    sid = api(
        "scheduleCreate", {"userid_list": "u0001", "msg": "Hi {date}", "cron": "0 9 * * *"}
    ).get_json()["data"]["schedule_id"]
    data = api("scheduleUpdate", {"schedule_id": sid, "cron": "30 18 * * 5"}).get_json()["data"]
    assert data["cron"] == "30 18 * * 5" and data["msg"]["text"]["content"] == "Hi {date}"
    assert data["next_run_at"] == "2027-01-15T18:30:00+08:00"
    data = api(
        "scheduleUpdate", {"schedule_id": sid, "msg": "Bye {date}", "userid_list": "u0002"}
    ).get_json()["data"]
    assert data["cron"] == "30 18 * * 5" and data["userid_list"] == ["u0002"]

    assert api("schedulePause", {"schedule_id": sid}).get_json()["data"]["state"] == "paused"
    assert api("schedulePause", {"schedule_id": sid}).get_json()["data"]["next_run_at"] is None
    assert api("scheduleResume", {"schedule_id": sid}).get_json()["data"]["state"] == "active"
    assert api("scheduleDelete", {"schedule_id": sid}).get_json()["data"]["state"] == "deleted"
    reply = api("scheduleGet", {"schedule_id": sid})
    assert reply.status_code == 404 and reply.get_json()["success"] is False
    assert api("scheduleList").get_json()["data"]["count"] == 0


def test_schedule_id_is_required_and_unknown_ids_are_404(api):
    assert api("scheduleGet").get_json()["msg"] == "schedule_id不能为空"
    assert api("schedulePause", {"schedule_id": "x"}).status_code == 400
    assert api("scheduleDelete", {"schedule_id": 12345}).status_code == 404


def test_a_read_token_lists_but_does_not_create(client, clock):
    reader = ApiCaller(client, create_token(name="reader", scope="read", created_by="admin")[1])
    assert reader("scheduleList").status_code == 200
    assert (
        reader("scheduleCreate", {"userid_list": "u1", "msg": "x", "cron": "0 9 * * *"}).status_code
        == 403
    )


def test_a_template_and_a_group_are_rendered_and_resolved_at_each_run(api, clock, app):
    from dashboard.groups.service import save_group
    from dashboard.msgtemplates.service import create_template
    from dashboard.schedules import service

    with app.test_request_context():
        template = create_template(
            name="Daily", fields={"msgtype": "text", "msg": "{project} report {date}"}, user="admin"
        )
        group = save_group(
            None, name="Team", userids=["u0001", "u0002"], dept_ids=[],
            include_sub_departments=False, user="admin",
        )  # fmt: skip
        template_id, group_id = template.id, group.id

    missing = api(
        "scheduleCreate", {"template_id": template_id, "group_ids": [group_id], "cron": "0 9 * * *"}
    )
    assert missing.status_code == 400 and "{project}" in missing.get_json()["msg"]

    body = {"template_id": template_id, "params": {"project": "Apollo"}, "group_ids": [group_id]}
    data = api("scheduleCreate", body | {"cron": "0 9 * * *"}).get_json()["data"]
    assert data["template_id"] == template_id and data["group_ids"] == [group_id]
    assert data["params"] == {"project": "Apollo"} and data["warning"] is None  # {date}

    with app.test_request_context():
        clock.set(datetime(2027, 1, 15, 9, 0, 5))
        [first] = service.fire_due()
        save_group(
            db.session.get(type(group), group_id), name="Team", userids=["u0003"], dept_ids=[],
            include_sub_departments=False, user="admin",
        )  # fmt: skip
        clock.set(datetime(2027, 1, 16, 9, 0, 5))
        [second] = service.fire_due()
    sends = [db.session.get(ScheduleRun, run_id).send for run_id in (first, second)]
    assert [s.msg["text"]["content"] for s in sends] == [
        "Apollo report 2027年1月15日",
        "Apollo report 2027年1月16日",
    ]
    assert [s.userids for s in sends] == [["u0001", "u0002"], ["u0003"]]
    assert sends[1].origin["template"]["id"] == template_id


def test_a_sender_token_changes_only_its_own_schedules(api, client, make_token):
    created = api("scheduleCreate", {"userid_list": "u0001", "msg": "Hi", "cron": "0 9 * * 1"})
    schedule_id = created.get_json()["data"]["schedule_id"]
    other = ApiCaller(client, make_token("sender"))
    for operation in ("scheduleUpdate", "schedulePause", "scheduleResume", "scheduleDelete"):
        body = {"schedule_id": schedule_id}
        if operation == "scheduleUpdate":
            body.update(msg="Changed", userid_list="u0002", cron="0 10 * * 1")
        reply = other(operation, body)
        assert reply.status_code == 403, (operation, reply.get_json())
        assert reply.get_json()["success"] is False
    assert db.session.get(Schedule, schedule_id).state == "active"  # nothing changed
    assert other("scheduleGet", {"schedule_id": schedule_id}).status_code == 200  # may follow
    assert api("schedulePause", {"schedule_id": schedule_id}).status_code == 200  # its own
