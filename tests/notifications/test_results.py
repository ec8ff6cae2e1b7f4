"""Merging the per-task results of a send, and a send's state from its batches."""

from __future__ import annotations

import json

import pytest

from dashboard.notifications.models import Send, SendTask
from dashboard.notifications.results import outcome
from dashboard.notifications.sending import settle_after_send


def task(state="done", result=None, **fields) -> SendTask:
    return SendTask(state=state, result_json=json.dumps(result) if result else None, **fields)


def send_of(*tasks: SendTask) -> Send:
    send = Send(sender="admin", msgtype="text", msg_json="{}", content_hash="x", state="submitting")
    send.tasks.extend(tasks)
    return send


def test_outcome_merges_the_groups_of_every_task(bare_app):
    merged = outcome(
        send_of(
            task(result={"read_user_id_list": ["u1"], "unread_user_id_list": ["u2"],
                         "invalid_user_id_list": ["ghost"], "invalid_dept_id_list": [999]}),
            task(result={"read_user_id_list": ["u3"], "failed_user_id_list": ["u4"]}),
            task(),  # no result fetched yet
        )
    )  # fmt: skip
    assert (merged.read, merged.unread, merged.failed) == (["u1", "u3"], ["u2"], ["u4"])
    assert (merged.invalid_users, merged.invalid_depts) == (["ghost"], [999])
    assert merged.has_result and merged.total == 5


def test_a_person_reached_by_one_batch_is_not_forbidden_by_the_other(bare_app):
    merged = outcome(
        send_of(
            task(result={"unread_user_id_list": ["u1"]}),
            task(result={"forbidden_list": [{"userid": "u1", "code": "143106", "count": 1},
                                            {"userid": "u2", "code": "143105", "count": 1}]}),
        )
    )  # fmt: skip
    assert merged.unread == ["u1"]
    assert [f["userid"] for f in merged.forbidden] == ["u2"]
    assert merged.forbidden[0]["reason"] == "该用户今天收到本应用的通知已达上限。"


def test_forbidden_without_a_code_is_refused_in_words(bare_app):
    merged = outcome(send_of(task(result={"forbidden_user_id_list": ["u9"]})))
    assert merged.forbidden == [
        {"userid": "u9", "code": None, "count": None, "reason": "被钉钉拒绝。"}
    ]


def test_no_result_is_no_outcome(bare_app):
    merged = outcome(send_of(task(), task(state="failed")))
    assert not merged.has_result and merged.total == 0


@pytest.mark.parametrize(
    ("states", "expected"),
    [
        (["done"], "submitted"),
        (["done", "done"], "submitted"),
        (["failed"], "failed"),
        (["failed", "failed"], "failed"),
        (["done", "failed"], "partial"),
        (["failed", "unknown"], "unknown"),
        (["done", "unknown"], "unknown"),
    ],
)
def test_a_send_is_settled_from_its_batches(states, expected):
    send = send_of(*[task(state=s) for s in states])
    settle_after_send(send)
    assert send.state == expected


def test_a_settled_send_summarises_its_first_failed_batch():
    send = send_of(
        task(state="done"),
        task(state="failed", errcode=None, errmsg="POST ...: HTTP 500", reason="unreachable"),
        task(state="failed", errcode=40035, errmsg="不合法的参数"),
    )
    settle_after_send(send)
    assert (send.errcode, send.errmsg, send.reason) == (None, "POST ...: HTTP 500", "unreachable")
