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


def test_a_poll_of_a_large_send_leaves_its_progress_to_the_queue(app, sandbox, monkeypatch):
    """A poll asks DingTalk inline for a few tasks only; more go to the queue, once."""
    from dashboard.delivery import tasks
    from dashboard.extensions import cache, db
    from dashboard.notifications.results import INLINE_PROGRESS_TASKS, progress_for_poll

    queued: list[int] = []
    monkeypatch.setattr(tasks.refresh_send_progress, "enqueue", queued.append)
    app.config["DELIVERY_IMMEDIATE"] = False
    many = send_of(*(task(task_id=n + 1, batch_no=n) for n in range(INLINE_PROGRESS_TASKS + 1)))
    few = send_of(*(task(task_id=n + 100, batch_no=n) for n in range(INLINE_PROGRESS_TASKS)))
    many.state = few.state = "submitted"
    db.session.add_all([many, few])
    db.session.commit()
    cache.delete(f"progress-refresh:{many.id}")
    before = sandbox.stats()["calls"].get("/topapi/message/corpconversation/getsendprogress", 0)

    progress_for_poll(many)
    progress_for_poll(many)  # polled again before the queue got to it: not queued twice
    assert queued == [many.id]
    calls = sandbox.stats()["calls"].get("/topapi/message/corpconversation/getsendprogress", 0)
    assert calls == before  # the poll itself asked DingTalk nothing

    progress_for_poll(few)  # a few tasks: asked at once
    calls = sandbox.stats()["calls"].get("/topapi/message/corpconversation/getsendprogress", 0)
    assert calls == before + INLINE_PROGRESS_TASKS and queued == [many.id]

    tasks.refresh_send_progress(many.id)  # the queued refresh runs (here, inline) ...
    progress_for_poll(many)  # ... so the next poll may queue the next one
    assert queued == [many.id, many.id]
