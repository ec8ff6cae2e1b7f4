"""The robot channel of the notifications pipeline, against the sandbox over HTTP."""

from __future__ import annotations

import pytest

from dashboard.dingtalk.errors import InvalidMessage
from dashboard.notifications import results
from dashboard.notifications.sending import recall, send_work_notice
from dashboard.robot.channel import robot_msg
from dashboard.sandbox.v1.control import V1SandboxControl

MARKDOWN = robot_msg("sampleMarkdown", {"title": "周报", "text": "## 本周\n- 上线"})


@pytest.fixture
def v1(sandbox):
    sandbox.set_knobs(robot_read_ratio=0.0)  # nobody reads unless a test says so
    return V1SandboxControl(sandbox.base_url)


def _send(**kw):
    args = {"msg": MARKDOWN, "userid_list": [], "dept_id_list": [], "to_all_user": False}
    args.update(kw)
    return send_work_notice(sender="admin", channel="robot", **args)


def test_a_department_goes_out_in_calls_of_20_with_read_status_and_names(app, sandbox, v1):
    app.config["DINGTALK_ROBOT_USER_BATCH"] = 3
    send = _send(userid_list=["manager01"], dept_id_list=[2])
    assert send.channel == "robot"
    assert send.state == "submitted", (send.errcode, send.errmsg)
    people = [u for t in send.tasks for u in t.userids]
    assert people[0] == "manager01" and len(people) == len(set(people)) > 3
    assert all(len(t.userids) <= 3 and t.out_key for t in send.tasks)
    key = send.tasks[0].out_key
    v1.read(key, "manager01")
    sandbox.advance(5)
    results.refresh_progress(send)
    merged = results.outcome(send)
    assert "manager01" in merged.read
    assert set(merged.read) | set(merged.unread) == set(people)
    assert send.tasks[0].result["names"]["manager01"] == "陈立新"
    assert send.state == "completed"


def test_invalid_people_are_kept_per_person(app, sandbox):
    send = _send(userid_list=["manager01", "nosuchuser"])
    assert send.state == "submitted"
    assert results.outcome(send).invalid_users == ["nosuchuser"]


def test_recall_goes_through_the_queue(app, sandbox, v1):
    send = _send(userid_list=["manager01"])
    attempts = recall(send, "admin")
    assert [a.state for a in attempts] == ["done"]
    assert send.tasks[0].recalled_at is not None
    assert v1.message(send.tasks[0].out_key)["recalled"]


def test_a_bad_message_records_nothing(app, sandbox):
    from dashboard.notifications.models import Send

    with app.test_request_context("/"), pytest.raises(InvalidMessage):
        _send(msg=robot_msg("sampleMarkdown", {"title": "no text"}), userid_list=["manager01"])
    with app.test_request_context("/"), pytest.raises(InvalidMessage):
        _send(msg={"msgtype": "text", "text": {"content": "x"}}, userid_list=["manager01"])
    assert Send.query.count() == 0
