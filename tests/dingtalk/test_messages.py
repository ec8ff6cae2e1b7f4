"""msg builders and validation (§2.1 field limits, 2048-byte cap)."""

from __future__ import annotations

import pytest

from dashboard.dingtalk import InvalidMessage, messages
from dashboard.dingtalk.messages import MAX_MSG_BYTES, build_msg, msg_size, validate_msg

OA_HEAD = {"bgcolor": "FFBBBBBB", "text": "头部"}


def test_every_type_builds_the_reference_shape() -> None:
    built = [
        messages.text("请提交日报"),
        messages.image("@lADOADmaWMzazQKA"),
        messages.voice("@lAvoice", 10),
        messages.file("@lAfile"),
        messages.link("https://x", "@lApic", "t", "d"),
        messages.oa(
            "https://x",
            OA_HEAD,
            {"title": "正文", "form": [{"key": "姓名:", "value": "张三"}]},
            pc_message_url="https://x",
            status_bar={"status_value": "进行中", "status_bg": "0xFFF65E5E"},
        ),
        messages.markdown("首屏文案", "# md"),
        messages.action_card("t", "md", "查看", "https://x"),
        messages.action_card_buttons(
            "t", "md", [("同意", "https://a"), ("拒绝", "https://b")], btn_orientation="1"
        ),
    ]
    assert [m["msgtype"] for m in built] == [
        "text",
        "image",
        "voice",
        "file",
        "link",
        "oa",
        "markdown",
        "action_card",
        "action_card",
    ]
    assert built[2]["voice"] == {"media_id": "@lAvoice", "duration": "10"}
    assert built[4]["link"] == {
        "messageUrl": "https://x",
        "picUrl": "@lApic",
        "title": "t",
        "text": "d",
    }
    assert built[8]["action_card"]["btn_json_list"][1] == {
        "title": "拒绝",
        "action_url": "https://b",
    }
    for msg in built:
        validate_msg(msg)


def test_build_msg_drops_none_fields() -> None:
    assert build_msg("text", content="hi", extra=None) == {
        "msgtype": "text",
        "text": {"content": "hi"},
    }


def test_msg_size_counts_utf8_bytes_of_compact_json() -> None:
    msg = {"msgtype": "text", "text": {"content": "张"}}
    assert msg_size(msg) == len('{"msgtype":"text","text":{"content":"张"}}'.encode())


def test_size_limit_is_2048_bytes_inclusive() -> None:
    overhead = msg_size({"msgtype": "text", "text": {"content": ""}})
    validate_msg({"msgtype": "text", "text": {"content": "a" * (MAX_MSG_BYTES - overhead)}})
    with pytest.raises(InvalidMessage, match="2048") as info:
        messages.text("a" * (MAX_MSG_BYTES - overhead + 1))
    assert info.value.field == "msg"


def test_multibyte_text_hits_the_byte_limit_before_the_char_count() -> None:
    with pytest.raises(InvalidMessage) as info:
        messages.text("张" * 700)  # 700 chars, 2100 bytes
    assert info.value.field == "msg"


