"""Envelope classification (errcode 88 decided by sub_code) and safe error text."""

from __future__ import annotations

import pytest

from dashboard.dingtalk import errors
from dashboard.dingtalk.errors import (
    ApiError,
    CredentialsError,
    DingTalkError,
    HTTPStatusError,
    InvalidRequest,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RequestTimeout,
    Throttled,
    TokenError,
    TransportError,
    error_from_body,
    is_refreshable,
)

TOPAPI = "/topapi/message/corpconversation/asyncsend_v2"


@pytest.mark.parametrize(
    ("body", "path", "cls"),
    [
        ({"errcode": 40014, "errmsg": "不合法的access_token"}, "/user/get", TokenError),
        ({"errcode": 42001}, "/user/get", TokenError),
        ({"errcode": 40001}, "/user/get", TokenError),
        ({"errcode": 33001}, "/user/get", TokenError),
        ({"errcode": 41001}, "/user/get", TokenError),
        ({"errcode": 40089}, "/gettoken", CredentialsError),
        ({"errcode": 40001}, "/gettoken", CredentialsError),
        ({"errcode": -1, "errmsg": "系统繁忙"}, "/user/get", Throttled),
        ({"errcode": 88, "errmsg": "ding talk error"}, TOPAPI, Throttled),
        ({"errcode": 88, "sub_code": "", "errmsg": "ding talk error"}, TOPAPI, Throttled),
        ({"errcode": 90002}, "/user/list", Throttled),
        ({"errcode": 90005}, "/user/get", Throttled),
        ({"errcode": 90006}, "/user/get", Throttled),
        ({"errcode": 90018}, "/user/get", Throttled),
        ({"errcode": 90019}, "/user/get", Throttled),
        ({"errcode": 45009}, "/user/get", Throttled),
        ({"errcode": 143103}, TOPAPI, Throttled),
        ({"errcode": 143204}, TOPAPI, Throttled),
        ({"errcode": 88, "sub_code": "90018"}, TOPAPI, Throttled),
        (
            {"errcode": 88, "sub_code": "40014", "sub_msg": "不合法的access_token"},
            TOPAPI,
            TokenError,
        ),
        (
            {"errcode": 88, "sub_code": "60011", "sub_msg": "没有调用该接口的权限"},
            TOPAPI,
            PermissionDenied,
        ),
        ({"errcode": 60011}, "/user/get", PermissionDenied),
        ({"errcode": 43007}, TOPAPI, PermissionDenied),
        ({"errcode": 60020}, "/gettoken", PermissionDenied),
        ({"errcode": 50002}, TOPAPI, PermissionDenied),
        ({"errcode": 90020}, "/user/get", PermissionDenied),
        ({"errcode": 60003}, "/department/get", NotFound),
        ({"errcode": 60121}, "/user/get", NotFound),
        ({"errcode": 33012}, "/department/list_parent_depts", NotFound),
        ({"errcode": 404}, "/nope", NotFound),
        ({"errcode": 400002}, "/topapi/message/corpconversation/getsendresult", NotFound),
        ({"errcode": 400002}, "/topapi/message/corpconversation/getsendprogress", NotFound),
        ({"errcode": 400002}, TOPAPI, InvalidRequest),
        ({"errcode": 40035}, "/user/get", InvalidRequest),
        ({"errcode": 22, "sub_msg": "不合法ApiName"}, "/topapi/app/remove_auth", InvalidRequest),
        ({"errcode": 49005}, "/chat/create", InvalidRequest),
        ({"errcode": 49006}, "/chat/create", InvalidRequest),
        ({"errcode": 88, "sub_code": "isv.unknown"}, TOPAPI, InvalidRequest),
    ],
)
def test_classification(body: dict, path: str, cls: type) -> None:
    error = error_from_body(body, path)
    assert type(error) is cls
    assert isinstance(error, ApiError)
    assert isinstance(error, DingTalkError)
    assert error.errcode == body["errcode"]
    assert error.path == path


