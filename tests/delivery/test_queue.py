"""The queue itself: tasks wait for a consumer, run in its app context, survive no consumer,
and a SIGTERM lets the running task finish; immediate mode runs them in the caller."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from dashboard.delivery import enqueue, get_huey, tasks
from dashboard.delivery.queue import HEARTBEAT_KEY, STALE_AFTER, QueueConfigError
from dashboard.extensions import cache
from tests.delivery.conftest import queue_env, wait_until, web_app

STORES = ["sqlite", pytest.param("redis", marks=pytest.mark.deploy)]


@pytest.fixture
def store_env(request, tmp_path):
    """The environment for the parametrised store (Redis under this run's key prefix)."""
    store = request.param
    prefix = ""
    if store == "redis":
        prefix = f"{request.getfixturevalue('redis_prefix')}{uuid.uuid4().hex[:6]}:"
    return store, prefix, queue_env(tmp_path, store, prefix)


def readyz(app) -> tuple[int, dict]:
    reply = app.test_client().get("/readyz")
    return reply.status_code, reply.get_json()


@pytest.mark.parametrize("store_env", STORES, indirect=True)
def test_a_task_queued_while_no_consumer_runs_is_run_when_one_starts(store_env, start_worker):
    store, prefix, env = store_env
    web = web_app(env)
    token = uuid.uuid4().hex
    with web.app_context():
        result = tasks.ping.enqueue(token)
        assert get_huey().pending_count() == 1
        assert result.get() is None  # nothing ran it
        if store == "redis":
            redis = get_huey().storage.conn
            assert redis.llen(f"{prefix}delivery:queue") == 1  # under the app's key prefix
        status, body = readyz(web)
        assert status == 503
        assert body["checks"]["delivery_queue"] == {"status": "ok", "backend": store, "pending": 1}
        assert body["checks"]["delivery_consumer"]["status"] == "error"

    worker = start_worker(env)
    with web.app_context():
        answer = result.get(blocking=True, timeout=60)
        assert answer["token"] == token
        assert answer["pid"] == worker.pid != os.getpid()  # in the consumer process
        assert answer["app"] == "dashboard"  # inside an app context of the dashboard
        assert answer["database"] == "sqlite"
        assert get_huey().pending_count() == 0
        # the consumer's heartbeat, through the shared cache, makes the web ready
        wait_until(lambda: readyz(web)[0] == 200, 30, "/readyz with the consumer", worker.proc)
        checks = readyz(web)[1]["checks"]
        assert checks["delivery_consumer"]["status"] == "ok"
        assert checks["delivery_consumer"]["last_seen_s"] <= STALE_AFTER

    worker.proc.send_signal(signal.SIGTERM)
    assert worker.proc.wait(timeout=30) == 0, worker.output()


def test_sigterm_lets_the_running_task_finish_then_the_consumer_exits_0(tmp_path, start_worker):
    env = queue_env(tmp_path, "sqlite")
    web = web_app(env)
    token, release = uuid.uuid4().hex, f"release-{uuid.uuid4().hex}"
    with web.app_context():
        running = tasks.ping.enqueue(token, hold_until=release, timeout=60)
        waiting = tasks.ping.enqueue("second")

    worker = start_worker(env, "--workers", "1")
    with web.app_context():
        wait_until(lambda: cache.get(f"delivery:ping:{token}:started"), 60, "task", worker.proc)
    worker.proc.send_signal(signal.SIGTERM)
    wait_until(lambda: "Received SIGTERM" in worker.output(), 30, "SIGTERM seen", worker.proc)
    assert worker.proc.poll() is None  # still finishing the running task

    with web.app_context():
        cache.set(release, True)
        assert worker.proc.wait(timeout=60) == 0, worker.output()
        assert running.get(blocking=True, timeout=5)["released"] is True  # it finished
        assert waiting.get() is None  # the next one was not started
        # It waits for the next consumer (beside any periodic task the scheduler queued).
        assert [t.name for t in get_huey().pending() if t.name == "ping"] == ["ping"]


def test_immediate_mode_runs_the_task_in_the_caller_and_needs_no_consumer(tmp_path):
    from dashboard import create_app

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'test.db'}",
            "CACHE_TYPE": "SimpleCache",
            "DELIVERY_IMMEDIATE": True,
        }
    )
    with app.app_context():
        answer = enqueue("ping", "here").get()
        with pytest.raises(KeyError):
            enqueue("no_such_task")
    assert answer["pid"] == os.getpid()
    assert answer["token"] == "here"
    status, body = readyz(app)
    assert status == 200, body
    assert body["checks"]["delivery_consumer"] == {"status": "ok", "mode": "immediate"}
    assert body["checks"]["delivery_queue"] == {"status": "ok", "backend": "immediate"}


def test_readyz_names_a_consumer_not_seen_for_a_minute(tmp_path):
    app = web_app(queue_env(tmp_path, "sqlite"))
    status, body = readyz(app)
    assert status == 503
    assert body["checks"]["delivery_consumer"] == {
        "status": "error",
        "error": "no delivery consumer has ever been seen",
    }

    with app.app_context():
        cache.set(HEARTBEAT_KEY, {"at": time.time() - STALE_AFTER - 5})
    status, body = readyz(app)
    assert status == 503
    assert body["checks"]["delivery_consumer"]["status"] == "error"
    assert body["checks"]["delivery_consumer"]["last_seen_s"] >= STALE_AFTER

    with app.app_context():
        cache.set(HEARTBEAT_KEY, {"at": time.time()})
    status, body = readyz(app)
    assert status == 200, body
    assert body["checks"]["delivery_consumer"]["status"] == "ok"


def test_a_queue_url_the_queue_cannot_use_fails_at_start_without_echoing_it(tmp_path):
    env = queue_env(tmp_path, "sqlite", DELIVERY_QUEUE_URL="amqp://user:s3cret@mq/")
    with pytest.raises(QueueConfigError) as failure:
        web_app(env)
    assert "s3cret" not in str(failure.value)
