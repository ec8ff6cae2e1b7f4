"""An admin creates an API token in the browser, a script uses it, the admin revokes it."""

from __future__ import annotations

import requests

from tests.e2e.conftest import sign_in


def test_create_use_and_revoke_an_api_token(page, live_app, sandbox):
    sign_in(page)
    page.click("text=接口")
    page.wait_for_url("**/api/docs")
    assert page.locator("pre", has_text="/api/dingtalkserve/userinfo").count() == 1

    page.click("text=API 令牌")
    page.fill("input[name=name]", "周报脚本")
    page.select_option("select[name=role]", "viewer")  # read only
    page.click("button[type=submit]:has-text('创建令牌')")
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("dtk_")

    url = f"{live_app.url}/api/dingtalkserve/get_org_user_count"
    headers = {"Authorization": f"Bearer {token}"}
    reply = requests.post(url, json={"onlyActive": 0}, headers=headers, timeout=10)
    assert reply.status_code == 200 and reply.json()["data"]["count"] == 150

    page.click("text=完成")
    row = page.locator("#token-list tr", has_text="周报脚本")
    assert token not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())  # revoking asks first
    row.locator("button:has-text('吊销')").click()
    page.wait_for_selector("text=已吊销")
    assert (
        requests.post(url, json={"onlyActive": 0}, headers=headers, timeout=10).status_code == 401
    )
