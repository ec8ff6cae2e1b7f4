"""Work notices on the queue with real processes, on SQLite and on Redis: a consumer killed (SIGKILL) or stopped
(SIGTERM) mid-send, then started again, against the sandbox slowed down by its latency
fault. Every batch is on the wire exactly once, every recipient reached once; the batch
on the wire when the consumer died is ``unknown`` and never sent again."""

from __future__ import annotations

import signal
import time
import uuid
from collections import Counter

import pytest

from dashboard.extensions import db
from dashboard.notifications import sending
from dashboard.notifications.models import Send
from tests.delivery.conftest import queue_env, wait_until, web_app

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
USERS = 40
BATCH = 2  # 20 batches
LATENCY = 0.3  # seconds per asyncsend_v2 call


STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.deploy)]


@pytest.fixture(params=STORES)
def store(request) -> tuple[str, str]:
    """The queue's store (SQLite, embedded; or Redis under this run's key prefix)."""
    if request.param == "redis":
        return "redis", f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:6]}:"
    return "sqlite", ""


def sandbox_env(tmp_path, emulator, store: tuple[str, str] = ("sqlite", "")) -> dict[str, str]:
    return queue_env(
        tmp_path,
        store[0],
        store[1],
        DINGTALK_API_BASE=emulator.base_url,
        DINGTALK_APP_KEY=emulator.app_key,
        DINGTALK_APP_SECRET=emulator.app_secret,
        DINGTALK_AGENT_ID=str(emulator.agent_id),
        DINGTALK_USERID_BATCH=str(BATCH),
        DINGTALK_RATE_LIMIT="100",
        DINGTALK_BACKOFF_BASE="0.05",
    )


def userids() -> list[str]:
    from dashboard.sandbox.demo import build_company

    people = sorted(u for u in build_company().users if u.startswith("u"))
    assert len(people) >= USERS
    return people[:USERS]


def queue_send(web, content: str) -> int:
    with web.app_context():
        db.create_all()
        send = sending.send_work_notice(
            msg={"msgtype": "text", "text": {"content": content}},
            userid_list=userids(),
            dept_id_list=None,
            to_all_user=False,
            sender="admin",
        )
        assert send.state == "queued" and len(send.tasks) == USERS // BATCH
        return send.id


def states(web, send_id: int) -> tuple[str, list[tuple[str, bool]]]:
    """The send's state and each batch's (state, attempted) as the database holds them now."""
    with web.app_context():
        send = db.session.get(Send, send_id)
        return send.state, [(t.state, t.attempted_at is not None) for t in send.tasks]


def sandbox_recipients(emulator, web, send_id: int) -> Counter:
    """Every recipient of every task the sandbox accepted during the test."""
    with web.app_context():
        known = [t.task_id for t in db.session.get(Send, send_id).tasks if t.task_id]
    seen: Counter = Counter()
    for task_id in range(min(known) - 2, max(known) + 3):
        try:
            task = emulator.task(task_id)
        except Exception:
            continue
        seen.update(task["recipients"])
        seen.update(f["userid"] for f in task["forbidden"])
    return seen


@pytest.fixture
def slow_sandbox(emulator):
    emulator.inject("latency", count=10_000, path=ASYNCSEND, seconds=LATENCY)
    yield emulator
    emulator.clear_faults()


def test_sigkill_mid_send_resumes_after_restart_and_no_batch_goes_out_twice(
    tmp_path, slow_sandbox, start_worker, store
):
    env = sandbox_env(tmp_path, slow_sandbox, store)
    web = web_app(env)
    send_id = queue_send(web, "kill -9 test")
    assert slow_sandbox.stats()["calls"].get(ASYNCSEND, 0) == 0  # queued, not sent

    worker = start_worker(env)

    def mid_call():
        _, batches = states(web, send_id)
        done = sum(s == "done" for s, _ in batches)
        in_flight = [1 for s, started in batches if s == "pending" and started]
        return done >= 4 and in_flight

    wait_until(mid_call, 60, "a batch on the wire after 4 went out", worker.proc)
    worker.proc.send_signal(signal.SIGKILL)
    worker.proc.wait(timeout=10)
    time.sleep(LATENCY * 3)  # the sandbox finishes the call the dead consumer had started

    state, batches = states(web, send_id)
    assert state == "sending"
    interrupted = [i for i, (s, started) in enumerate(batches) if s == "pending" and started]
    assert len(interrupted) == 1
    left = sum(1 for s, started in batches if s == "pending" and not started)
    assert left > 0, "the kill came too late to leave batches to resume"

    again = start_worker(env)  # its start re-queues the unfinished send
    wait_until(
        lambda: states(web, send_id)[0] not in ("queued", "sending"), 60, "settled", again.proc
    )
    state, batches = states(web, send_id)
    with web.app_context():
        detail = [
            (t.batch_no, t.state, t.reason, t.errmsg) for t in db.session.get(Send, send_id).tasks
        ]
    assert state == "unknown"
    assert [s for s, _ in batches].count("unknown") == 1, detail
    assert batches[interrupted[0]][0] == "unknown"  # given up, never re-sent
    assert [s for s, _ in batches].count("done") == USERS // BATCH - 1
    # On the wire: every other batch exactly once, each person at most once. The
    # interrupted batch may or may not have reached DingTalk before the kill (its start
    # is committed before the request is written): that is what "unknown" means.
    on_wire = slow_sandbox.stats()["calls"][ASYNCSEND]
    assert on_wire in (USERS // BATCH - 1, USERS // BATCH)
    seen = sandbox_recipients(slow_sandbox, web, send_id)
    assert set(seen.values()) == {1}
    assert set(seen) <= set(userids()) and len(seen) == on_wire * BATCH


def test_sigterm_mid_send_finishes_the_call_then_the_rest_goes_out_after_restart(
    tmp_path, slow_sandbox, start_worker, store
):
    env = sandbox_env(tmp_path, slow_sandbox, store)
    web = web_app(env)
    send_id = queue_send(web, "sigterm test")
    worker = start_worker(env)
    wait_until(
        lambda: sum(s == "done" for s, _ in states(web, send_id)[1]) >= 4,
        60,
        "4 batches out",
        worker.proc,
    )
    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(timeout=30) == 0, worker.output()

    state, batches = states(web, send_id)
    assert state == "queued"  # handed back to the queue
    assert not [1 for s, started in batches if s == "pending" and started]  # none cut off
    assert {s for s, _ in batches} == {"done", "pending"}
    sent_before = sum(s == "done" for s, _ in batches)
    assert sent_before < USERS // BATCH
    assert slow_sandbox.stats()["calls"][ASYNCSEND] == sent_before

    again = start_worker(env)
    wait_until(lambda: states(web, send_id)[0] == "submitted", 60, "settled", again.proc)
    assert {s for s, _ in states(web, send_id)[1]} == {"done"}
    assert slow_sandbox.stats()["calls"][ASYNCSEND] == USERS // BATCH
    seen = sandbox_recipients(slow_sandbox, web, send_id)
    assert set(seen) == set(userids()) and set(seen.values()) == {1}
