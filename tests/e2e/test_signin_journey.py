"""Sign in with DingTalk in Chromium: the console's button, the sandbox's DingTalk login
page, consent, and back signed in with the person's role (its menus)."""

from __future__ import annotations

from dashboard.auth.models import find_user, upsert_user
from dashboard.extensions import db


def test_sign_in_with_dingtalk_on_the_sandbox(page, live_app, app, sandbox):
    app.config.update(DINGTALK_OAUTH_ENABLED=True, DINGTALK_LOGIN_BASE=sandbox.base_url)
    upsert_user("hr-wang", "role-password", role="sender")
    find_user("hr-wang").dingtalk_userid = "u0003"
    db.session.commit()

    page.goto("/notifications/")
    page.wait_for_url("**/login**")
    page.click("#dingtalk-sign-in")
    page.wait_for_url(f"{sandbox.base_url}/oauth2/auth**")
    assert "请求获取你的个人信息" in page.content()
    page.select_option("#oauth-user", "u0003")
    page.click("#oauth-agree")
    page.wait_for_url("**/notifications/")

    menu = page.locator("#user-menu").inner_text()
    assert "hr-wang" in menu and "发送人" in menu
    assert page.locator("nav a[href='/notifications/new']").count() == 1
    assert page.locator("nav a[href='/accounts/']").count() == 0  # not an admin
    page.click("nav button:has-text('退出')")
    page.wait_for_url("**/login")
