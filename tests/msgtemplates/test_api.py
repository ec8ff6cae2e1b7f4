"""templateList, and asyncsend_v2 with template_id + params, on the sandbox."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.msgtemplates import service
from dashboard.notifications.models import Send
from tests.api.conftest import ApiCaller


@pytest.fixture
def api(client, app):
    from dashboard.api.auth import create_token

    return ApiCaller(client, create_token(name="hr-script", scope="send", created_by="admin")[1])


@pytest.fixture
def daily(app):
    return service.create_template(
        name="日报", fields={"msgtype": "text", "msg": "{date} 请提交 {project} 日报"}, user="admin"
    )


@pytest.fixture
def personal(app):
    return service.create_template(
        name="问候",
        fields={"msgtype": "markdown", "markdown_title": "你好", "markdown_text": "{name}，{x}"},
        user="admin",
    )


def test_template_list(api, daily, personal):
    reply = api("templateList")
    assert reply.status_code == 200
    rows = reply.get_json()["data"]["templates"]
    assert [(r["name"], r["params"], r["per_recipient"]) for r in rows] == [
        ("日报", ["project"], False),
        ("问候", ["x"], True),
    ]
    assert rows[0]["msg"] == {
        "msgtype": "text",
        "text": {"content": "{date} 请提交 {project} 日报"},
    }


def test_send_with_a_template_fills_its_params(api, daily, sandbox):
    reply = api("asyncsend_v2", {"userid_list": "u0001", "template_id": daily.id,
                                 "params": {"project": "云帆"}})  # fmt: skip
    assert reply.status_code == 200, reply.get_json()
    task = sandbox.task(reply.get_json()["data"]["task_id"])
    assert task["msg"]["text"]["content"].endswith(" 请提交 云帆 日报")
    assert "{date}" not in task["msg"]["text"]["content"]
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.origin["template"] == {
        "id": daily.id,
        "name": "日报",
        "params": {"project": "云帆"},
    }


def test_params_as_a_json_string_in_a_form_body(api, daily, sandbox):
    form = {"userid_list": "u0001", "template_id": str(daily.id), "params": '{"project": "X"}'}
    assert api("asyncsend_v2", form=form).status_code == 200


def test_an_unfilled_placeholder_refuses_the_send_naming_it(api, daily, sandbox):
    reply = api("asyncsend_v2", {"userid_list": "u0001", "template_id": daily.id})
    assert reply.status_code == 400
    assert "{project}" in reply.get_json()["msg"]
    assert db.session.execute(db.select(Send)).first() is None
    assert sandbox.stats()["calls"].get("/topapi/message/corpconversation/asyncsend_v2", 0) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"userid_list": "u0001", "template_id": 999}, "999"),
        ({"userid_list": "u0001", "template_id": 1, "params": "[1]"}, "params"),
        ({"userid_list": "u0001", "template_id": 1, "params": {"a": ["b"]}}, "params"),
        ({"userid_list": "u0001"}, "msg不能为空"),
        ({"template_id": 1}, "userid_list,dept_id_list, to_all_user必须有一个不能为空"),
    ],
)
def test_bad_template_fields_are_clear_400s(api, daily, sandbox, body, message):
    reply = api("asyncsend_v2", body)
    assert reply.status_code == 400
    assert message in reply.get_json()["msg"]


def test_a_per_recipient_template_is_one_call_per_person(api, personal, sandbox):
    reply = api("asyncsend_v2", {"dept_id_list": [11], "template_id": personal.id,
                                 "params": {"x": "周报已出"}})  # fmt: skip
    assert reply.status_code == 202, reply.get_json()
    send = db.session.get(Send, reply.get_json()["data"]["send_id"])
    assert len(send.tasks) == 4 and all(len(t.userids) == 1 for t in send.tasks)  # 测试组: 4
    for task in send.tasks:
        text = sandbox.task(task.task_id)["msg"]["markdown"]["text"]
        assert text.endswith("，周报已出") and not text.startswith("{name}")
    assert send.dept_ids == []


def test_openapi_describes_the_new_fields(client, sandbox):
    spec = client.get("/api/openapi.json").get_json()
    body = spec["paths"]["/api/dingtalkserve/asyncsend_v2"]["post"]["requestBody"]
    props = body["content"]["application/json"]["schema"]["properties"]
    assert {"template_id", "params", "group_ids"} <= set(props)
    assert props["params"]["oneOf"][0]["type"] == "object"
    assert "/api/dingtalkserve/templateList" in spec["paths"]
