"""Redaction of secrets from URLs, JSON bodies and log records."""

from __future__ import annotations

import logging

from dashboard.dingtalk.redact import install_log_redaction, redact


def test_query_parameters_are_masked() -> None:
    url = (
        "http://127.0.0.1/gettoken?appkey=key&appsecret=s%2Bcret&corpsecret=cs"
        "&access_token=tok&signature=sig%3D&suiteTicket=tick&other=keep"
    )
    cleaned = redact(url)
    for secret in ("s%2Bcret", "=cs", "=tok", "sig%3D", "tick"):
        assert secret not in cleaned
    assert "appkey=key" in cleaned and "other=keep" in cleaned
    assert "access_token=***" in cleaned


def test_json_fields_are_masked() -> None:
    body = '{"errcode":0,"access_token":"4b1a9e0f2c7d","expires_in":7200,"appSecret": "xyz123"}'
    cleaned = redact(body)
    assert "4b1a9e0f2c7d" not in cleaned and "xyz123" not in cleaned
    assert '"expires_in":7200' in cleaned


def test_known_values_are_masked_anywhere() -> None:
    assert redact("oops my-secret-value leaked", ["my-secret-value", None, ""]) == "oops *** leaked"


def test_urllib3_request_lines_are_redacted(caplog) -> None:
    install_log_redaction()
    install_log_redaction()
    caplog.set_level(logging.DEBUG, logger="urllib3.connectionpool")
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "http",
        "127.0.0.1",
        80,
        "GET",
        "/gettoken?appkey=k&appsecret=TopSecret1",
        "HTTP/1.1",
        200,
        10,
    )
    assert "TopSecret1" not in caplog.text
    assert "appsecret=***" in caplog.text
