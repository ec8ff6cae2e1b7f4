"""Templates: placeholders, rendering with built-ins and params, per-recipient sends, history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dashboard.directory.snapshot import get_snapshot
from dashboard.extensions import db
from dashboard.msgtemplates import service
from dashboard.msgtemplates.models import MessageTemplate
from dashboard.msgtemplates.service import TemplateError
from dashboard.notifications import sending
from dashboard.notifications.models import Send

#: 2026-12-02 09:30 in Shanghai (a Wednesday).
WHEN = datetime(2026, 12, 2, 1, 30, tzinfo=UTC)


def make(name="日报提醒", **fields) -> MessageTemplate:
    fields = {"msgtype": "text", "msg": "{date}（{weekday}）请提交 {project} 日报"} | fields
    return service.create_template(name=name, fields=fields, user="admin")


def test_placeholders_in_order_once_with_literal_braces():
    text = "{name}: {{literal}} {project} {name} {0} { spaced } {项目}"
    assert service.placeholders_in(text) == ["name", "project", "项目"]
    assert service.fill(text, {"name": "张三", "project": "X", "项目": "Y"}) == (
        "张三: {literal} X 张三 {0} { spaced } Y",
        [],
    )


def test_builtins_in_the_ui_language_and_in_shanghai_time():
    assert service.builtin_values(WHEN, "zh") == {
        "date": "2026年12月2日",
        "weekday": "星期三",
        "time": "09:30",
    }
    assert service.builtin_values(WHEN, "en") == {
        "date": "December 2, 2026",
        "weekday": "Wednesday",
        "time": "09:30",
    }


def test_render_fills_builtins_and_free_fields(app):
    template = make()
    assert not service.per_recipient(template)
    assert service.free_placeholders(template) == ["project"]
    msg = service.render_template_message(template.id, {"project": "云帆"}, when=WHEN, lang="zh")
    assert msg == {
        "msgtype": "text",
        "text": {"content": "2026年12月2日（星期三）请提交 云帆 日报"},
    }
    english = service.render_template_message(template, {"project": "X"}, when=WHEN, lang="en")
    assert english["text"]["content"] == "December 2, 2026（Wednesday）请提交 X 日报"


def test_an_unfilled_placeholder_stops_with_its_name(app):
    template = make(msg="{project} 的 {deadline} 截止")
    with pytest.raises(TemplateError) as caught:
        service.render_template_message(template, {"project": "X"}, when=WHEN, lang="zh")
    assert caught.value.missing == ("deadline",)
    assert "{deadline}" in str(caught.value) and "日报提醒" in str(caught.value)


def test_unknown_template_and_bad_param_values(app):
    with pytest.raises(TemplateError, match="999"):
        service.render_template_message(999, {}, when=WHEN, lang="zh")
    template = make()
    with pytest.raises(TemplateError, match="project"):
        service.render_template_message(template, {"project": ["a"]}, when=WHEN, lang="zh")


def test_any_msgtype_markdown_and_action_card(app):
    template = make(
        name="卡片",
        msgtype="action_card",
        msg="",
        card_title="{project} 周报",
        card_markdown="### {date}\n请 {name} 查看",
        card_style="single",
        card_single_title="打开",
        card_single_url="https://example.com/{project}",
    )
    assert service.per_recipient(template)
    msg = service.render_template_message(
        template,
        {"project": "p1"},
        when=WHEN,
        lang="zh",
        recipient=service.Recipient("u1", "张三", "研发中心"),
    )
    card = msg["action_card"]
    assert card["title"] == "p1 周报"
    assert card["markdown"] == "### 2026年12月2日\n请 张三 查看"
    assert card["single_url"] == "https://example.com/p1"
    # Without a recipient a per-recipient template names what is missing, unless kept.
    with pytest.raises(TemplateError) as caught:
        service.render_template_message(template, {"project": "p1"}, when=WHEN, lang="zh")
    assert caught.value.missing == ("name",)
    kept = service.render_template_message(
        template, {"project": "p1"}, when=WHEN, lang="zh", keep_per_recipient=True
    )
    assert "{name}" in kept["action_card"]["markdown"]


def test_a_filled_message_over_2048_bytes_is_refused(app):
    template = make(msg="{text}")
    with pytest.raises(TemplateError, match="2048"):
        service.render_template_message(template, {"text": "字" * 1000}, when=WHEN, lang="zh")


def test_per_recipient_send_is_one_call_per_person_each_with_their_message(app, sandbox):
    template = make(name="个人", msg="{name}（{department}）你好，{project}")
    snapshot = get_snapshot()
    userids = ["manager01", "manager02", "u0001"]
    msgs = service.render_per_recipient(
        template, {"project": "X"}, userids, when=WHEN, lang="zh", snapshot=snapshot
    )
    assert list(msgs) == userids
    first = snapshot.users["manager01"]
    dept = snapshot.dept_name(first.departments[0])
    assert msgs["manager01"]["text"]["content"] == f"{first.name}（{dept}）你好，X"
    base = service.render_template_message(
        template, {"project": "X"}, when=WHEN, lang="zh", keep_per_recipient=True
    )
    send = sending.send_work_notice(
        msg=base,
        userid_list=None,
        dept_id_list=None,
        to_all_user=False,
        sender="admin",
        personal_msgs=msgs,
    )
    send = db.session.get(Send, send.id)
    assert send.state == "submitted"
    assert [t.userids for t in send.tasks] == [[u] for u in userids]
    assert [t.msg for t in send.tasks] == [msgs[u] for u in userids]
    assert send.msg["text"]["content"] == "{name}（{department}）你好，X"
    for task in send.tasks:
        recorded = sandbox.task(task.task_id)
        assert recorded["msg"] == msgs[task.userids[0]]


def test_cost_of_a_per_recipient_send():
    cost = service.per_recipient_cost(10_000, 20)
    assert cost.calls == 10_000 and cost.seconds == 500 and cost.minutes == 8


def test_history_of_create_update_duplicate_delete(app):
    template = make()
    assert (
        service.update_template(
            template, name="日报提醒", fields=dict(template.fields), user="admin"
        )
        == []
    )
    changed = service.update_template(
        template,
        name="日报提醒",
        fields=template.fields | {"msg": "{project} 日报"},
        user="editor",
        description="每天 17:00",
    )
    assert changed == ["description", "msg"]
    copy = service.duplicate_template(template, user="editor")
    again = service.duplicate_template(template, user="editor")
    assert copy.name == "日报提醒（副本）" and again.name == "日报提醒（副本 2）"
    template_id = template.id
    service.delete_template(template, user="admin")
    history = service.revisions(template_id)
    assert [(r.action, r.user) for r in history] == [
        ("deleted", "admin"),
        ("updated", "editor"),
        ("created", "admin"),
    ]
    assert history[1].fields["msg"] == "{project} 日报"
    assert service.revisions(copy.id)[0].source_id == template_id
    with pytest.raises(TemplateError, match="已有"):
        service.create_template(name=copy.name, fields={"msgtype": "text"}, user="admin")


def test_errors_are_worded_outside_a_request_too(app, outside_request):
    """The schedules' worker renders templates with no request: the message is Chinese."""
    template = make(msg="{due}")
    with pytest.raises(TemplateError, match="发送前请填写 {due}"):
        service.render_template_message(template, {}, when=WHEN, lang="zh")
