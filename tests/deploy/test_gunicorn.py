"""Four gunicorn workers on Redis and PostgreSQL behave as one DingTalk app.

One token for all workers, one refresh when it is revoked under load, one
rate budget that keeps the whole app under DingTalk's per-app QPS, probes
that answer without secrets, and JSON logs carrying each request's id.
"""

from __future__ import annotations

import pickle
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.deploy.conftest import ADMIN_PASSWORD, API_TOKEN, PG_PASSWORD, SECRET_KEY

COUNT = ("get_org_user_count", {"onlyActive": 0})


def cached_token(gunicorn, redis_server, app_key: str) -> str | None:
    """The token the workers share, read straight from Redis (cachelib pickles with a '!')."""
    raw = redis_server.get(f"{gunicorn.env['CACHE_KEY_PREFIX']}dingtalk:token:{app_key}")
    return pickle.loads(raw[1:]) if raw else None  # noqa: S301 (our own test Redis)


def forget_token(gunicorn, redis_server, app_key: str) -> None:
    redis_server.delete(f"{gunicorn.env['CACHE_KEY_PREFIX']}dingtalk:token:{app_key}")


def served_by(gunicorn, request_ids: set[str]) -> set[int]:
    """The worker pids whose access lines carry one of ``request_ids``."""
    return {
        line["pid"]
        for line in gunicorn.log_lines()
        if line.get("logger") == "gunicorn.access" and line.get("request_id") in request_ids
    }


def call(gunicorn, operation: str, payload: dict, request_ids: set[str] | None = None):
    request_id = f"deploy-{uuid.uuid4().hex}"
    if request_ids is not None:
        request_ids.add(request_id)
    return gunicorn.api(operation, payload, **{"X-Request-Id": request_id})


def test_concurrent_requests_across_workers_fetch_one_token(gunicorn, emulator, redis_server):
    forget_token(gunicorn, redis_server, emulator.app_key)
    request_ids: set[str] = set()
    with ThreadPoolExecutor(32) as pool:
        replies = list(pool.map(lambda _: call(gunicorn, *COUNT, request_ids), range(48)))

    assert [r.status_code for r in replies] == [200] * len(replies), replies[0].text
    assert all(r.json()["success"] for r in replies)
    stats = emulator.stats()
    assert stats["gettoken"] == 1
    assert stats["calls"]["/user/get_org_user_count"] == 48
    assert len(served_by(gunicorn, request_ids)) >= 2, "the load never reached a second worker"


def test_revoked_token_under_load_is_refreshed_once(gunicorn, emulator):
    """Three rounds of 12 clients calling while the token is revoked: one gettoken per round.

    Each round drains before the next revocation, so no request meets two
    revocations (the client refreshes once per call, by design).
    """
    assert call(gunicorn, *COUNT).status_code == 200
    before = emulator.stats()["gettoken"]
    replies: list[requests.Response] = []
    rounds = 3
    for _ in range(rounds):
        replies += calls_around(gunicorn, emulator.revoke_tokens, clients=12)

    assert {r.status_code for r in replies} == {200}, [r.text for r in replies if not r.ok][:3]
    refreshes = emulator.stats()["gettoken"] - before
    assert refreshes == rounds


