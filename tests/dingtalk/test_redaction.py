"""No secret or token reaches a log record or an exception's text: one test per fault.

Each test provokes one fault on the sandbox, then looks for the app secret, the
corp secret and every access token the test saw in the client's log records and
in the error's ``str()``, ``repr()`` and attributes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from dashboard.dingtalk import DingTalkClient, DingTalkError, messages

SERVER_LOGGERS = ("werkzeug", "dashboard.sandbox")


class Leaks:
    """What a test collects: the secrets to look for and the texts to look in."""

    def __init__(self, caplog, secrets: set[str]) -> None:
        self.caplog = caplog
        self.secrets = secrets
        self.texts: list[str] = []

    def error_of(self, call: Callable[[], object]) -> DingTalkError:
        with pytest.raises(DingTalkError) as info:
            call()
        error = info.value
        self.texts.extend([str(error), repr(error), str(vars(error))])
        return error

    def everything(self) -> str:
        logs = [
            record.getMessage()
            for record in self.caplog.records
            if not record.name.startswith(SERVER_LOGGERS)
        ]
        return "\n".join(logs + self.texts)

    def assert_none_leaked(self) -> str:
        everything = self.everything()
        assert self.texts, "the fault raised nothing to look at"
        for secret in self.secrets:
            assert secret not in everything
        return everything


@pytest.fixture
def leaks(sandbox, caplog) -> Leaks:
    caplog.set_level(logging.DEBUG)
    return Leaks(caplog, {sandbox.app_secret, sandbox.corp_secret})


@pytest.fixture
def client(make_dingtalk, leaks) -> DingTalkClient:
    """A client that already holds a token (so the token is among the secrets looked for)."""
    client = make_dingtalk(timeout=0.5)
    leaks.secrets.add(client.get_access_token())
    return client


def test_an_unknown_user(client, leaks):
    error = leaks.error_of(lambda: client.users.get_user("ghost"))
    assert error.errcode is not None
    leaks.assert_none_leaked()


def test_an_ip_ban_answered_in_json(client, leaks, sandbox):
    sandbox.inject("ip_ban", path="/auth/scopes")
    leaks.error_of(client.auth.get_scopes)
    leaks.assert_none_leaked()


def test_an_ip_ban_answered_with_an_html_page(client, leaks, sandbox):
    sandbox.set_knobs(ip_ban_style="html")
    sandbox.inject("ip_ban", path="/auth/scopes")
    leaks.error_of(client.auth.get_scopes)
    leaks.assert_none_leaked()


def test_http_500(client, leaks, sandbox):
    sandbox.inject("http_500", count=2, path="/auth/scopes")
    leaks.error_of(client.auth.get_scopes)
    leaks.assert_none_leaked()


def test_throttling_beyond_the_retries(client, leaks, sandbox):
    sandbox.inject("throttle", count=10, path="/auth/scopes")
    leaks.error_of(client.auth.get_scopes)
    leaks.assert_none_leaked()


def test_a_send_that_times_out(client, leaks, sandbox):
    sandbox.inject("latency", path="/chat/send", seconds=1.5)
    leaks.error_of(lambda: client.chats.send_chat_message("chatx", messages.text("hi")))
    leaks.assert_none_leaked()


def test_a_token_rejected_twice(client, leaks, sandbox):
    sandbox.inject("token_invalid", count=2, path="/auth/scopes")
    leaks.error_of(client.auth.get_scopes)
    leaks.secrets.add(client.get_access_token())  # the token fetched in between
    leaks.assert_none_leaked()


def test_a_wrong_app_secret(make_dingtalk, leaks):
    leaks.secrets.add("wrong-secret-value")
    wrong = make_dingtalk(app_secret="wrong-secret-value")
    leaks.error_of(wrong.auth.get_scopes)
    assert "GET /gettoken" in leaks.assert_none_leaked()  # the client did log the call


def test_a_corp_client_refused(make_dingtalk, leaks, sandbox):
    corp = make_dingtalk(
        app_key=None, app_secret=None, corp_id=sandbox.corp_id, corp_secret=sandbox.corp_secret
    )
    leaks.secrets.add(corp.get_access_token())
    leaks.error_of(lambda: corp.users.get_user("ghost"))
    leaks.assert_none_leaked()


def test_an_unreachable_host(make_dingtalk, leaks):
    unreachable = make_dingtalk(base_url="http://127.0.0.1:9", timeout=0.5)
    leaks.error_of(unreachable.get_access_token)
    assert "appsecret=***" in leaks.assert_none_leaked()  # the connection error, redacted
