"""The UI as an admin meets it in Chromium: weight, phone layout, charts, confirmations.

One live dashboard (on the session's sandbox) and one browser serve every test of
this module, so the whole walk costs one server start.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboard.sandbox.control import SandboxControl
from dashboard.sandbox.demo import build_company
from tests.conftest import _ServerThread, dashboard_config, running_dashboard
from tests.e2e.conftest import ARTIFACTS

# The first page after sign-in, cold cache, everything it loads (HTML, CSS, JS, fonts).
FIRST_PAGE_BUDGET = 150 * 1024
COMPANY = build_company()
USERIDS = ",".join(list(COMPANY.users)[:3])


@pytest.fixture(scope="module")
def ui_server(sandbox_server, tmp_path_factory):
    SandboxControl(sandbox_server.url).reset()
    control = SandboxControl(sandbox_server.url)
    config = dashboard_config(control, tmp_path_factory.mktemp("ui"))
    with running_dashboard(config) as app:
        thread = _ServerThread(app)
        thread.start()
        yield thread
        thread.stop()


def new_page(browser, server, *, width=1280, height=900, locale="zh-CN"):
    context = browser.new_context(
        base_url=server.url, locale=locale, viewport={"width": width, "height": height}
    )
    context.set_default_timeout(15000)
    return context, context.new_page()


@pytest.fixture
def desktop(browser, ui_server):
    context, page = new_page(browser, ui_server)
    yield page
    context.close()


@pytest.fixture
def phone(browser, ui_server):
    context, page = new_page(browser, ui_server, width=390, height=844)
    yield page
    context.close()


def sign_in(page) -> None:
    page.goto("/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "admin-password")
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/")


def transferred(response) -> int:
    """Bytes a response took on the wire: its headers and its (possibly compressed) body."""
    sizes = response.request.sizes()
    return sizes["responseHeadersSize"] + sizes["responseBodySize"]


def test_first_page_after_sign_in_is_light_and_stays_on_the_host(desktop, browser, ui_server):
    sign_in(desktop)
    # A new browser context with the signed-in cookies: the session, with a cold cache.
    context = browser.new_context(
        base_url=ui_server.url, locale="zh-CN", storage_state=desktop.context.storage_state()
    )
    page = context.new_page()
    responses, foreign = [], []
    page.on("response", lambda r: responses.append(r))
    page.on("request", lambda r: r.url.startswith(ui_server.url) or foreign.append(r.url))
    page.goto("/", wait_until="networkidle")
    total = sum(transferred(r) for r in responses)
    print(f"first page after sign-in: {total} bytes in {len(responses)} responses")
    for r in responses:
        print(f"  {transferred(r):>8} {r.url}")
    context.close()
    assert not foreign
    assert total <= FIRST_PAGE_BUDGET, total


PHONE_PAGES = (
    "/",
    "/notifications/new",
    "/notifications/",
    "/org/",
    "/departments/",
    "/departments/1",
    "/users/lookup",
    "/chats/",
    "/chats/new",
    "/api/docs",
    "/api/tokens",
)


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the phone's screen (0: none)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_no_page_is_wider_than_a_phone(phone):
    sign_in(phone)
    send_id = send_a_notice(phone)
    pages = (*PHONE_PAGES, f"/notifications/{send_id}")
    wide = {}
    for path in pages:
        phone.goto(path)
        if overflow(phone) > 0:
            wide[path] = overflow(phone)
            ARTIFACTS.mkdir(exist_ok=True)
            name = path.strip("/").replace("/", "-") or "home"
            phone.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
    assert not wide
    # The history is a list of cards on a phone: the state and the read bar are on screen.
    phone.goto("/notifications/")
    row = phone.locator(".send-row").first
    expect(row.locator(".send-state")).to_be_in_viewport()
    # The menu button sits at the right edge of the bar.
    toggler = phone.locator(".navbar-toggler").bounding_box()
    assert toggler["x"] + toggler["width"] >= 390 - 16
    # The composer's preview comes before its Send button.
    phone.goto("/notifications/new")
    preview = phone.locator(".composer-preview").bounding_box()
    send = phone.locator("#send-button").bounding_box()
    assert preview["y"] < send["y"]


def set_recipients(page, field: str, ids: str) -> None:
    """Type ids into a recipients field the picker enhances (its hidden textarea)."""
    page.eval_on_selector(
        f"textarea[name={field}]",
        """(el, ids) => { el.value = ids; el.dispatchEvent(new Event("input", {bubbles: true})); }""",
        ids,
    )


def send_a_notice(page, userids: str = USERIDS, text: str = "UI journey") -> int:
    """Send a text notice from the composer; the send's id."""
    page.goto("/notifications/new")
    set_recipients(page, "userid_list", userids)
    page.fill("textarea[name=msg]", text)
    page.locator("#send-button").click()
    page.wait_for_load_state()
    if page.locator("#presend-warnings").count():  # e.g. an unknown recipient: send anyway
        page.check("input[name=confirm]")
        page.locator("#send-button").click()
    page.wait_for_url(re.compile(r"/notifications/\d+$"))
    return int(page.url.rsplit("/", 1)[1])


