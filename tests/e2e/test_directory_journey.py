"""An admin walks from the root of the tree to a person and starts a notification to them."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from dashboard.sandbox.demo import build_company
from tests.e2e.conftest import ARTIFACTS

COMPANY = build_company()


def sign_in(page) -> None:
    """Sign in with the form's own button (the shared helper's selector also matches the
    navbar's language switch, which comes first on the page)."""
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-password")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/")


def test_root_to_person_to_prefilled_composer(page):
    sign_in(page)
    page.goto("/departments/")
    tree = page.locator("#dept-tree")
    expect(tree.locator('[data-dept-id="1"] > .tree-link')).to_have_text("杭州云帆科技有限公司")

    # Opening a department loads its children.
    rd = tree.locator('[data-dept-id="2"]')
    rd.locator("> .tree-toggle").click()
    expect(rd.locator('[data-dept-id="9"] > .tree-link')).to_have_text("服务端组")
    expect(rd.locator("> .tree-toggle")).to_have_attribute("aria-expanded", "true")
    # The loaded children are the server's own nodes: words in Chinese, toggles shown.
    backend = rd.locator('[data-dept-id="9"]')
    expect(backend.locator("> .badge")).to_have_text(re.compile(r"^\d+ 人$"))
    expect(backend.locator("> .tree-toggle")).to_be_visible()
    expect(backend.locator("> .tree-toggle")).to_be_disabled()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "directory-tree.png"), full_page=True)

    # Three clicks: department, person, "send a notification".
    person = COMPANY.members(9)[0]
    rd.locator('[data-dept-id="9"] > .tree-link').click()
    expect(page.locator("#dept-name")).to_contain_text("服务端组")
    expect(page.locator("#breadcrumbs")).to_contain_text("研发中心")
    page.locator("#members").get_by_role("link", name=person.name, exact=True).click()
    expect(page.locator("#user-name")).to_have_text(person.name)
    expect(page.locator("#user-departments")).to_contain_text("杭州云帆科技有限公司")
    page.screenshot(path=str(ARTIFACTS / "directory-user.png"), full_page=True)
    page.locator("#notify-user").click()

    page.wait_for_url(re.compile(r"/notifications/new\?userid_list="))
    expect(page.locator("textarea[name=userid_list]")).to_have_value(person.userid)
    chip = page.locator(f'.picker-chip[data-id="{person.userid}"]')
    expect(chip).to_contain_text(f"{person.name} ({person.userid})")


def test_picker_finds_a_person_by_pinyin_initials(page):
    sign_in(page)
    page.goto("/notifications/new")
    target = COMPANY.users["manager02"]  # 林婉清: lwq
    box = page.locator("textarea[name=userid_list] + .picker .picker-input")
    box.click()
    box.press_sequentially("lwq")
    option = page.locator("textarea[name=userid_list] + .picker .picker-option").first
    expect(option).to_contain_text(target.name)
    box.press("Enter")
    expect(page.locator(f'.picker-chip[data-id="{target.userid}"]')).to_contain_text(target.name)
    expect(page.locator("textarea[name=userid_list]")).to_have_value(target.userid)

    # Typed ids still work, and Backspace removes the last chip.
    box.fill("boss01")
    box.press("Escape")
    box.press("Enter")
    expect(page.locator("textarea[name=userid_list]")).to_have_value(f"{target.userid},boss01")
    box.press("Backspace")
    expect(page.locator("textarea[name=userid_list]")).to_have_value(target.userid)

    # Typed ids split on the server's separators, "、" and "；" included.
    box.fill("u0001、u0002；u0003")
    box.press("Escape")
    box.press("Enter")
    expect(page.locator("textarea[name=userid_list]")).to_have_value(
        f"{target.userid},u0001,u0002,u0003"
    )

    # The picker's own words come from the catalogs.
    box.press_sequentially("qqqqzzzz")
    expect(
        page.locator("textarea[name=userid_list] + .picker .picker-suggestions")
    ).to_contain_text("没有匹配的结果")
    box.fill("")

    # The department picker searches departments.
    depts = page.locator("textarea[name=dept_id_list] + .picker .picker-input")
    depts.click()
    depts.press_sequentially("yfzx")
    expect(
        page.locator("textarea[name=dept_id_list] + .picker .picker-option").first
    ).to_contain_text("研发中心")
    depts.press("Enter")
    expect(page.locator("textarea[name=dept_id_list]")).to_have_value("2")
    page.screenshot(path=str(ARTIFACTS / "directory-picker.png"), full_page=True)
