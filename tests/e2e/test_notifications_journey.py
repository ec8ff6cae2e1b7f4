"""The admin's journey in real Chromium: compose a markdown notice to two departments and
150 named users, watch it reach 100 %, read the per-recipient result with names, recall it;
plus the no-recipients error and the composer on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.sandbox.demo import build_company
from tests.e2e.conftest import ARTIFACTS, pick

COMPANY = build_company()
USERIDS = sorted(COMPANY.users)


def sign_in(page) -> None:
    """Sign in through the login form (its own submit button, not the navbar's language switch)."""
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-password")
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def test_compose_send_follow_and_recall(page, sandbox):
    sign_in(page)
    page.goto("/groups/new")
    page.fill("input[name=name]", "市场小组")
    pick(page, "dept_id_list", "市场部")
    page.click("main button[type=submit]")
    page.goto("/notifications/new")

    page.fill("textarea[name=msg]", "没有接收人")
    page.click("#send-button")
    expect(page.locator(".alert-danger").first).to_contain_text(
        "userid_list,dept_id_list, to_all_user必须有一个不能为空"
    )

    page.select_option("select[name=msgtype]", "markdown")
    page.fill("input[name=markdown_title]", "本周安排")
    page.fill("textarea[name=markdown_text]", "# 本周安排\n- 周五前提交周报")
    pick(page, "dept_id_list", "研发中心")
    pick(page, "dept_id_list", "市场部")
    first_name = COMPANY.users[USERIDS[0]].name
    pick(page, "userid_list", first_name)
    page.eval_on_selector(
        "textarea[name=userid_list]",
        """(el, ids) => { el.value = [el.value, ...ids].filter(Boolean).join(",");
                          el.dispatchEvent(new Event("input", {bubbles: true})); }""",
        USERIDS[1:],
    )
    assert page.input_value("textarea[name=dept_id_list]") == "2,4"
    # The people picker offers the group (with whom it reaches now) and selects it in the
    # group field; its chip's close button takes it off again.
    people_box = page.locator("textarea[name=userid_list] + * input").first
    people_box.fill("市场小组")
    expect(page.locator(".picker-option-group")).to_contain_text(
        re.compile(r"收件人组\s*市场小组.*\d+ 人")
    )
    people_box.press("Enter")
    group_chip = page.locator(".picker-chip-group")
    expect(group_chip).to_contain_text("市场小组")
    assert page.eval_on_selector("select[name=group_ids]", "s => s.selectedOptions.length") == 1
    group_chip.locator("button").click()
    expect(group_chip).to_have_count(0)
    assert page.eval_on_selector("select[name=group_ids]", "s => s.selectedOptions.length") == 0

    request = page.locator('[data-preview="request"]')
    expect(request).to_contain_text("access_token=***")
    expect(request).to_contain_text("共 2 次钉钉调用")
    expect(request).to_contain_text('"agent_id": 100001,\n  "msg": {')
    expect(page.locator('[data-preview="message"]')).to_contain_text("周五前提交周报")

    page.click("#send-button")
    page.wait_for_url(re.compile(r"/notifications/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("共 2 个任务")
    expect(page.locator("#send-progress tbody tr")).to_have_count(2)

    sandbox.advance(120)
    expect(page.locator('[data-status="percent"]')).to_have_text("100 %", timeout=20000)
    result = page.locator("#send-result-card")
    expect(result).to_be_visible(timeout=20000)
    expect(result).to_contain_text(f"{first_name} ({USERIDS[0]})")
    expect(page.locator('[data-status="state"]')).to_have_text("已完成")
    expect(page.locator('[data-status="bar"]')).to_have_attribute("aria-valuenow", "100")
    # each task row says it is done, not the "queued" it said when the page loaded
    expect(page.locator('#send-progress [data-task-field="state"]')).to_have_text(
        ["已完成", "已完成"]
    )
    page.wait_for_timeout(1000)  # the progress bar's CSS transition, for the screenshot only
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "notification-send.png"), full_page=False)

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#recall-button")
    expect(page.locator(".alert-success")).to_contain_text("通知已撤回。")
    expect(page.locator('[data-status="state"]')).to_have_text("已撤回")
    assert sandbox.stats()["calls"]["/topapi/message/corpconversation/recall"] == 2


def test_composer_fits_a_phone(browser, live_app):
    context = browser.new_context(
        base_url=live_app.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    try:
        sign_in(page)
        page.goto("/notifications/new?userid_list=u0001")
        page.select_option("select[name=msgtype]", "action_card")
        expect(page.locator("input[name=card_title]")).to_be_visible()
        expect(page.locator("input[name=markdown_title]")).to_be_hidden()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "notification-compose-phone.png"), full_page=True)
    finally:
        context.close()