def test_the_composer_is_calm_then_marks_unknown_people_and_confirms_a_send_to_everyone(desktop):
    sign_in(desktop)
    desktop.goto("/notifications/new")
    desktop.wait_for_load_state("networkidle")
    # Nothing done yet: no error anywhere.
    expect(desktop.locator('[data-preview="errors"]')).to_be_hidden()
    expect(desktop.locator(".is-invalid")).to_have_count(0)
    expect(desktop.locator("main .alert-danger:visible")).to_have_count(0)

    # An id the directory does not know is a red chip, and named in the warnings.
    known = list(COMPANY.users)[0]
    box = desktop.locator("textarea[name=userid_list] + * input")
    box.fill(f"{known},ghost-9")
    box.press("Enter")
    expect(desktop.locator('.picker-chip[data-id="ghost-9"]')).to_have_class(
        re.compile("text-bg-danger")
    )
    expect(desktop.locator(f'.picker-chip[data-id="{known}"]')).not_to_have_class(
        re.compile("text-bg-danger")
    )
    desktop.fill("textarea[name=msg]", "全员通知")
    expect(desktop.locator('[data-preview="warnings"]')).to_contain_text("ghost-9")

    # The department picker never turns free text into a chip.
    dept_box = desktop.locator("textarea[name=dept_id_list] + * input")
    dept_box.fill("没有这个部门")
    dept_box.press("Enter")
    expect(desktop.locator("textarea[name=dept_id_list] + * .picker-chip")).to_have_count(0)

    # Everyone: the page says how many people and names some before anything is sent.
    desktop.locator('.picker-chip[data-id="ghost-9"] .btn-close').click()
    desktop.check("input[name=to_all_user]")
    desktop.click("#send-button")
    confirm = desktop.locator("#audience-confirm")
    expect(confirm).to_contain_text(f"共 {len(COMPANY.users)} 人")
    expect(desktop.locator("#audience-sample")).to_contain_text(COMPANY.users[known].name)
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.screenshot(path=str(ARTIFACTS / "ui-confirm-everyone.png"), full_page=True)
    desktop.click("#send-button")
    desktop.wait_for_url(re.compile(r"/notifications/\d+$"))


def test_revoking_an_api_token_asks_first(desktop):
    sign_in(desktop)
    desktop.goto("/api/tokens")
    desktop.fill("input[name=name]", "nightly")
    desktop.locator("main form button[type=submit]").first.click()
    desktop.goto("/api/tokens")
    asked = []
    desktop.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    desktop.locator(".revoke-form button").first.click()
    assert asked and "nightly" in asked[0]
    expect(desktop.locator(".revoke-form")).to_have_count(1)  # dismissed: still active


def test_a_send_and_the_organisation_are_drawn_with_words(desktop, sandbox_server):
    sign_in(desktop)
    send_id = send_a_notice(desktop, userids=f"{USERIDS},ghost-3", text="图表")
    SandboxControl(sandbox_server.url).advance(3600)
    desktop.goto(f"/notifications/{send_id}")
    chart = desktop.locator('#outcome-chart svg[role="img"]')
    expect(chart).to_be_visible()
    expect(chart.locator("title").first).to_have_text("每位接收人的结果")
    expect(chart.locator("desc")).to_contain_text("无效: 1")
    expect(desktop.locator("#outcome-chart .chart-legend")).to_contain_text("已读")
    expect(desktop.locator('[data-status="state"]')).to_have_text("部分失败")
    desktop.screenshot(path=str(ARTIFACTS / "ui-send-chart.png"), full_page=True)
    desktop.goto("/notifications/")
    expect(desktop.locator(".send-row .read-bar").first).to_contain_text(re.compile(r"已读 \d+/3"))
    desktop.goto("/org/")
    heads = desktop.locator('#headcount-card svg[role="img"]')
    expect(heads).to_be_visible()
    expect(heads.locator("desc")).to_contain_text("研发中心")
