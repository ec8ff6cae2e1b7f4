"""A script's burst on the JSON API, from one token, against 4 gunicorn workers on Redis.

The API's per-token ceiling is left at its default; DingTalk's budget (the
sandbox's QPS limit, on) is kept by the shared governor, so calls over it wait
for their turn instead of being refused; repeated reads come from the
directory's cache.
"""

from __future__ import annotations

import signal
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deploy.conftest import start_gunicorn, stop

USERS = [f"u{n:04d}" for n in range(1, 101)]
BURST = 400


@pytest.fixture(scope="module")
def gunicorn_default_limit(deploy_env, delivery_worker, tmp_path_factory):
    """4 workers with API_RATE_LIMIT unset: the shipped default ceiling."""
    # The shipped defaults: no API ceiling set, directory reads cached.
    env = {
        k: v for k, v in deploy_env.items() if k not in ("API_RATE_LIMIT", "DIRECTORY_DETAIL_TTL")
    }
    server = start_gunicorn(env, tmp_path_factory.mktemp("gunicorn-default-limit"))
    yield server
    stop(server.proc, signal.SIGINT)


def test_400_concurrent_userinfo_calls_from_one_token_are_all_answered(
    gunicorn_default_limit, emulator
):
    server = gunicorn_default_limit
    emulator.set_knobs(qps_limit=20)  # DingTalk's budget; the governor runs at 10/s
    calls = [USERS[n % len(USERS)] for n in range(BURST)]

    def userinfo(userid: str):
        response = server.api("userinfo", {"userid": userid})
        body = (
            response.json()
            if response.headers.get("Content-Type", "").startswith("application/json")
            else {}
        )
        return response.status_code, (body.get("data") or {}).get("userid"), userid

    with ThreadPoolExecutor(max_workers=64) as pool:
        results = list(pool.map(userinfo, calls))

    statuses = Counter(status for status, _, _ in results)
    assert statuses == {200: BURST}, statuses
    assert all(got == asked for _, got, asked in results)
    stats = emulator.stats()
    assert stats["errors"].get(90018, 0) == 0, stats["errors"]
    first_wave = stats["calls"].get("/user/get", 0)
    assert 0 < first_wave < BURST  # each user read from DingTalk about once, the rest cached

    # Within the cache's lifetime, the same reads do not reach DingTalk at all.
    with ThreadPoolExecutor(max_workers=32) as pool:
        again = list(pool.map(userinfo, USERS))
    assert Counter(status for status, _, _ in again) == {200: len(USERS)}
    assert emulator.stats()["calls"].get("/user/get", 0) == first_wave
