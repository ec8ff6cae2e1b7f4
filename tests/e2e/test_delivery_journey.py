"""The admin's journey in real Chromium with a real queue consumer: a work notification to
1,000 people goes out in 10 calls in the background; the send's page fills its progress
(calls n / 10, people reached) without reloading, the history row follows it by itself
until it settles; then a chat message's row follows it the same way.

The sandbox here is the emulator as the suite runs it, with a directory of 1,000 people
(the demo company's 150 and 850 more of the same shape): only its data is larger. A
gate in front of it holds chosen calls (the n-th asyncsend_v2, the n-th chat/send) until
the test lets them through,
so the journey sees the progress at known points without timing anything.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from collections import Counter

import pytest
from playwright.sync_api import expect

from dashboard.delivery.consumer import DeliveryConsumer
from dashboard.sandbox import create_sandbox_app
from dashboard.sandbox.control import SandboxControl
from dashboard.sandbox.settings import SandboxSettings
from tests.conftest import _ServerThread, dashboard_config, running_dashboard
from tests.e2e.conftest import sign_in

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
CHAT_SEND = "/chat/send"
SEND_PAGE = re.compile(r"/notifications/\d+$")
PEOPLE = 1000


class Gate:
    """WSGI middleware: the n-th call of a path waits until ``release`` (at most 20 s)."""

    def __init__(self, wsgi_app):
        self.app = wsgi_app
        self.lock = threading.Lock()
        self.calls: Counter = Counter()
        self.holds: dict[tuple[str, int], threading.Event] = {}
        self.waiting: dict[tuple[str, int], threading.Event] = {}

    def hold(self, path: str, number: int) -> None:
        self.holds[path, number] = threading.Event()
        self.waiting[path, number] = threading.Event()

    def wait_held(self, path: str, number: int) -> None:
        """Until the call is held at the gate (the consumer has made the calls before it)."""
        assert self.waiting[path, number].wait(30), f"call {number} of {path} never came"

    def release(self, path: str, number: int) -> None:
        self.holds[path, number].set()

    def release_all(self) -> None:
        for event in self.holds.values():
            event.set()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in (ASYNCSEND, CHAT_SEND):
            with self.lock:
                self.calls[path] += 1
                number = self.calls[path]
            if (path, number) in self.holds:
                self.waiting[path, number].set()
                self.holds[path, number].wait(20)
        return self.app(environ, start_response)


def grow(company, size: int) -> list[str]:
    """Give the emulator's company ``size`` people, copies of its own (same departments)."""
    originals = sorted(company.users.values(), key=lambda u: u.userid)
    for n in range(size - len(originals)):
        like = originals[n % len(originals)]
        userid = f"t{n + 1:04d}"
        company.users[userid] = dataclasses.replace(
            like,
            userid=userid,
            unionid=f"{like.unionid}t{n}",
            jobnumber=f"T{n + 1:04d}",
            org_email=f"{userid}@{like.org_email.split('@')[1]}",
        )
    return sorted(company.users)


@pytest.fixture
def big_sandbox():
    """An emulator of its own with 1,000 people, behind the gate."""
    sandbox_app = create_sandbox_app(SandboxSettings())
    userids = grow(sandbox_app.extensions["sandbox_state"].company, PEOPLE)
    gate = Gate(sandbox_app)
    server = _ServerThread(gate)
    server.start()
    control = SandboxControl(server.url)
    control.reset()
    yield control, gate, userids
    gate.release_all()
    server.stop()


class ThreadConsumer(DeliveryConsumer):
    """The worker's consumer, in this process's threads (signals stay the test runner's)."""

    def _set_signal_handlers(self):
        pass


@pytest.fixture
def app(big_sandbox, tmp_path):
    """The dashboard on the 1,000-person emulator, with a real queue and a consumer running."""
    control, gate, _ = big_sandbox
    config = dashboard_config(
        control,
        tmp_path,
        DELIVERY_IMMEDIATE=False,
        DINGTALK_TIMEOUT=20.0,  # a call the gate holds is slow, not lost
    )
    with running_dashboard(config) as app:
        consumer = ThreadConsumer(app, 1)
        consumer.start()
        try:
            yield app
        finally:
            gate.release_all()
            consumer.stop(graceful=True)


