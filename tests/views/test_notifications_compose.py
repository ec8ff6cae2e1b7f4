"""The composer: recipients rule, every msgtype's validation, prefill, preview."""

from __future__ import annotations

import json

import pytest

from dashboard.notifications.models import Send

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def sends_made(sandbox) -> int:
    return sandbox.stats()["calls"].get(ASYNCSEND, 0)


def post_compose(client, **fields):
    data = {"msgtype": "text", "msg": "请提交日报", "userid_list": "u0001"}
    data.update(fields)
    return client.post("/notifications/new", data={k: v for k, v in data.items() if v is not None})


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def test_composer_page_shows_fields_pickers_and_nonce(signed_in):
    page = signed_in.get("/notifications/new").get_data(as_text=True)
    assert 'name="userid_list"' in page and 'data-picker="users"' in page
    assert 'name="dept_id_list"' in page and 'data-picker="depts"' in page
    assert 'name="to_all_user"' in page
    assert 'name="nonce"' in page
    assert "js/composer.js" in page and "js/picker.js" in page


def test_query_string_prefills_the_recipients(signed_in):
    page = signed_in.get("/notifications/new?userid_list=u0001,u0002").get_data(as_text=True)
    assert "u0001,u0002</textarea>" in page


def test_no_recipients_is_refused_with_the_original_message(signed_in, sandbox):
    response = post_compose(signed_in, userid_list="")
    assert response.status_code == 200
    assert "userid_list,dept_id_list, to_all_user必须有一个不能为空" in response.get_data(
        as_text=True
    )
    assert sends_made(sandbox) == 0
    assert Send.query.count() == 0


def test_no_recipients_message_in_english(signed_in, sandbox):
    signed_in.post("/lang/en")
    response = post_compose(signed_in, userid_list="")
    page = response.get_data(as_text=True)
    assert "At least one of userid_list, dept_id_list and to_all_user is required." in page
    assert sends_made(sandbox) == 0


def test_department_ids_must_be_numbers(signed_in, sandbox):
    response = post_compose(signed_in, userid_list="", dept_id_list="2, sales")
    assert "“sales”" in response.get_data(as_text=True)
    assert sends_made(sandbox) == 0


LONG = "长" * 1001
CASES = [
    # (msgtype, fields, the error the admin sees)
    ("text", {"msg": ""}, "此项必填"),
    ("text", {"msg": "字" * 700}, "2048"),
    ("markdown", {"markdown_title": "", "markdown_text": "# hi"}, "此项必填"),
    ("markdown", {"markdown_title": "t", "markdown_text": ""}, "此项必填"),
    ("markdown", {"markdown_title": "t", "markdown_text": "x" * 501}, "最多 500 个字符"),
    (
        "link",
        {"link_message_url": "", "link_pic_url": "@m", "link_title": "t", "link_text": "d"},
        "此项必填",
    ),
    (
        "link",
        {"link_message_url": "https://a", "link_pic_url": "", "link_title": "t", "link_text": "d"},
        "此项必填",
    ),
    (
        "link",
        {
            "link_message_url": "https://a",
            "link_pic_url": "@m",
            "link_title": "t" * 101,
            "link_text": "d",
        },
        "最多 100 个字符",
    ),
    (
        "link",
        {
            "link_message_url": "https://a",
            "link_pic_url": "@m",
            "link_title": "t",
            "link_text": "d" * 501,
        },
        "最多 500 个字符（当前 501 个）",
    ),
    (
        "action_card",
        {
            "card_title": "",
            "card_markdown": "m",
            "card_single_title": "go",
            "card_single_url": "https://a",
        },
        "此项必填",
    ),
    (
        "action_card",
        {
            "card_title": "t" * 65,
            "card_markdown": "m",
            "card_single_title": "go",
            "card_single_url": "https://a",
        },
        "最多 64 个字符",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": LONG,
            "card_single_title": "go",
            "card_single_url": "https://a",
        },
        "最多 1000 个字符",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "m",
            "card_single_title": "",
            "card_single_url": "https://a",
        },
        "此项必填",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "m",
            "card_single_title": "按" * 21,
            "card_single_url": "https://a",
        },
        "最多 20 个字符",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "m",
            "card_single_title": "go",
            "card_single_url": "https://" + "a" * 500,
        },
        "最多 500 个字符（当前 508 个）",
    ),
    (
        "action_card",
        {"card_title": "t", "card_markdown": "m", "card_style": "buttons", "card_buttons": ""},
        "至少添加一个按钮",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "m",
            "card_style": "buttons",
            "card_buttons": "no url here",
        },
        "标题 | 链接",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "m",
            "card_style": "buttons",
            "card_buttons": "按" * 21 + " | https://a",
        },
        "超过 20 个字符",
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "m",
            "card_style": "buttons",
            "card_buttons": "ok | https://a",
            "card_btn_orientation": "2",
        },
        "请选择竖直或水平",
    ),
    ("sticker", {}, "请选择消息类型"),
    (
        "oa",
        {
            "oa_message_url": "",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_title": "t",
        },
        "此项必填",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://a",
            "oa_head_bgcolor": "0xFFBBBB",
            "oa_head_text": "审批",
            "oa_title": "t",
        },
        "不带 0x",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://a",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "头" * 11,
            "oa_title": "t",
        },
        "最多 10 个字符",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://a",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_form": "\n".join(f"k{i}: v" for i in range(7)),
        },
        "最多 6 行",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://a",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_form": "no colon",
        },
        "键: 值",
    ),
    (
        "oa",
        {"oa_message_url": "https://a", "oa_head_bgcolor": "FFBBBBBB", "oa_head_text": "审批"},
        "正文需要",
    ),
    ("image", {"media_id": ""}, "此项必填"),
    ("file", {"media_id": ""}, "此项必填"),
    ("voice", {"media_id": "@v", "voice_duration": ""}, "此项必填"),
    ("voice", {"media_id": "@v", "voice_duration": "60"}, "1 到 59"),
    ("voice", {"media_id": "@v", "voice_duration": "ten"}, "1 到 59"),
    # Full-width digits read as numbers in Python, not by DingTalk (duration is "1"-"59").
    ("voice", {"media_id": "@v", "voice_duration": "１０"}, "1 到 59"),
    # URLs: at most 500 characters wherever a message carries one.
    (
        "link",
        {
            "link_message_url": "https://x/" + "a" * 491,
            "link_pic_url": "@m",
            "link_title": "t",
            "link_text": "d",
        },
        "最多 500 个字符（当前 501 个）",
    ),
    (
        "link",
        {
            "link_message_url": "https://x",
            "link_pic_url": "https://p/" + "a" * 491,
            "link_title": "t",
            "link_text": "d",
        },
        "最多 500 个字符（当前 501 个）",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://x/" + "a" * 491,
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_title": "t",
        },
        "最多 500 个字符（当前 501 个）",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://a",
            "oa_pc_message_url": "https://x/" + "a" * 491,
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_title": "t",
        },
        "最多 500 个字符（当前 501 个）",
    ),
    (
        "oa",
        {
            "oa_message_url": "https://a",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "审批",
            "oa_title": "t",
            "oa_file_count": "３",
        },
        "必须是整数",
    ),
]