@pytest.mark.parametrize(
    ("msg", "field"),
    [
        ("text", "msg"),
        ({"msgtype": "sticker", "sticker": {}}, "msgtype"),
        ({"msgtype": "text"}, "text"),
        ({"msgtype": "text", "text": {"content": "  "}}, "text.content"),
        ({"msgtype": "image", "image": {}}, "image.media_id"),
        ({"msgtype": "file", "file": {"media_id": 5}}, "file.media_id"),
        ({"msgtype": "voice", "voice": {"media_id": "@v"}}, "voice.duration"),
        ({"msgtype": "voice", "voice": {"media_id": "@v", "duration": "0"}}, "voice.duration"),
        ({"msgtype": "voice", "voice": {"media_id": "@v", "duration": "60"}}, "voice.duration"),
        ({"msgtype": "voice", "voice": {"media_id": "@v", "duration": "1.5"}}, "voice.duration"),
        (
            {
                "msgtype": "link",
                "link": {"messageUrl": "u", "picUrl": "p", "title": "t" * 101, "text": "d"},
            },
            "link.title",
        ),
        (
            {
                "msgtype": "link",
                "link": {"messageUrl": "u", "picUrl": "p", "title": "t", "text": "d" * 501},
            },
            "link.text",
        ),
        (
            {"msgtype": "link", "link": {"picUrl": "p", "title": "t", "text": "d"}},
            "link.messageUrl",
        ),
        ({"msgtype": "markdown", "markdown": {"title": "t", "text": "x" * 501}}, "markdown.text"),
        ({"msgtype": "markdown", "markdown": {"text": "x"}}, "markdown.title"),
        ({"msgtype": "oa", "oa": {"head": OA_HEAD, "body": {}}}, "oa.message_url"),
        ({"msgtype": "oa", "oa": {"message_url": "u", "body": {}}}, "oa.head"),
        (
            {
                "msgtype": "oa",
                "oa": {
                    "message_url": "u",
                    "head": {"bgcolor": "0xFFBBBB", "text": "h"},
                    "body": {},
                },
            },
            "oa.head.bgcolor",
        ),
        (
            {
                "msgtype": "oa",
                "oa": {
                    "message_url": "u",
                    "head": {"bgcolor": "FFBBBBBB", "text": "h" * 11},
                    "body": {},
                },
            },
            "oa.head.text",
        ),
        ({"msgtype": "oa", "oa": {"message_url": "u", "head": OA_HEAD}}, "oa.body"),
        (
            {
                "msgtype": "oa",
                "oa": {
                    "message_url": "u",
                    "head": OA_HEAD,
                    "body": {"form": [{"key": "k", "value": "v"}] * 7},
                },
            },
            "oa.body.form",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t" * 65,
                    "markdown": "m",
                    "single_title": "s",
                    "single_url": "u",
                },
            },
            "action_card.title",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m" * 1001,
                    "single_title": "s",
                    "single_url": "u",
                },
            },
            "action_card.markdown",
        ),
        ({"msgtype": "action_card", "action_card": {"title": "t", "markdown": "m"}}, "action_card"),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "single_title": "s" * 21,
                    "single_url": "u",
                },
            },
            "action_card.single_title",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "single_title": "s",
                    "single_url": "u" * 501,
                },
            },
            "action_card.single_url",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {"title": "t", "markdown": "m", "single_title": "s"},
            },
            "action_card.single_url",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "single_title": "s",
                    "single_url": "u",
                    "btn_json_list": [{"title": "a", "action_url": "b"}],
                },
            },
            "action_card",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "btn_orientation": "2",
                    "btn_json_list": [{"title": "a", "action_url": "b"}],
                },
            },
            "action_card.btn_orientation",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "btn_json_list": [{"title": "a" * 21, "action_url": "b"}],
                },
            },
            "action_card.btn_json_list[0].title",
        ),
        (
            {
                "msgtype": "action_card",
                "action_card": {
                    "title": "t",
                    "markdown": "m",
                    "btn_json_list": [{"title": "a", "action_url": "b"}, {"title": "c"}],
                },
            },
            "action_card.btn_json_list[1].action_url",
        ),
    ],
)
def test_invalid_messages_name_the_field(msg: object, field: str) -> None:
    with pytest.raises(InvalidMessage) as info:
        validate_msg(msg)
    assert info.value.field == field
    assert str(info.value).startswith(f"{field}: ")
    assert isinstance(info.value, ValueError)


def test_limits_are_inclusive() -> None:
    messages.link("u", "p", "t" * 100, "d" * 500)
    messages.markdown("t", "x" * 500)
    messages.voice("@v", 59)
    messages.voice("@v", "1")
    messages.action_card("t" * 64, "m" * 1000, "s" * 20, "https://" + "u" * 492)
    messages.oa(
        "u", {"bgcolor": "ffbbbbbb", "text": "h" * 10}, {"form": [{"key": "k", "value": "v"}] * 6}
    )


@pytest.mark.parametrize(
    "msg",
    [
        {"msgtype": "voice", "voice": {"media_id": "@lA", "duration": "０５"}},
        {"msgtype": "voice", "voice": {"media_id": "@lA", "duration": True}},
        {
            "msgtype": "link",
            "link": {
                "messageUrl": "https://x/" + "a" * 500,
                "picUrl": "@lA",
                "title": "t",
                "text": "d",
            },
        },
        {
            "msgtype": "oa",
            "oa": {
                "message_url": "https://x/" + "a" * 500,
                "head": {"bgcolor": "FFBBBBBB", "text": "h"},
                "body": {"title": "b"},
            },
        },
    ],
)
def test_urls_and_durations_are_held_to_the_reference(msg):
    with pytest.raises(InvalidMessage):
        validate_msg(msg)
