"""Real Chromium (Debian's package) driven by Playwright against live servers.

The dashboard runs in a thread on an ephemeral port with its own SQLite file,
in front of the sandbox emulator; the browser is never downloaded. A module marked
``pytest.mark.isv`` gets the dashboard in ISV mode with the sandbox's two demo
companies (none chosen yet) instead of the internal app.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboard.sandbox.isv import DEMO_CORP_A, DEMO_CORP_B
from tests.conftest import _ServerThread

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.e2e


def pytest_configure(config):
    config.addinivalue_line("markers", "isv: the journey runs on the dashboard in ISV mode")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: run `make system-deps` (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def isv_app(make_isv_app):
    """The dashboard in ISV mode with the sandbox's two companies, none chosen yet."""
    return make_isv_app(DEMO_CORP_A, DEMO_CORP_B)


@pytest.fixture
def live_app(request):
    """The test `app` (fresh database, on the sandbox), or `isv_app` when the journey is
    marked ``isv``, served over real HTTP."""
    app = request.getfixturevalue("isv_app" if request.node.get_closest_marker("isv") else "app")
    thread = _ServerThread(app)
    thread.start()
    yield thread
    thread.stop()


@pytest.fixture
def page(browser, live_app, request):
    context = browser.new_context(
        base_url=live_app.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(15000)
    page = context.new_page()
    yield page
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def sign_in(page, username: str = "admin", password: str = "admin-password") -> None:
    """Sign in through the login form (its own submit button, not the navbar's language switch)."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url("**/")


def pick(page, textarea: str, query: str) -> None:
    """Choose one suggestion in the directory picker that enhances `textarea`."""
    box = page.locator(f"textarea[name={textarea}] + * input").first
    box.fill(query)
    option = page.locator("[role=option]").filter(has_text=query).first
    expect(option).to_be_visible()
    box.press("Enter")