@pytest.mark.parametrize("msgtype,fields,error", CASES)
def test_each_msgtype_rule_is_checked_before_any_call(signed_in, sandbox, msgtype, fields, error):
    response = post_compose(signed_in, **({"msg": None} | fields | {"msgtype": msgtype}))
    assert response.status_code == 200
    assert error in response.get_data(as_text=True)
    assert sends_made(sandbox) == 0
    assert Send.query.count() == 0


VALID = [
    ("text", {"msg": "请提交日报"}, {"msgtype": "text", "text": {"content": "请提交日报"}}),
    (
        "markdown",
        {"markdown_title": "周报", "markdown_text": "# 本周\n- 完成"},
        {"msgtype": "markdown", "markdown": {"title": "周报", "text": "# 本周\n- 完成"}},
    ),
    (
        "link",
        {
            "link_message_url": "https://x",
            "link_pic_url": "@lA",
            "link_title": "t",
            "link_text": "d",
        },
        {
            "msgtype": "link",
            "link": {"messageUrl": "https://x", "picUrl": "@lA", "title": "t", "text": "d"},
        },
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "md",
            "card_single_title": "查看",
            "card_single_url": "https://x",
        },
        {
            "msgtype": "action_card",
            "action_card": {
                "title": "t",
                "markdown": "md",
                "single_title": "查看",
                "single_url": "https://x",
            },
        },
    ),
    (
        "action_card",
        {
            "card_title": "t",
            "card_markdown": "md",
            "card_style": "buttons",
            "card_btn_orientation": "1",
            "card_buttons": "同意 | https://a\n拒绝 | https://b",
        },
        {
            "msgtype": "action_card",
            "action_card": {
                "title": "t",
                "markdown": "md",
                "btn_orientation": "1",
                "btn_json_list": [
                    {"title": "同意", "action_url": "https://a"},
                    {"title": "拒绝", "action_url": "https://b"},
                ],
            },
        },
    ),
    (
        "oa",
        {
            "oa_message_url": "https://x",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "头部",
            "oa_title": "正文",
            "oa_form": "姓名: 张三",
            "oa_author": "李四",
        },
        {
            "msgtype": "oa",
            "oa": {
                "message_url": "https://x",
                "head": {"bgcolor": "FFBBBBBB", "text": "头部"},
                "body": {
                    "title": "正文",
                    "form": [{"key": "姓名:", "value": "张三"}],
                    "author": "李四",
                },
            },
        },
    ),
    (
        "image",
        {"media_id": "@lADOADmaWMzazQKA"},
        {"msgtype": "image", "image": {"media_id": "@lADOADmaWMzazQKA"}},
    ),
    ("file", {"media_id": "@lAf"}, {"msgtype": "file", "file": {"media_id": "@lAf"}}),
    (
        "voice",
        {"media_id": "@lAv", "voice_duration": "10"},
        {"msgtype": "voice", "voice": {"media_id": "@lAv", "duration": "10"}},
    ),
    (
        "voice",
        {"media_id": "@lAv", "voice_duration": "07"},
        {"msgtype": "voice", "voice": {"media_id": "@lAv", "duration": "7"}},
    ),
    (
        "link",
        {
            "link_message_url": "https://x/" + "a" * 490,
            "link_pic_url": "@lA",
            "link_title": "t",
            "link_text": "d",
        },
        {
            "msgtype": "link",
            "link": {
                "messageUrl": "https://x/" + "a" * 490,
                "picUrl": "@lA",
                "title": "t",
                "text": "d",
            },
        },
    ),
    (
        "oa",
        {
            "oa_message_url": "https://x",
            "oa_head_bgcolor": "FFBBBBBB",
            "oa_head_text": "头部",
            "oa_content": "c",
            "oa_file_count": "03",
        },
        {
            "msgtype": "oa",
            "oa": {
                "message_url": "https://x",
                "head": {"bgcolor": "FFBBBBBB", "text": "头部"},
                "body": {"content": "c", "file_count": "3"},
            },
        },
    ),
    (
        # 500 characters as sent: a browser's CRLF line breaks count once, as the LF sent.
        "markdown",
        {"markdown_title": "t", "markdown_text": "a\r\n" * 249 + "a"},
        {"msgtype": "markdown", "markdown": {"title": "t", "text": "a\n" * 249 + "a"}},
    ),
]