def delivery(done: int) -> str:
    # While DingTalk has not reported its result, nobody is counted as reached yet.
    return f"已调用 {done} / 10 次，已发给 {done * 100} / {PEOPLE} 位用户，尚不知道谁已收到"


def test_a_send_to_1000_people_fills_its_progress_and_settles_in_the_history(page, big_sandbox):
    control, gate, userids = big_sandbox
    gate.hold(ASYNCSEND, 4)
    gate.hold(ASYNCSEND, 8)
    gate.hold(CHAT_SEND, 1)
    sign_in(page)

    page.goto("/notifications/new")
    page.fill("textarea[name=msg]", "全员：周五 18:00 起系统维护两小时")
    page.eval_on_selector(
        "textarea[name=userid_list]",
        """(el, ids) => { el.value = ids.join(",");
                          el.dispatchEvent(new Event("input", {bubbles: true})); }""",
        userids,
    )
    expect(page.locator('[data-preview="request"]')).to_contain_text("共 10 次钉钉调用")
    for _ in range(3):  # the composer may ask once more: this many people, the warnings
        with page.expect_navigation():
            page.click("#send-button")
        if SEND_PAGE.search(page.url):
            break
        if page.locator("input[name=confirm]").count():
            page.check("input[name=confirm]")
    page.wait_for_url(SEND_PAGE)
    send_url = page.url
    expect(page.locator(".alert-success")).to_contain_text("已排队，共 10 次钉钉调用")
    page.evaluate("window.__sameDocument = true")

    status = page.locator('[data-status="delivery"]')
    gate.wait_held(ASYNCSEND, 4)
    expect(status).to_contain_text(delivery(3))
    expect(page.locator('[data-status="state"]')).to_have_text("发送中")
    gate.release(ASYNCSEND, 4)
    gate.wait_held(ASYNCSEND, 8)
    expect(status).to_contain_text(delivery(7))
    assert page.evaluate("window.__sameDocument") is True  # filled without reloading

    page.goto("/notifications/")
    row = page.locator("#history-table tbody tr").first
    expect(row.locator('[data-row-field="delivery"]')).to_contain_text(delivery(7))
    expect(row.locator('[data-row-field="state"]')).to_have_text("发送中")
    page.evaluate("window.__sameDocument = true")
    gate.release(ASYNCSEND, 8)
    expect(row.locator('[data-row-field="state"]')).to_have_text("已提交")
    control.advance(120)  # DingTalk finishes its delivery of the 10 tasks
    expect(row.locator('[data-row-field="state"]')).to_have_text("已完成", timeout=20000)
    expect(row).not_to_have_attribute("data-unsettled", "")
    assert page.evaluate("window.__sameDocument") is True
    assert control.stats()["calls"][ASYNCSEND] == 10

    page.goto(send_url)
    expect(page.locator('[data-status="state"]')).to_have_text("已完成")
    expect(status).to_contain_text(f"已调用 10 / 10 次，已送达 {PEOPLE} / {PEOPLE} 位用户")

    # A chat message is on the queue too: its row follows it until DingTalk has it.
    page.goto("/chats/new")
    page.fill("input[name=name]", "维护通知群")
    page.fill("input[name=owner]", userids[0])
    page.eval_on_selector(
        "textarea[name=useridlist]", "(el, ids) => { el.value = ids.join(','); }", userids[:3]
    )
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/chats/[^/]+$"))
    page.fill("textarea[name=msg]", "今晚维护")
    page.click("#send-button")
    expect(page.locator(".alert-success")).to_contain_text("消息已排队")
    gate.wait_held(CHAT_SEND, 1)
    row = page.locator("#chat-messages tbody tr").first
    expect(row.locator('[data-row-field="state"]')).to_have_text(re.compile("排队中|发送中"))
    page.evaluate("window.__sameDocument = true")
    gate.release(CHAT_SEND, 1)
    expect(row.locator('[data-row-field="link"]')).to_have_text("已读情况")
    expect(row.locator('[data-row-field="state"]')).to_be_hidden()
    assert page.evaluate("window.__sameDocument") is True
    assert control.stats()["calls"][CHAT_SEND] == 1
