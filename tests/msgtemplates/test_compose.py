"""The composer with a template (its fields, its params, the per-recipient cost) and groups."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.groups.service import save_group
from dashboard.msgtemplates import service
from dashboard.notifications.models import Send


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


@pytest.fixture
def daily(app):
    return service.create_template(
        name="日报",
        fields={"msgtype": "text", "msg": "{weekday} 请提交 {project} 日报"},
        user="admin",
    )


def post(client, **fields):
    data = {"msgtype": "text", "userid_list": "u0001"} | fields
    return client.post("/notifications/new", data=data)


def test_the_chooser_fills_the_composer_and_asks_for_the_params(signed_in, daily, sandbox):
    page = signed_in.get(f"/notifications/new?template_id={daily.id}").get_data(as_text=True)
    assert "template-chooser" in page and "{weekday} 请提交 {project} 日报" in page
    assert 'name="param.project"' in page and 'name="param.weekday"' not in page


def test_an_unfilled_param_stops_the_send(signed_in, daily, sandbox):
    reply = post(signed_in, template_id=str(daily.id), msg=daily.fields["msg"])
    assert reply.status_code == 200
    assert "{project}" in reply.get_data(as_text=True)
    assert db.session.execute(db.select(Send)).first() is None


def test_a_template_send_fills_the_params(signed_in, daily, sandbox):
    reply = post(signed_in, template_id=str(daily.id), msg=daily.fields["msg"],
                 **{"param.project": "云帆"})  # fmt: skip
    assert reply.status_code == 302, reply.get_data(as_text=True)
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.msg["text"]["content"].endswith(" 请提交 云帆 日报") and "{" not in send.summary
    assert send.origin["template"]["name"] == "日报"


def test_per_recipient_cost_is_shown_before_sending(signed_in, sandbox):
    template = service.create_template(
        name="个人", fields={"msgtype": "text", "msg": "{name}，你好"}, user="admin"
    )
    fields = {"template_id": str(template.id), "msg": "{name}，你好", "userid_list": "",
              "dept_id_list": "11"}  # fmt: skip
    reply = post(signed_in, **fields)
    assert reply.status_code == 200
    page = reply.get_data(as_text=True)
    assert "presend-warnings" in page and "4" in page  # 测试组: 4 people, 4 calls
    assert db.session.execute(db.select(Send)).first() is None
    reply = post(signed_in, **fields, confirm="y")
    assert reply.status_code == 302, reply.get_data(as_text=True)
    send = db.session.execute(db.select(Send)).scalar_one()
    assert len(send.tasks) == 4 and all(t.msg_json for t in send.tasks)


def test_groups_are_recipients_and_recorded(signed_in, sandbox):
    group = save_group(None, name="测试组", userids=[], dept_ids=[11],
                       include_sub_departments=False, user="admin")  # fmt: skip
    page = signed_in.get("/notifications/new").get_data(as_text=True)
    assert "测试组" in page and 'name="group_ids"' in page
    reply = post(signed_in, userid_list="", msg="你好", group_ids=str(group.id))
    assert reply.status_code == 302, reply.get_data(as_text=True)
    send = db.session.execute(db.select(Send)).scalar_one()
    assert len(send.userids) == 4 and send.origin["groups"][0]["name"] == "测试组"


def test_the_live_preview_fills_the_values(signed_in, daily, sandbox):
    data = {"msgtype": "text", "userid_list": "u0001", "template_id": str(daily.id),
            "msg": daily.fields["msg"], "param.project": "云帆"}  # fmt: skip
    reply = signed_in.post("/notifications/preview", data=data).get_json()
    assert reply["msg"]["text"]["content"].endswith(" 请提交 云帆 日报")
    del data["param.project"]
    reply = signed_in.post("/notifications/preview", data=data).get_json()
    assert any("{project}" in e for e in reply["form_errors"])
