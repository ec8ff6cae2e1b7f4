"""Chromium journey: create a chat of 12 named people, send text and markdown, see who read."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

TWELVE = [f"u{n:04d}" for n in range(1, 13)]


def sign_in(page) -> None:
    """Like conftest.sign_in, but clicks the form's button, not the navbar's language switch."""
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-password")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def test_create_send_and_read_list(page, app, sandbox):
    from dashboard.directory.snapshot import refresh_snapshot

    with app.test_request_context():
        names = refresh_snapshot()
    sign_in(page)

    page.goto("/chats/new")
    page.fill("input[name=name]", "发布应急群")
    picker = page.locator("#new-chat .picker-input")
    for userid in TWELVE:
        picker.fill(names.user_name(userid))
        page.locator(".picker-option", has_text=userid).click()
    expect(page.locator("#new-chat .picker-chip")).to_have_count(12)
    # the first member picked is offered as the owner, the others as choices
    expect(page.locator("input[name=owner]")).to_have_value("u0001")
    expect(page.locator("#owner-options option")).to_have_count(12)
    page.select_option("select[name=searchable]", "1")
    page.click("#new-chat button[type=submit]")

    expect(page.locator("#chat-name")).to_have_text("发布应急群")
    expect(page.locator("#chat-status")).to_have_text("正常")
    members = page.locator("#chat-members li")
    expect(members).to_have_count(12)
    first_name = names.user_name("u0001")
    expect(page.locator("#chat-owner")).to_have_text(f"{first_name} (u0001)")
    expect(members.first).to_contain_text(first_name)

    page.fill("textarea[name=msg]", "今晚 20:00 发布，请各位待命")
    expect(page.locator('[data-preview="message"]')).to_contain_text("今晚 20:00 发布")
    expect(page.locator('[data-preview="request"]')).to_contain_text("/chat/send")
    page.click("#send-button")
    expect(page.locator(".alert-success")).to_contain_text("消息已发送到群中。")

    page.select_option("select[name=msgtype]", "markdown")
    page.fill("input[name=markdown_title]", "发布清单")
    page.fill("textarea[name=markdown_text]", "## 发布清单\n- 数据库迁移\n- 灰度 10%")
    expect(page.locator('[data-preview="message"]')).to_contain_text("发布清单")
    page.click("#send-button")
    expect(page.locator(".alert-success")).to_contain_text("消息已发送到群中。")

    rows = page.locator("#chat-messages tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Markdown")  # the type in words, not the msgtype
    expect(rows.last).to_contain_text("今晚 20:00 发布")

    sandbox.set_knobs(chat_read_ratio=0.5)  # about half of the 12 read: both lists have people
    sandbox.advance(3600)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chats_chat_page.png"), full_page=True)

    chat_url = page.url
    for index, label in ((1, "text"), (0, "markdown")):
        page.goto(chat_url)
        page.locator("#chat-messages tbody tr").nth(index).get_by_role("link").click()
        expect(page.locator("#read-heading")).to_have_text(re.compile(r"已读（\d+ / 12）"))
        read = int(re.search(r"（(\d+) /", page.locator("#read-heading").inner_text()).group(1))
        unread_heading = page.locator("#unread-heading")
        expect(unread_heading).to_have_text(f"未读（{12 - read} / 12）")
        assert 0 < read < 12
        expect(page.locator("#read-list li[data-userid]")).to_have_count(read)
        expect(page.locator("#unread-list li[data-userid]")).to_have_count(12 - read)
        shown = page.locator(
            "#read-list li[data-userid], #unread-list li[data-userid]"
        ).all_inner_texts()
        assert sorted(re.search(r"\((u\d{4})\)", t).group(1) for t in shown) == TWELVE
        assert all(names.user_name(re.search(r"\((u\d{4})\)", t).group(1)) in t for t in shown)
        page.screenshot(path=str(ARTIFACTS / f"chats_read_list_{label}.png"), full_page=True)

    # The same pages in English (also readable on machines without CJK fonts).
    page.click("#lang-switch")
    expect(page.locator("#read-heading")).to_have_text(re.compile(r"Read \(\d+ of 12\)"))
    page.screenshot(path=str(ARTIFACTS / "chats_read_list_en.png"), full_page=True)
    page.goto(chat_url)
    expect(page.locator("#chat-status")).to_have_text("Normal")
    page.screenshot(path=str(ARTIFACTS / "chats_chat_page_en.png"), full_page=True)