def calls_around(gunicorn, event, clients: int, before: int = 8, after: int = 16):
    """Keep ``clients`` callers busy; run ``event`` after ``before`` replies, stop ``after`` later."""
    stop = threading.Event()
    replies: list[requests.Response] = []
    landed = threading.Semaphore(0)

    def keep_calling():
        while not stop.is_set():
            replies.append(call(gunicorn, *COUNT))
            landed.release()

    threads = [threading.Thread(target=keep_calling) for _ in range(clients)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(before):
            landed.acquire(timeout=30)
        event()
        for _ in range(after):
            landed.acquire(timeout=30)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return replies


def test_four_workers_at_full_speed_stay_under_the_per_app_qps(gunicorn, emulator, redis_server):
    """Emulator limit 20/s per API, dashboard budget 10/s shared in Redis: no 90018.

    Half the limit, because the emulator counts calls when they arrive: a
    budget of r/s lets through at most 2r calls in any window shorter than 2 s,
    so any delivery jitter under a second stays within 2r = 20.
    """
    forget_token(gunicorn, redis_server, emulator.app_key)
    emulator.set_knobs(qps_limit=20)
    users = [f"u{n:04d}" for n in range(1, 41)]
    request_ids: set[str] = set()
    with ThreadPoolExecutor(32) as pool:
        replies = list(
            pool.map(
                lambda userid: call(
                    gunicorn,
                    "asyncsend_v2",
                    {"userid_list": userid, "msg": f"deploy load test for {userid}"},
                    request_ids,
                ),
                users,
            )
        )

    assert [r.status_code for r in replies] == [200] * len(users), replies[0].text
    stats = emulator.stats()
    assert stats["errors"].get(90018, 0) == 0
    assert stats["calls"]["/topapi/message/corpconversation/asyncsend_v2"] == len(users)
    assert len(served_by(gunicorn, request_ids)) >= 2


def test_probes_answer_without_sign_in_and_without_secrets(gunicorn, emulator, redis_server):
    call(gunicorn, *COUNT)
    health = requests.get(f"{gunicorn.url}/healthz", timeout=5)
    ready = requests.get(f"{gunicorn.url}/readyz", timeout=5)

    assert health.status_code == 200
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert (checks["database"]["status"], checks["database"]["backend"]) == ("ok", "postgresql")
    assert checks["cache"]["status"] == "ok"
    assert checks["token"]["cached"] is True
    assert 0 < checks["token"]["expires_in"] <= 7200
    token = cached_token(gunicorn, redis_server, emulator.app_key)
    for secret in (token, emulator.app_secret, PG_PASSWORD, API_TOKEN, SECRET_KEY, "redis://"):
        assert secret not in ready.text


def test_log_lines_carry_the_request_id_and_no_secret(gunicorn, emulator, redis_server):
    forget_token(gunicorn, redis_server, emulator.app_key)
    request_id = f"deploy-{uuid.uuid4().hex}"
    reply = gunicorn.api(*COUNT, **{"X-Request-Id": request_id})
    requests.get(f"{gunicorn.url}/readyz?access_token=leak-me-not", timeout=5)

    assert reply.headers["X-Request-Id"] == request_id
    mine = [line for line in gunicorn.log_lines() if line.get("request_id") == request_id]
    loggers = {line["logger"] for line in mine}
    assert "gunicorn.access" in loggers
    assert "dashboard.dingtalk" in loggers  # the gettoken and the call, logged by the client
    assert all(line.get("path") != "/readyz?access_token=leak-me-not" for line in mine)
    logs = gunicorn.raw_logs()
    token = cached_token(gunicorn, redis_server, emulator.app_key)
    secrets = (token, emulator.app_secret, PG_PASSWORD, API_TOKEN, ADMIN_PASSWORD, SECRET_KEY)
    for secret in secrets:
        assert secret not in logs
    assert "leak-me-not" not in logs


def test_long_get_urls_reach_the_app_and_get_the_consoles_414_page(gunicorn):
    """gunicorn's default 4094-byte request line answered with its own page; now the app does."""
    page = requests.get(f"{gunicorn.url}/notifications/?q={'x' * 6000}", timeout=10)
    assert page.status_code == 414
    assert 'id="error-message"' in page.text
    assert "网址过长" in page.text

    api = requests.get(f"{gunicorn.url}/api/dingtalkserve/x?q={'y' * 6000}", timeout=10)
    assert api.status_code == 414
    assert api.json()["success"] is False

    short = requests.get(f"{gunicorn.url}/readyz?q={'z' * 3900}", timeout=10)
    assert short.status_code == 200
