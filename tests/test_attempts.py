"""The attempt record: what each kind of DingTalk answer leaves on a recorded call."""

from __future__ import annotations

import pytest

from dashboard import attempts
from dashboard.dingtalk.errors import (
    HTTPStatusError,
    InvalidMessage,
    InvalidResponse,
    PaginationError,
    PermissionDenied,
    RequestTimeout,
    TokenError,
    error_from_body,
)
from dashboard.notifications.models import SendTask

PATH = "/topapi/message/corpconversation/asyncsend_v2"


def started() -> SendTask:
    record = SendTask(state="pending")
    record.start()
    return record


def test_a_planned_call_may_be_sent_a_started_one_not():
    planned = SendTask(state="pending")
    assert planned.may_send and not planned.interrupted
    record = started()
    assert record.interrupted and not record.may_send and record.attempted_at is not None


def test_an_interrupted_call_is_given_up_as_unknown():
    record = started()
    record.give_up()
    assert (record.state, record.reason) == ("unknown", "no_answer") and record.finished_at
    done = started()
    done.succeed({"errcode": 0, "request_id": "r1"})
    done.give_up()
    assert done.state == "done"


def test_success_keeps_the_request_id():
    record = started()
    record.succeed({"errcode": 0, "task_id": 1, "request_id": "req-1"})
    assert (record.state, record.request_id, record.ok) == ("done", "req-1", True)


def test_errcode_88_is_recorded_by_its_sub_code_and_sub_msg():
    error = error_from_body(
        {"errcode": 88, "errmsg": "ding talk error[subcode=60011]", "sub_code": "60011",
         "sub_msg": "没有调用该接口的权限", "request_id": "req-88"},
        PATH,
    )  # fmt: skip
    record = started()
    record.fail(error)
    assert (record.state, record.errcode, record.errmsg) == (
        "failed",
        60011,
        "没有调用该接口的权限",
    )
    assert (record.reason, record.request_id) == ("permission", "req-88")
    assert record.dingtalk_error is error and error.record is record


@pytest.mark.parametrize(
    ("error", "state", "reason"),
    [
        (HTTPStatusError("POST x: HTTP 500", status_code=500, path=PATH), "failed", "unreachable"),
        (InvalidResponse("POST x: body is not JSON", path=PATH), "failed", "unreachable"),
        (RequestTimeout("no answer", outcome_unknown=True, path=PATH), "unknown", "no_answer"),
        (
            RequestTimeout("no connection", outcome_unknown=False, path=PATH),
            "failed",
            "unreachable",
        ),
        (PaginationError("cursor did not advance"), "failed", "stuck_cursor"),
    ],
)
def test_no_envelope_means_no_errcode_never_none_in_words(error, state, reason):
    record = started()
    record.fail(error)
    assert (record.state, record.errcode, record.reason) == (state, None, reason)
    assert record.errmsg == str(error) and "None" not in record.errmsg


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"errcode": 90018, "errmsg": "busy"}, "throttled"),
        ({"errcode": 40014, "errmsg": "bad token"}, "credentials"),
        ({"errcode": 60011, "errmsg": "no permission"}, "permission"),
        ({"errcode": 40035, "errmsg": "不合法的参数"}, None),
    ],
)
def test_shared_reasons_of_refusals(body, reason):
    error = error_from_body(body, PATH)
    assert isinstance(error, TokenError) == (reason == "credentials")
    assert isinstance(error, PermissionDenied) == (reason == "permission")
    record = started()
    record.fail(error)
    assert (record.errcode, record.errmsg, record.reason) == (
        body["errcode"],
        body["errmsg"],
        reason,
    )


def test_an_area_reason_wins():
    record = started()
    record.fail(error_from_body({"errcode": 40035, "errmsg": "x"}, PATH), "dissolved")
    assert record.reason == "dissolved"


def test_a_call_the_client_refused_locally_is_failed_invalid():
    record = started()
    record.refuse(InvalidMessage("agent_id", "agent_id is required"))
    assert (record.state, record.errcode, record.reason) == ("failed", None, "invalid")
    assert record.errmsg == "agent_id is required"


def test_a_long_errmsg_is_cut():
    record = started()
    record.fail(error_from_body({"errcode": 40035, "errmsg": "x" * 2000}, PATH))
    assert len(record.errmsg) == attempts.ERRMSG_MAX
