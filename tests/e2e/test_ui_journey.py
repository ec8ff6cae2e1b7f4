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
    page.wait_for_url(re.compile(r"/notifications/\d+$"))
    return int(page.url.rsplit("/", 1)[1])
