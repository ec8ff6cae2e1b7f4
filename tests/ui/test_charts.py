"""Pictures where people would rather look than read: server-drawn SVG with words."""

from __future__ import annotations

import re

import pytest

from dashboard.chats.models import Chat, ChatMessage
from dashboard.composer.preview import render_markdown
from dashboard.extensions import db

CHART = re.compile(
    r'<svg class="chart-svg" data-chart="(\w+)" role="img"[^>]*aria-labelledby="([\w-]+) ([\w-]+)"'
    r'[^>]*><title id="\2">([^<]+)</title><desc id="\3">([^<]+)</desc>'
)


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def charts(page: str) -> dict[str, tuple[str, str]]:
    """data-chart name: (title, description) of every chart of a page."""
    return {m[0]: (m[3], m[4]) for m in CHART.findall(page)}


def send(client, userids: str) -> str:
    data = {"msgtype": "text", "msg": "请提交日报", "userid_list": userids, "nonce": userids}
    return client.post(
        "/notifications/new", data=data | {"confirm": "y", "send_anyway": "1"}
    ).headers["Location"]


def test_a_send_draws_its_outcome_and_its_reads_over_time(signed_in, sandbox):
    url = send(signed_in, "u0001,u0002,u0003,ghost-1")
    sandbox.advance(6)  # delivered, nobody has read it yet (reads spread over an hour)
    signed_in.get(url)
    sandbox.advance(7200)
    page = signed_in.get(url).get_data(as_text=True)
    drawn = charts(page)
    title, desc = drawn["outcome"]
    assert title == "每位接收人的结果"
    assert re.search(r"已读: [0-3]; 未读: [0-3]; 失败: 0; 未送达: 0; 无效: 1", desc), desc
    assert "timeline" in drawn and "0/3" in drawn["timeline"][1]
    history = signed_in.get("/notifications/").get_data(as_text=True)
    assert re.search(r'aria-label="已读 [0-3]/3"', history)


def test_the_organisation_shows_head_count_by_department(signed_in):
    signed_in.get("/directory/search?q=zs")  # the snapshot the counts come from
    page = signed_in.get("/org/").get_data(as_text=True)
    title, desc = charts(page)["headcount"]
    assert title == "各部门人数（含下级部门）"
    assert "研发中心: " in desc


def test_a_chat_message_draws_who_read_it(signed_in, sandbox):
    members = ", ".join(f"u{n:04d}" for n in range(1, 7))
    settings = dict.fromkeys(
        ("showHistoryType", "searchable", "validationType", "mentionAllAuthority"), "0"
    ) | {"managementType": "0", "chatBannedType": "0"}
    signed_in.post(
        "/chats/new", data={"name": "项目群", "owner": "u0001", "useridlist": members, **settings}
    )
    chat = db.session.execute(db.select(Chat)).scalar_one()
    signed_in.post(f"/chats/{chat.chatid}", data={"msgtype": "text", "msg": "开会"})
    message = db.session.execute(db.select(ChatMessage)).scalar_one()
    page = signed_in.get(f"/chats/{chat.chatid}/messages/{message.id}").get_data(as_text=True)
    title, desc = charts(page)["read"]
    assert re.fullmatch(r"已读: \d; 未读: \d", desc), desc


def test_markdown_is_rendered_and_sanitised():
    html = str(
        render_markdown("# 周报\n- **完成** [详情](https://a.example/x)\n<script>x</script>")
    )
    assert "<h1>周报</h1>" in html and "<strong>完成</strong>" in html
    assert 'href="https://a.example/x"' in html and "<script>" not in html
    assert "href" not in str(render_markdown("[x](javascript:alert(1))"))
    # a picture is not fetched from another host by the preview
    assert "<img" not in str(render_markdown("![logo](https://cdn.example/logo.png)"))


def test_the_preview_shows_the_message_as_on_a_phone_and_folds_the_request(signed_in):
    reply = signed_in.post(
        "/notifications/preview",
        data={
            "msgtype": "action_card",
            "card_title": "审批",
            "card_markdown": "**请审批**",
            "card_style": "buttons",
            "card_buttons": "同意 | https://a.example/ok\n拒绝 | https://a.example/no",
            "card_btn_orientation": "1",
        },
    ).get_json()
    html = reply["phone_html"]
    assert "<strong>请审批</strong>" in html
    assert html.count('class="phone-button"') == 2 and "phone-buttons-row" in html
    page = signed_in.get("/notifications/new").get_data(as_text=True)
    assert '<details class="preview-request"' in page


def test_urls_must_be_web_addresses_and_the_form_says_which(signed_in):
    page = signed_in.post(
        "/notifications/preview",
        data={
            "msgtype": "link",
            "link_message_url": "javascript:alert(1)",
            "link_pic_url": "not a url",
            "link_title": "t",
            "link_text": "x",
        },
    ).get_json()
    message = "请填写以 http:// 或 https:// 开头的网址。"
    assert page["errors"]["link_message_url"] == [message]
    assert page["errors"]["link_pic_url"] == [message]
    assert not any("msg" in error or "url" in error.lower() for error in page["form_errors"])