@pytest.mark.parametrize("msgtype,fields,msg", VALID)
def test_each_msgtype_sends_the_exact_msg(signed_in, sandbox, msgtype, fields, msg):
    response = post_compose(signed_in, **({"msg": None} | fields | {"msgtype": msgtype}))
    assert response.status_code == 302, response.get_data(as_text=True)
    send = Send.query.one()
    assert send.msg == msg
    assert send.state == "submitted"
    assert sends_made(sandbox) == 1
    assert sandbox.task(send.tasks[0].task_id)["msg"] == msg  # what DingTalk received


def test_preview_returns_msg_size_and_redacted_request(signed_in, app):
    reply = signed_in.post(
        "/notifications/preview",
        data={
            "msgtype": "markdown",
            "markdown_title": "周报",
            "markdown_text": "# hi",
            "userid_list": "u0001\nu0002",
            "dept_id_list": "2",
        },
    ).get_json()
    assert reply["msg"] == {"msgtype": "markdown", "markdown": {"title": "周报", "text": "# hi"}}
    assert reply["size"] == len(
        json.dumps(reply["msg"], ensure_ascii=False, separators=(",", ":")).encode()
    )
    assert reply["calls"] == 1
    request = reply["requests"][0]
    assert request["line"].endswith(
        "/topapi/message/corpconversation/asyncsend_v2?access_token=***"
    )
    assert request["body"] == {
        "agent_id": int(app.config["DINGTALK_AGENT_ID"]),
        "msg": reply["msg"],
        "userid_list": "u0001,u0002",
        "dept_id_list": "2",
        "to_all_user": False,
    }


def test_preview_reports_errors_without_sending(signed_in, sandbox):
    reply = signed_in.post(
        "/notifications/preview", data={"msgtype": "markdown", "markdown_text": "x" * 501}
    ).get_json()
    assert reply["valid"] is False
    assert "markdown_text" in reply["errors"] and "markdown_title" in reply["errors"]
    assert sends_made(sandbox) == 0


def test_browser_line_endings_are_sent_as_newlines(signed_in):
    post_compose(
        signed_in, msgtype="markdown", msg=None, markdown_title="t", markdown_text="# a\r\n- b"
    )
    assert Send.query.one().msg["markdown"]["text"] == "# a\n- b"


def test_send_anyway_without_ticking_the_box_says_so(signed_in):
    form = {"msgtype": "text", "msg": "重复提醒", "userid_list": "u0001"}
    signed_in.post("/notifications/new", data=form)
    page = signed_in.post("/notifications/new", data=form | {"send_anyway": "1"})
    assert "如仍要发送，请勾选此项。" in page.get_data(as_text=True)


def test_the_people_picker_is_told_where_the_groups_are(signed_in):
    from dashboard.groups.service import save_group

    assert 'id="picker-groups"' not in signed_in.get("/notifications/new").get_data(as_text=True)
    save_group(None, name="值班", description="", userids=["u0001"], dept_ids=[],
               include_sub_departments=False, user="admin")  # fmt: skip
    page = signed_in.get("/notifications/new").get_data(as_text=True)
    config = page.split('id="picker-groups">', 1)[1].split("</script>", 1)[0]
    assert json.loads(config) == {"url": "/groups/options.json", "field": "group_ids"}
    assert 'name="group_ids"' in page  # the no-JS fallback the picker fills
