"""The admin schedules a weekly notice in real Chromium: the composer's "定时发送" shows the
schedule's fields (and only the chosen recurrence's), saving lands on the schedule with its
next run in Asia/Shanghai, "立即运行" makes a send of the history, and the list shows it
as the last run."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.conftest import sign_in


def test_schedule_a_weekly_notice_and_run_it_now(page):
    sign_in(page)
    page.goto("/notifications/new?userid_list=u0001")
    schedule_fields = page.locator(".schedule-fields")
    expect(schedule_fields).to_be_hidden()  # "立即发送" is the default
    page.get_by_label("定时发送", exact=True).check()
    expect(schedule_fields).to_be_visible()
    expect(page.locator("#run_date")).to_be_visible()  # "once" first: a date and a time
    expect(page.locator(".sf-weekly")).to_be_hidden()

    page.select_option("#kind", "weekly")
    expect(page.locator("#run_date")).to_be_hidden()
    expect(page.locator(".sf-weekly")).to_be_visible()
    expect(page.locator(".sf-cron")).to_be_hidden()
    page.get_by_label("周一").check()
    page.get_by_label("周五").check()
    page.fill("#time_of_day", "17:30")
    page.fill("#msg", "周报提醒 {date}")
    expect(page.locator("#send-button .when-later")).to_be_visible()
    expect(page.locator("#send-button .when-now")).to_be_hidden()
    page.click("#send-button")

    page.wait_for_url(re.compile(r"/schedules/\d+$"))
    expect(page.locator(".alert-success")).to_contain_text("定时发送已保存")
    expect(page.locator("#next-run")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2} 17:30$"))
    expect(page.locator("#schedule-facts")).to_contain_text("Asia/Shanghai")
    expect(page.locator("#save-warning")).to_have_count(0)  # {date}: each run differs

    page.get_by_role("button", name="立即运行").click()
    page.wait_for_url(re.compile(r"/notifications/\d+$"))
    page.goto("/schedules/")
    row = page.locator("#schedules tbody tr").first
    expect(row).to_contain_text("已发送")
    expect(row).to_contain_text("admin")
    expect(row).to_contain_text("工作通知")
