"""For every name in the one list of secret names (`dashboard.dingtalk.redact.SECRET_NAMES`),
in every spelling and shape: the value reaches no log line, no error's `str()`/`repr()`
and no reply of the JSON API."""

from __future__ import annotations

import logging

import pytest

from dashboard.api.auth import create_token
from dashboard.dingtalk.errors import InvalidResponse, error_from_body
from dashboard.dingtalk.redact import SECRET_NAMES
from dashboard.log import JSONFormatter, RequestRedactingFilter

VALUE = "Sv4lue-0f-a-secret"


def spellings(name: str) -> list[str]:
    """The name as listed, camelCase and PascalCase (DingTalk uses all three)."""
    words = name.replace("-", "_").split("_")
    camel = words[0] + "".join(w.title() for w in words[1:])
    return sorted({name, camel, camel[:1].upper() + camel[1:]})


def shapes(name: str) -> list[str]:
    return [
        f"GET /user/get?{name}={VALUE}&userid=u1 HTTP/1.1",
        f'{{"{name}": "{VALUE}", "errcode": 0}}',
        f"{{'{name}': '{VALUE}', 'corpid': 'dingx'}}",
        f"{name}: {VALUE}",
        f"errcode 40014 不合法的{name}={VALUE}",
    ]


def cases(listed: str) -> list[str]:
    return [line for name in spellings(listed) for line in shapes(name)]


def test_the_app_logs_through_the_redacting_filter(app):
    """The root handler the app installs carries the filter the tests below exercise."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_dashboard", False))
    assert any(isinstance(f, RequestRedactingFilter) for f in handler.filters)


@pytest.mark.parametrize("listed", SECRET_NAMES)
def test_no_secret_value_in_a_log_line(listed):
    for line in cases(listed):
        record = logging.LogRecord(
            "dashboard.x", logging.INFO, __file__, 1, "event %s", (line,), None
        )
        record.fields = {"detail": line}
        assert RequestRedactingFilter().filter(record)
        assert VALUE not in JSONFormatter().format(record), line


@pytest.mark.parametrize("listed", SECRET_NAMES)
def test_no_secret_value_in_an_errors_text(listed):
    for line in cases(listed):
        errors = [
            error_from_body({"errcode": 40035, "errmsg": line, "sub_msg": line}, "/user/get"),
            InvalidResponse(
                f"GET /user/get: response body is not JSON: {line!r}", path="/user/get"
            ),
        ]
        for error in errors:
            assert VALUE not in str(error) and VALUE not in repr(error), line
            assert VALUE not in str(vars(error)), line


@pytest.mark.parametrize("listed", SECRET_NAMES)
def test_no_secret_value_in_an_api_reply(app, client, sandbox, listed):
    token = create_token(name="reader", scope="read", created_by="admin")[1]
    errmsg = " ".join(cases(listed))
    sandbox.inject("errcode", count=1, errcode=40035, errmsg=errmsg)
    response = client.post(
        "/api/dingtalkserve/list_ids",
        json={"id": 1},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["errcode"] == 40035 and body["msg"]  # DingTalk's errmsg, scrubbed
    assert VALUE not in response.get_data(as_text=True)


#: The names the three lists of old (the client's, the log filter's, the API's) knew between them.
UNION_OF_THE_OLD_LISTS = (
    "access_token", "accessToken", "appsecret", "app_secret", "appSecret", "corpsecret",
    "corp_secret", "signature", "suite_access_token", "suite_secret", "suiteSecret",
    "suiteTicket", "suite_ticket", "permanent_code", "permanentCode", "auth_code", "authCode",
    "password", "api_token", "token", "x-acs-dingtalk-access-token",
)  # fmt: skip


@pytest.mark.parametrize("name", UNION_OF_THE_OLD_LISTS)
def test_the_one_list_knows_every_name_the_old_lists_did(name):
    from dashboard.dingtalk.redact import is_secret_name

    assert is_secret_name(name)
