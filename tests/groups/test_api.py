"""groupList, groupGet, and group_ids on asyncsend_v2, on the sandbox."""

from __future__ import annotations

import pytest

from dashboard.directory.snapshot import refresh_snapshot
from dashboard.extensions import db
from dashboard.groups import service
from dashboard.notifications.models import Send
from tests.api.conftest import ApiCaller


@pytest.fixture
def api(client, app):
    from dashboard.api.auth import create_token

    return ApiCaller(client, create_token(name="hr-script", scope="send", created_by="admin")[1])


@pytest.fixture
def group(app):
    return service.save_group(None, name="测试组直属", userids=["boss01"], dept_ids=[11],
                              include_sub_departments=False, user="admin")  # fmt: skip


def test_group_list_and_get(api, group, sandbox):
    rows = api("groupList").get_json()["data"]["groups"]
    assert [(r["id"], r["name"], r["dept_ids"]) for r in rows] == [(group.id, "测试组直属", [11])]
    data = api("groupGet", {"group_id": group.id}).get_json()["data"]
    assert data["resolved"]["count"] == 5 and data["resolved"]["dept_id_list"] == []
    assert "boss01" in data["resolved"]["userid_list"]


def test_group_get_errors(api, sandbox):
    assert api("groupGet", {}).get_json()["msg"] == "group_id不能为空"
    assert api("groupGet", {"group_id": 42}).status_code == 404


def test_send_to_a_group_records_whom_it_reached(api, group, sandbox, directory):
    with directory.lock:
        directory.company.users["manager03"].departments.append(11)
    refresh_snapshot()
    reply = api("asyncsend_v2", {"group_ids": [group.id], "msg": "hello"})
    assert reply.status_code == 200, reply.get_json()
    send = db.session.execute(db.select(Send)).scalar_one()
    assert "manager03" in send.userids and len(send.userids) == 6
    assert send.origin["groups"][0]["people"] == send.userids
    task = sandbox.task(reply.get_json()["data"]["task_id"])
    assert set(task["recipients"]) == set(send.userids)


def test_unknown_group_is_a_400(api, sandbox):
    reply = api("asyncsend_v2", {"group_ids": "7", "msg": "hello"})
    assert reply.status_code == 400 and "7" in reply.get_json()["msg"]
    reply = api("asyncsend_v2", {"group_ids": "x", "msg": "hello"})
    assert reply.status_code == 400


def test_robot_send_takes_group_ids_too(api, group, sandbox):
    refresh_snapshot()
    reply = api(
        "robotSend",
        {"group_ids": [group.id], "msgKey": "sampleText", "msgParam": {"content": "hi"}},
    )
    assert reply.status_code in (200, 202), reply.get_json()
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.channel == "robot" and "boss01" in send.userids and len(send.userids) == 5
    assert send.origin["groups"][0]["people"] == send.userids
    assert api("robotSend", {"group_ids": "7", "msgKey": "sampleText",
                             "msgParam": {"content": "hi"}}).status_code == 400  # fmt: skip
