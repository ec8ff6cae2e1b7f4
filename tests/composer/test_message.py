"""build_msg: the composer's fields (or a mapping of them) into each msgtype's DingTalk msg."""

from __future__ import annotations

import pytest

from dashboard.composer.fields import MSGTYPE_CHOICES, msgtype_label
from dashboard.composer.message import build_msg, message_summary, parse_buttons, parse_form_rows
from dashboard.dingtalk.messages import MSG_TYPES, validate_msg

CASES = [
    ("text", {"msg": "请提交日报\r\n谢谢"}, {"text": {"content": "请提交日报\n谢谢"}}),
    (
        "markdown",
        {"markdown_title": " 周报 ", "markdown_text": "# 标题\r\n- 一"},
        {"markdown": {"title": "周报", "text": "# 标题\n- 一"}},
    ),
    (
        "link",
        {
            "link_message_url": " https://example.com/a ",
            "link_pic_url": "@lADOpic",
            "link_title": "公告",
            "link_text": "第一行\r\n第二行",
        },
        {
            "link": {
                "messageUrl": "https://example.com/a",
                "picUrl": "@lADOpic",
                "title": "公告",
                "text": "第一行\n第二行",
            }
        },
    ),
    (
        "action_card",
        {
            "card_title": "审批",
            "card_markdown": "**请审批**",
            "card_style": "single",
            "card_single_title": "查看",
            "card_single_url": "https://example.com/s",
        },
        {
            "action_card": {
                "title": "审批",
                "markdown": "**请审批**",
                "single_title": "查看",
                "single_url": "https://example.com/s",
            }
        },
    ),
    (
        "action_card",
        {
            "card_title": "审批",
            "card_markdown": "**请审批**",
            "card_style": "buttons",
            "card_btn_orientation": "1",
            "card_buttons": "同意 | https://a.example\n\n 拒绝|https://b.example ",
        },
        {
            "action_card": {
                "title": "审批",
                "markdown": "**请审批**",
                "btn_orientation": "1",
                "btn_json_list": [
                    {"title": "同意", "action_url": "https://a.example"},
                    {"title": "拒绝", "action_url": "https://b.example"},
                ],
            }
        },
    ),
    (
        "oa",
        {
            "oa_message_url": "https://example.com/oa",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_status_value": "待处理",
            "oa_title": "报销",
            "oa_form": "姓名: 张三\n金额：100 元",
            "oa_rich_num": "100",
            "oa_rich_unit": "元",
            "oa_content": "请尽快\r\n处理",
            "oa_file_count": "03",
            "oa_author": "李四",
        },
        {
            "oa": {
                "message_url": "https://example.com/oa",
                "head": {"bgcolor": "FFBBBBBB", "text": "审批"},
                "status_bar": {"status_value": "待处理"},
                "body": {
                    "title": "报销",
                    "form": [
                        {"key": "姓名:", "value": "张三"},
                        {"key": "金额：", "value": "100 元"},
                    ],
                    "rich": {"num": "100", "unit": "元"},
                    "content": "请尽快\n处理",
                    "file_count": "3",
                    "author": "李四",
                },
            }
        },
    ),
    ("image", {"media_id": " @lADOimg "}, {"image": {"media_id": "@lADOimg"}}),
    ("file", {"media_id": "@lAzPfile"}, {"file": {"media_id": "@lAzPfile"}}),
    (
        "voice",
        {"media_id": "@lATPvoice", "voice_duration": "09"},
        {"voice": {"media_id": "@lATPvoice", "duration": "9"}},
    ),
]


@pytest.mark.parametrize(("msgtype", "fields", "expected"), CASES, ids=[c[0] for c in CASES])
def test_build_msg_of_each_msgtype(msgtype, fields, expected) -> None:
    msg = build_msg({"msgtype": msgtype, **fields})
    assert msg == {"msgtype": msgtype, **expected}
    validate_msg(msg)  # what the composer builds, the client library accepts


def test_every_msgtype_of_the_library_has_a_case_and_a_label() -> None:
    assert {c[0] for c in CASES} == set(MSG_TYPES)
    assert {value for value, _label in MSGTYPE_CHOICES} == set(MSG_TYPES)


def test_the_form_and_its_data_give_the_same_msg(app) -> None:
    from dashboard.chats.forms import ChatMessageForm

    data = {"msgtype": "markdown", "markdown_title": "周报", "markdown_text": "a\r\nb"}
    with app.test_request_context("/", method="POST", data=data):
        form = ChatMessageForm()
        assert (
            build_msg(form)
            == build_msg(data)
            == {
                "msgtype": "markdown",
                "markdown": {"title": "周报", "text": "a\nb"},
            }
        )


def test_no_msgtype_is_text() -> None:
    assert build_msg({"msg": "hi"}) == {"msgtype": "text", "text": {"content": "hi"}}


def test_a_malformed_button_list_still_previews_as_an_empty_list() -> None:
    fields = {"msgtype": "action_card", "card_style": "buttons", "card_buttons": "no separator"}
    assert build_msg(fields)["action_card"]["btn_json_list"] == []
    assert build_msg(fields)["action_card"]["btn_orientation"] == "0"


def test_parse_buttons_and_form_rows_name_the_bad_line(app) -> None:
    with app.test_request_context("/"):
        with pytest.raises(ValueError, match="only a title"):
            parse_buttons("ok | https://a\nonly a title")
        with pytest.raises(ValueError, match="no colon"):
            parse_form_rows("a: b\nno colon")
    assert parse_form_rows(" 部门：研发 ") == [{"key": "部门：", "value": "研发"}]


def test_msgtype_label_in_chinese_and_unknown_types_as_they_are(app) -> None:
    with app.test_request_context("/"):
        assert msgtype_label("action_card") == "卡片"
        assert msgtype_label("sampleText") == "sampleText"


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        ({"msgtype": "text", "text": {"content": "  你好\n世界 "}}, "你好\n世界"),
        ({"msgtype": "markdown", "markdown": {"title": "周报", "text": "# x"}}, "周报"),
        ({"msgtype": "action_card", "action_card": {"title": " ", "markdown": "**批**"}}, "**批**"),
        ({"msgtype": "oa", "oa": {"head": {"text": "头"}, "body": {"title": " ", "content": "内容"}}}, "内容"),
        ({"msgtype": "voice", "voice": {"media_id": "@lA", "duration": "7"}}, "@lA"),
        ({"msgtype": "text", "text": {"content": "长" * 100}}, "长" * 80),
        ({"msgtype": "file", "file": {}}, ""),
        ({"msgtype": "text"}, ""),
        (None, ""),
    ],
)  # fmt: skip
def test_message_summary_is_one_line_for_lists(msg, expected) -> None:
    assert message_summary(msg, (msg or {}).get("msgtype")) == expected
