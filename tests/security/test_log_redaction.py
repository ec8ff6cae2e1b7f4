"""dashboard/log.py scrubs every shape in which a secret reaches a log line: query
strings (urllib3's request lines), JSON bodies, Python dicts, headers, the ISV
callback's event (SuiteTicket, PermanentCode, AuthCode) and DingTalk's errmsg."""

from __future__ import annotations

import logging
import sys

import pytest

from dashboard.dingtalk.redact import redact
from dashboard.log import RequestRedactingFilter as RedactingFilter

SECRET = "s3cr3tValue42"


@pytest.mark.parametrize(
    "line",
    [
        f'"GET /user/get?access_token={SECRET}&userid=u1 HTTP/1.1" 200',
        f"/gettoken?appkey=dingkey&appsecret={SECRET}",
        f"/service/get_corp_token?accessKey=k&timestamp=1&suiteTicket={SECRET}&signature=x",
        f"/sns/gettoken?suite_access_token={SECRET}",
        f'{{"access_token": "{SECRET}", "expires_in": 7200}}',
        f'{{"accessToken":"{SECRET}"}}',
        f"{{'access_token': '{SECRET}', 'errcode': 0}}",
        f'{{"EventType": "suite_ticket", "SuiteTicket": "{SECRET}"}}',
        f'{{"EventType": "tmp_auth_code", "AuthCode": "{SECRET}", "PermanentCode": "x"}}',
        f'{{"PermanentCode": "{SECRET}"}}',
        f"{{'permanent_code': '{SECRET}', 'corpid': 'dingx'}}",
        f'{{"suite_secret": "{SECRET}"}}',
        f"x-acs-dingtalk-access-token: {SECRET}",
        f"Authorization: Bearer {SECRET}",
        f"{{'password': '{SECRET}'}}",
        f"department/get: errcode 40014 不合法的access_token={SECRET}",
    ],
)
def test_secret_shapes_are_scrubbed(line):
    assert SECRET not in redact(line)


def test_ordinary_lines_are_left_alone():
    line = "chat chat123 created by admin with 3 members; task 456 errcode 0 userid=u1"
    assert redact(line) == line


def test_the_filter_scrubs_arguments_and_tracebacks():
    try:
        raise RuntimeError(f"failed /user/get?access_token={SECRET}")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "event %s", ({"SuiteTicket": SECRET},), None
        )
        record.exc_info = sys.exc_info()
    RedactingFilter().filter(record)
    assert SECRET not in record.getMessage()
    assert SECRET not in record.exc_text
