"""Chromium journey: a robot markdown message to a department and a card to a group; a
demo user reads the message and presses a card button on the sandbox's page (called
back, signed, to the console); the console shows who read it and who pressed what."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.sandbox.v1.control import V1SandboxControl
from tests.e2e.conftest import pick, sign_in


def test_robot_message_and_card_journey(page, app, live_app, sandbox):
    from dashboard.directory.snapshot import refresh_snapshot

    sandbox.set_knobs(robot_read_ratio=0.0)  # nobody reads unless the journey does
    app.config["DASHBOARD_PUBLIC_URL"] = live_app.url  # the console as the sandbox reaches it
    with app.test_request_context():
        refresh_snapshot()
    v1 = V1SandboxControl(sandbox.base_url)
    group = v1.robot_group_ids()[0]
    sign_in(page)

    # a robot markdown message to department 2, from the composer's channel choice
    page.goto("/notifications/new")
    page.locator("#channel-choice").get_by_role("link", name="机器人消息").click()
    page.select_option("select[name=msg_key]", "sampleMarkdown")
    expect(page.locator("#p_photoURL")).to_be_hidden()
    page.fill("#p_title", "本周发布")
    page.fill("#p_text", "## 发布\n- 周五上线")
    pick(page, "dept_id_list", "研发中心")
    page.click("#robot-send")
    page.wait_for_url(re.compile(r"/notifications/\d+$"))
    robot_url = page.url

    # a card to a group, from the robot's groups page
    page.goto("/robot/groups")
    page.locator("#robot-groups li", has_text=group).get_by_role("link", name="卡片").click()
    page.fill("input[name=card_template_id]", "sandbox-ack.schema")
    page.fill("textarea[name=card_params]", "title=请确认发布计划")
    page.click("#card-send")
    page.wait_for_url(re.compile(r"/notifications/\d+$"))
    card_url = page.url

    # demo users on the sandbox page: manager01 reads the message, a member of the group
    # presses 确认 on the card
    member = v1.state()["cards"][0]["recipients"][0]
    page.goto(f"{sandbox.base_url}/_sandbox/v1/")
    key = next(
        m["processQueryKey"]
        for m in v1.state()["messages"]
        if m["msgKey"] == "sampleMarkdown"
        and any(r["userId"] == "manager01" for r in m["recipients"])
    )
    page.locator(f'section.message[data-key="{key}"] button[data-user=manager01]').click()
    expect(page.locator("p.done")).to_be_visible()
    page.locator("section.card").first.locator(
        f"button[data-user={member['userId']}][data-action=confirm]"
    ).click()
    expect(page.locator("section.card").first).to_contain_text(
        f"{member['userId']} → confirm (200)"
    )
    sandbox.advance(5)  # the sandbox's clock: the message is past PROCESSING

    page.goto(robot_url)
    expect(page.locator("[data-count=read]")).to_have_text(re.compile(r"[:：]\s*1$"))
    expect(page.locator("#send-result")).to_contain_text("陈立新")

    page.goto(card_url)
    responses = page.locator("#card-responses")
    expect(responses.locator(f"tr[data-userid={member['userId']}]")).to_contain_text("confirm")
    expect(responses).to_contain_text(member["name"])
