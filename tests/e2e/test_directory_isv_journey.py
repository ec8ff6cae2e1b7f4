"""The recipient picker in ISV mode, in Chromium: before a company is chosen it says so."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.sandbox.isv import DEMO_CORP_A as CORP_A
from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.isv


def test_the_picker_asks_for_a_company_then_searches_it(page):
    sign_in(page)
    page.goto("/notifications/new")
    box = page.locator("textarea[name=userid_list] + .picker .picker-input")
    suggestions = page.locator("textarea[name=userid_list] + .picker .picker-suggestions")
    box.click()
    box.press_sequentially("u0001")
    expect(suggestions).to_contain_text("请先在切换器中选择企业。")
    expect(suggestions).not_to_contain_text("搜索失败")

    page.click("#company-switcher-button")
    page.click(f'#company-switcher button[data-corpid="{CORP_A}"]')
    expect(page.locator("#company-switcher-button")).to_contain_text("云帆科技")
    page.goto("/notifications/new")
    box.click()
    box.press_sequentially("u0001")
    expect(
        page.locator("textarea[name=userid_list] + .picker .picker-option").first
    ).to_contain_text("u0001")