def test_wrapped_error_keeps_every_field() -> None:
    body = {
        "errcode": 88,
        "sub_code": "60011",
        "sub_msg": "没有调用该接口的权限",
        "errmsg": "ding talk error[subcode=60011,submsg=没有调用该接口的权限]",
        "request_id": "5imjny7u9xwa",
    }
    error = error_from_body(body, TOPAPI + "?access_token=abc")
    assert (error.errcode, error.sub_code, error.sub_msg, error.request_id) == (
        88,
        "60011",
        "没有调用该接口的权限",
        "5imjny7u9xwa",
    )
    assert error.errmsg == body["errmsg"]
    assert error.code == 60011
    assert error.path == TOPAPI
    assert "abc" not in str(error) and "60011" in str(error) and TOPAPI in str(error)


def test_refreshable_token_codes() -> None:
    assert is_refreshable(error_from_body({"errcode": 42001}, "/user/get"))
    assert is_refreshable(error_from_body({"errcode": 88, "sub_code": "40014"}, TOPAPI))
    assert not is_refreshable(error_from_body({"errcode": 41001}, "/user/get"))
    assert not is_refreshable(error_from_body({"errcode": 40089}, "/gettoken"))
    assert not is_refreshable(error_from_body({"errcode": 60011}, "/user/get"))


def test_throttled_carries_retry_after() -> None:
    assert error_from_body({"errcode": 90018}, "/user/get").retry_after == 1.0
    assert error_from_body({"errcode": 90006}, "/user/get").retry_after == 60.0


def test_transport_hierarchy() -> None:
    for cls in (RequestTimeout, HTTPStatusError, InvalidResponse):
        assert issubclass(cls, TransportError)
        assert issubclass(cls, DingTalkError)
        assert not issubclass(cls, ApiError)
    timeout = RequestTimeout("slow", outcome_unknown=True, path="/chat/send")
    assert timeout.outcome_unknown and timeout.errcode is None and timeout.path == "/chat/send"
    assert HTTPStatusError("x", status_code=500).status_code == 500
    assert issubclass(errors.InvalidMessage, ValueError)


def test_str_and_repr_never_show_secrets() -> None:
    error = InvalidRequest(
        "GET https://oapi.dingtalk.com/gettoken?appkey=k&appsecret=S3cr3tValue&corpsecret=C0rpS3cret",
        errmsg="bad access_token=T0kenValue123 signature=SiGnAtUrE",
        path="/user/get?access_token=T0kenValue123",
    )
    for text in (str(error), repr(error), error.errmsg, error.path):
        for secret in ("S3cr3tValue", "C0rpS3cret", "T0kenValue123", "SiGnAtUrE"):
            assert secret not in text
    assert "appsecret=***" in str(error)


@pytest.mark.parametrize(
    "error",
    [
        errors.error_from_body(
            {"errcode": 88, "sub_code": "60011", "errmsg": "no", "sub_msg": "没有权限"}, "/p"
        ),
        errors.error_from_body({"errcode": 90018, "errmsg": "busy"}, "/p"),
        errors.HTTPStatusError("HTTP 500", status_code=500, path="/p"),
        errors.InvalidResponse("a page", path="/p"),
        errors.RequestTimeout("late", outcome_unknown=True, path="/p"),
    ],
    ids=["88+sub_code", "throttled", "http_500", "page", "timeout"],
)
def test_an_error_on_record_is_rebuilt_as_the_same_typed_error(error):
    import json

    stored = json.loads(json.dumps(errors.error_record(error)))  # as a JSON column keeps it
    rebuilt = errors.error_from_record(stored)
    assert type(rebuilt) is type(error)
    for name in ("errcode", "sub_code", "sub_msg", "request_id", "path", "code"):
        assert getattr(rebuilt, name, None) == getattr(error, name, None), name
    assert getattr(rebuilt, "status_code", None) == getattr(error, "status_code", None)
    assert getattr(rebuilt, "outcome_unknown", False) == getattr(error, "outcome_unknown", False)
