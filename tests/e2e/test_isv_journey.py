"""Chromium journey in ISV mode: switch between two companies and send a work notification in each."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from dashboard.sandbox.isv import DEMO_CORP_A as CORP_A
from dashboard.sandbox.isv import DEMO_CORP_B as CORP_B
from dashboard.sandbox.isv import IsvSandboxControl
from tests.e2e.conftest import sign_in

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


pytestmark = pytest.mark.isv


def switch_to(page, corpid: str, name: str) -> None:
    page.click("#company-switcher-button")
    page.click(f'#company-switcher button[data-corpid="{corpid}"]')
    expect(page.locator(".alert-success")).to_contain_text(name)
    expect(page.locator("#company-switcher-button")).to_contain_text(name)


def send_notice(page, text: str) -> None:
    page.goto("/notifications/new")
    picker = page.locator("#userid_list").locator("xpath=..").locator(".picker-input")
    picker.fill("u0001")
    page.locator(".picker-option").first.click()
    expect(page.locator("#userid_list")).to_have_value("u0001")
    page.fill("textarea[name=msg]", text)
    page.click("#send-button")
    expect(page.locator(".alert-success")).to_be_visible()


def test_switch_companies_and_send_in_each(page, sandbox, live_app):
    isv = IsvSandboxControl(sandbox.base_url)
    sign_in(page)

    page.goto("/isv/")
    expect(page.locator("#company-list tbody tr")).to_have_count(2)
    expect(page.locator("#company-list")).to_contain_text("云帆科技")
    expect(page.locator("#company-list")).to_contain_text("星河物流")
    expect(page.locator("#ticket-freshness")).to_have_text("已配置")

    switch_to(page, CORP_A, "云帆科技")
    send_notice(page, "云帆科技：今晚 20:00 发布")
    switch_to(page, CORP_B, "星河物流")
    send_notice(page, "星河物流：明早 9:00 盘点")

    page.goto("/isv/")
    for corpid in (CORP_A, CORP_B):
        expect(
            page.locator(f'#company-list tr[data-corpid="{corpid}"] .token-state')
        ).to_contain_text("已缓存")
    page.fill("input[name=timestamp]", "1445827045067")
    page.fill("input[name=ticket]", "TestSuiteTicket")
    page.click("#signature-debugger button[type=submit]")
    expect(page.locator("#signature-value")).to_have_text(
        "NLu3MWxBV1FT+UJLRl5Hiw3tLLw+5m14KkMRxN2qqik="
    )

    state = isv.state()
    assert state["corp_token_calls"] == {CORP_A: 1, CORP_B: 1}
    assert sandbox.stats()["calls"][ASYNCSEND] == 2
    assert sandbox.stats()["gettoken"] == 0
