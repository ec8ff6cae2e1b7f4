"""Robot pages with the Flask test client against the sandbox."""

from __future__ import annotations

from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.sandbox.v1.control import V1SandboxControl


def test_compose_sends_a_markdown_message_to_a_department(client, auth, app, sandbox):
    auth.login()
    page = client.get("/robot/compose")
    assert page.status_code == 200
    assert "p_title" in page.text and "sampleActionCard3" in page.text
    reply = client.post(
        "/robot/compose",
        data={
            "msg_key": "sampleMarkdown",
            "p_title": "周报",
            "p_text": "## 本周",
            "dept_id_list": "2",
        },
    )
    assert reply.status_code == 302, reply.text
    send = Send.query.one()
    assert (send.channel, send.msgtype, send.state) == ("robot", "sampleMarkdown", "submitted")
    assert send.tasks[0].out_key
    detail = client.get(reply.headers["Location"])
    assert detail.status_code == 200 and "周报" in detail.text
    assert 'id="recall-form"' in detail.text and send.tasks[0].out_key in detail.text


def test_missing_fields_are_said_in_the_form_and_nothing_is_recorded(client, auth, sandbox):
    auth.login()
    reply = client.post(
        "/robot/compose", data={"msg_key": "sampleLink", "p_title": "x", "userid_list": "manager01"}
    )
    assert reply.status_code == 200
    assert "messageUrl" in reply.text and Send.query.count() == 0
    reply = client.post(
        "/robot/compose", data={"msg_key": "sampleText", "p_content": "hi", "dept_id_list": "x"}
    )
    assert reply.status_code == 200 and Send.query.count() == 0


def test_groups_list_the_robots_groups_and_a_group_message_is_read_and_recalled(
    client, auth, sandbox
):
    auth.login()
    v1 = V1SandboxControl(sandbox.base_url)
    cid = v1.robot_group_ids()[0]
    page = client.get("/robot/groups")
    assert page.status_code == 200 and cid in page.text
    assert "/robot/groups" in client.get("/chats/").text
    reply = client.post(
        "/robot/compose",
        data={"msg_key": "sampleText", "p_content": "大家好", "open_conversation_id": cid},
    )
    assert reply.status_code == 302, reply.text
    send = Send.query.one()
    assert send.state == "submitted" and send.tasks[0].userids == []
    member = v1.message(send.tasks[0].out_key)["recipients"][0]["userId"]
    v1.read(send.tasks[0].out_key, member)
    client.get(reply.headers["Location"])
    db.session.expire_all()
    assert member in send.tasks[0].result["read_user_id_list"]
    assert "大家好" in client.get("/robot/groups").text
    client.post(f"/notifications/{send.id}/recall")
    assert v1.message(send.tasks[0].out_key)["recalled"]
    db.session.expire_all()
    assert send.state == "recalled"


def test_compose_has_the_same_people_and_department_pickers(client, auth):
    auth.login()
    page = client.get("/robot/compose")
    assert page.status_code == 200
    assert 'data-picker="users"' in page.text and 'data-picker="depts"' in page.text
    assert "js/picker.js" in page.text and 'id="picker-config"' in page.text


def test_a_recipient_group_is_resolved_at_send_time_and_kept_in_the_origin(client, auth, sandbox):
    from dashboard.groups import service

    auth.login()
    group = service.save_group(
        None,
        name="值班",
        userids=["manager01"],
        dept_ids=[2],
        include_sub_departments=True,
        user="admin",
    )
    page = client.get("/robot/compose")
    assert 'name="group_ids"' in page.text and "值班" in page.text
    reply = client.post(
        "/robot/compose",
        data={"msg_key": "sampleText", "p_content": "值班提醒", "group_ids": str(group.id)},
    )
    assert reply.status_code == 302, reply.text
    send = Send.query.one()
    assert send.channel == "robot"
    recorded = send.origin["groups"]
    assert recorded and "manager01" in send.userid_list
    people = {u for t in send.tasks for u in t.userids}
    assert "manager01" in people and len(people) > 1


def test_a_group_that_reaches_nobody_is_said_in_the_form(client, auth, sandbox):
    from dashboard.groups import service

    auth.login()
    group = service.save_group(
        None, name="空", userids=[], dept_ids=[999999], include_sub_departments=False, user="a"
    )
    reply = client.post(
        "/robot/compose",
        data={"msg_key": "sampleText", "p_content": "x", "group_ids": str(group.id)},
    )
    assert reply.status_code == 200 and Send.query.count() == 0
    assert "invalid-feedback" in reply.text


def test_robot_warnings_duplicates_daily_cap_and_unknown_people_ask_to_confirm(
    client, auth, app, sandbox
):
    auth.login()
    client.get("/directory/search?q=a")  # the pickers' lookups build the snapshot
    app.config["DINGTALK_ROBOT_DAILY_USER_CAP"] = 1
    data = {"msg_key": "sampleText", "p_content": "重复", "userid_list": "manager01"}
    first = client.post("/robot/compose", data=data | {"nonce": "n1"})
    assert first.status_code == 302, first.text
    # The same content to the same person: duplicate and daily cap, asked before sending.
    page = client.post("/robot/compose", data=data | {"nonce": "n2"})
    assert page.status_code == 200 and 'id="presend-warnings"' in page.text
    assert f"#{Send.query.one().id}" in page.text and 'name="send_anyway"' in page.text
    assert "143106" not in page.text and "143105" not in page.text
    assert "会收到两次" in page.text and "限流" in page.text  # duplicate and daily cap
    assert Send.query.count() == 1
    page = client.post("/robot/compose", data=data | {"nonce": "n2", "send_anyway": "1"})
    assert page.status_code == 200 and Send.query.count() == 1  # the box is not ticked
    sent = client.post("/robot/compose", data=data | {"nonce": "n2", "confirm": "y"})
    assert sent.status_code == 302 and Send.query.count() == 2
    # The same form again is not sent twice, and warns of nothing.
    again = client.post("/robot/compose", data=data | {"nonce": "n2", "confirm": "y"})
    assert again.status_code == 302 and Send.query.count() == 2
    # Someone the directory does not know is named before sending.
    other = {"msg_key": "sampleText", "p_content": "新", "userid_list": "nobody404"}
    page = client.post("/robot/compose", data=other | {"nonce": "n3"})
    assert page.status_code == 200 and "nobody404" in page.text and Send.query.count() == 2


def test_a_large_robot_audience_is_confirmed_once_more(client, auth, app, sandbox):
    auth.login()
    client.get("/directory/search?q=a")  # the pickers' lookups build the snapshot
    app.config["SEND_CONFIRM_THRESHOLD"] = 2
    data = {"msg_key": "sampleText", "p_content": "全员", "dept_id_list": "1", "nonce": "a1"}
    page = client.post("/robot/compose", data=data)
    assert page.status_code == 200 and 'id="audience-confirm"' in page.text
    assert Send.query.count() == 0
    token = page.text.split('name="confirm_audience" value="')[1].split('"')[0]
    sent = client.post("/robot/compose", data=data | {"confirm_audience": token})
    assert sent.status_code == 302, sent.text
    assert Send.query.one().channel == "robot"
