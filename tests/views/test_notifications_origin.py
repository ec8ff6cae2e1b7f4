"""The send's page says how it was chosen: the template with its params, and each recipient
group as it was resolved when sending, with the people it reached then."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.groups.service import save_group
from dashboard.msgtemplates import service
from dashboard.notifications.models import Send
from dashboard.sandbox.demo import build_company


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def test_the_page_shows_the_template_params_and_groups_as_resolved(signed_in, sandbox):
    template = service.create_template(
        name="日报", fields={"msgtype": "text", "msg": "请提交 {project} 日报"}, user="admin"
    )
    group = save_group(None, name="测试组", userids=["ghost"], dept_ids=[11],
                       include_sub_departments=False, user="admin")  # fmt: skip
    reply = signed_in.post("/notifications/new", data={
        "msgtype": "text", "userid_list": "", "template_id": str(template.id),
        "msg": template.fields["msg"], "param.project": "云帆", "group_ids": str(group.id),
    })  # fmt: skip
    assert reply.status_code == 302, reply.get_data(as_text=True)
    send = db.session.execute(db.select(Send)).scalar_one()
    people = send.origin["groups"][0]["people"]
    assert len(people) == 4
    # The group changes afterwards: the page still says whom it reached when sent.
    save_group(group, name="测试组（改）", userids=["boss01"], dept_ids=[],
               include_sub_departments=False, user="admin")  # fmt: skip
    page = signed_in.get(f"/notifications/{send.id}").get_data(as_text=True)
    origin = page.split('id="send-origin"', 1)[1].split('<div class="col-lg-7', 1)[0]
    assert f'href="/templates/{template.id}"' in origin
    assert "日报" in origin and "{project}" in origin and "云帆" in origin
    assert f'/groups/{group.id}"' in origin and "测试组" in origin and "测试组（改）" not in origin
    assert "发送时 4 人" in origin
    assert "ghost" in origin  # not in the directory, not sent to
    company = build_company()
    for userid in people:
        assert f"{company.users[userid].name} ({userid})" in origin
    assert "boss01" not in origin


def test_a_plain_send_has_no_origin_card(signed_in, sandbox):
    reply = signed_in.post(
        "/notifications/new", data={"msgtype": "text", "msg": "你好", "userid_list": "u0001"}
    )
    assert reply.status_code == 302
    send = db.session.execute(db.select(Send)).scalar_one()
    assert 'id="send-origin"' not in signed_in.get(f"/notifications/{send.id}").get_data(
        as_text=True
    )
