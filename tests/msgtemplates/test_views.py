"""Template pages with the Flask test client: list, new, edit, duplicate, delete, preview, history."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.msgtemplates import service
from dashboard.msgtemplates.models import MessageTemplate


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def only() -> MessageTemplate:
    return db.session.execute(db.select(MessageTemplate)).scalar_one()


def test_create_edit_duplicate_delete(signed_in, sandbox):
    page = signed_in.get("/templates/new")
    assert page.status_code == 200
    reply = signed_in.post("/templates/new", data={"name": "周报", "msgtype": "markdown",
                           "markdown_title": "{project} 周报", "markdown_text": "{date} 请查看"})  # fmt: skip
    assert reply.status_code == 302
    template = only()
    assert template.fields["markdown_title"] == "{project} 周报" and template.created_by == "admin"
    listing = signed_in.get("/templates/").get_data(as_text=True)
    assert "周报" in listing and "{project}" in listing
    reply = signed_in.post(f"/templates/{template.id}/edit", data={"name": "周报", "msgtype": "markdown",
                           "markdown_title": "{project} 周报", "markdown_text": "{weekday} 请查看"})  # fmt: skip
    assert reply.status_code == 302
    page = signed_in.get(f"/templates/{template.id}").get_data(as_text=True)
    assert "markdown_text" in page and "admin" in page  # the history says what and who
    assert signed_in.post(f"/templates/{template.id}/duplicate").status_code == 302
    names = sorted(t.name for t in service.list_templates())
    assert names == ["周报", "周报（副本）"]
    assert signed_in.post(f"/templates/{template.id}/delete").status_code == 302
    assert [t.name for t in service.list_templates()] == ["周报（副本）"]
    assert signed_in.get(f"/templates/{template.id}").status_code == 404


def test_invalid_template_gets_messages_not_a_500(signed_in, sandbox):
    reply = signed_in.post("/templates/new", data={"name": "", "msgtype": "link"})
    assert reply.status_code == 200
    assert "is-invalid" in reply.get_data(as_text=True)
    service.create_template(name="a", fields={"msgtype": "text", "msg": "x"}, user="admin")
    reply = signed_in.post("/templates/new", data={"name": "a", "msgtype": "text", "msg": "y"})
    assert reply.status_code == 200 and "已有名为“a”的模板" in reply.get_data(as_text=True)


def test_preview_fills_the_values_and_names_what_is_missing(signed_in, sandbox):
    template = service.create_template(
        name="t", fields={"msgtype": "text", "msg": "{name}：{project} 于 {time} 截止 {due}"},
        user="admin",
    )  # fmt: skip
    page = signed_in.get(f"/templates/{template.id}?param.project=云帆").get_data(as_text=True)
    assert "张三：云帆 于 " in page  # a sample recipient
    assert "{due}" in page and "per-recipient-cost" in page
    assert "10000 people are 10000 calls" in page or "10000" in page


def test_pages_need_sign_in(client, sandbox):
    assert client.get("/templates/").status_code == 302
