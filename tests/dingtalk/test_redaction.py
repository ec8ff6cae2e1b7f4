"""No secret or token reaches a log record or an exception's text, across faults."""

from __future__ import annotations

import logging

import pytest

from dashboard.dingtalk import DingTalkClient, DingTalkError, messages

SERVER_LOGGERS = ("werkzeug", "dashboard.sandbox")


def client_log_text(caplog) -> str:
    return "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith(SERVER_LOGGERS)
    )


def test_no_secret_in_logs_or_errors(make_dingtalk, sandbox, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client: DingTalkClient = make_dingtalk(timeout=0.5)
    corp = make_dingtalk(
        app_key=None, app_secret=None, corp_id=sandbox.corp_id, corp_secret=sandbox.corp_secret
    )
    tokens = {client.get_access_token(), corp.get_access_token()}
    texts: list[str] = []

    def expect_error(call) -> None:
        with pytest.raises(DingTalkError) as info:
            call()
        texts.extend([str(info.value), repr(info.value), str(vars(info.value))])

    client.users.get_user("u0001")
    expect_error(lambda: client.users.get_user("ghost"))
    sandbox.inject("ip_ban", path="/auth/scopes")
    expect_error(client.auth.get_scopes)
    sandbox.set_knobs(ip_ban_style="html")
    sandbox.inject("ip_ban", path="/auth/scopes")
    expect_error(client.auth.get_scopes)
    sandbox.inject("http_500", count=2, path="/auth/scopes")
    expect_error(client.auth.get_scopes)
    sandbox.inject("throttle", count=10, path="/auth/scopes")
    expect_error(client.auth.get_scopes)
    sandbox.inject("latency", path="/chat/send", seconds=1.5)
    expect_error(lambda: client.chats.send_chat_message("chatx", messages.text("hi")))
    sandbox.inject("token_invalid", count=2, path="/auth/scopes")
    expect_error(client.auth.get_scopes)
    tokens.add(client.get_access_token())
    expect_error(lambda: make_dingtalk(app_secret="wrong-secret-value").auth.get_scopes())
    unreachable = make_dingtalk(base_url="http://127.0.0.1:9", timeout=0.5)
    expect_error(unreachable.get_access_token)

    everything = client_log_text(caplog) + "\n".join(texts)
    assert "GET /gettoken" in everything  # the client did log its calls
    for secret in (sandbox.app_secret, sandbox.corp_secret, "wrong-secret-value", *tokens):
        assert secret not in everything
    assert "appsecret=***" in everything  # the unreachable-host error, redacted
