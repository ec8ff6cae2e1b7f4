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


def test_a_name_is_the_same_name_in_any_spelling() -> None:
    from dashboard.dingtalk.redact import is_secret_name

    for spelling in ("suite_ticket", "suiteTicket", "SuiteTicket", "SUITE-TICKET"):
        assert is_secret_name(spelling)
    for ordinary in ("userid", "suite_key", "nonce", "timestamp", "next_cursor", "send_token"):
        assert not is_secret_name(ordinary)


def test_ordinary_text_is_left_alone() -> None:
    line = (
        "/service/get_corp_token?accessKey=suite1&timestamp=1700000000000&corpid=ding1 "
        '{"userid": "u1", "errcode": 0} http://127.0.0.1:5001/user/get errmsg: ok'
    )
    assert redact(line) == line


def test_bearer_tokens_and_url_passwords_are_masked() -> None:
    cleaned = redact("Authorization: Bearer dtk_abcdef123 redis://:hunter22@cache:6379/0")
    assert "dtk_abcdef123" not in cleaned and "hunter22" not in cleaned
    assert "redis://:***@cache:6379/0" in cleaned


def test_registered_values_are_masked_everywhere_until_forgotten() -> None:
    from dashboard.dingtalk.redact import KNOWN, register_secrets

    register_secrets("registered-value-1", None, "", "short")
    try:
        assert redact("a registered-value-1 b") == "a *** b"
        assert redact("short stays") == "short stays"  # too short to mask by value
    finally:
        KNOWN.forget("registered-value-1")
    assert redact("a registered-value-1 b") == "a registered-value-1 b"


def test_scrub_masks_nested_strings_and_values_under_secret_names() -> None:
    from dashboard.dingtalk.redact import scrub

    data = {
        "errmsg": "bad access_token=tok123456",
        "items": [{"AuthCode": "code-value-1", "corpid": "ding1"}, "my-known-value"],
        "errcode": 40014,
    }
    assert scrub(data, ["my-known-value"]) == {
        "errmsg": "bad access_token=***",
        "items": [{"AuthCode": "***", "corpid": "ding1"}, "***"],
        "errcode": 40014,
    }


def test_the_filter_masks_tracebacks_and_extra_fields() -> None:
    from dashboard.dingtalk.redact import RedactingFilter

    try:
        raise RuntimeError("failed /gettoken?appsecret=TopSecret2")
    except RuntimeError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "%s", ("ok",), exc_info)
    record.fields = {"body": '{"suite_secret": "TopSecret3"}', "status": 500}
    assert RedactingFilter().filter(record)
    assert "TopSecret2" not in record.exc_text and record.exc_info is None
    assert "TopSecret3" not in record.fields["body"] and record.fields["status"] == 500
