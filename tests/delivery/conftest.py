"""The delivery queue with real processes: `flask --app app delivery worker` as the Procfile runs it.

Each test gets its own instance folder, SQLite files and file cache; the Redis
cases work under this run's own key prefix (tests/deploy/conftest.py), deleted
at the end. An app built in the test process with the same settings plays the
web process: it enqueues, and reads /readyz.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.deploy.conftest import (  # noqa: F401  (fixtures)
    REDIS_URL,
    emulator,
    redis_prefix,
    redis_server,
    sandbox_process,
    stop,
    wait_until,
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SECRET_KEY = "delivery-test-secret-" + uuid.uuid4().hex


def queue_env(home: Path, store: str, prefix: str = "", **extra: str) -> dict[str, str]:
    """A deployment's environment: SQLite database, and the queue and cache on ``store``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DINGTALK_", "DASHBOARD_", "CACHE_", "DELIVERY_", "DATABASE_"))
    }
    env.update(
        SECRET_KEY=SECRET_KEY,
        DASHBOARD_INSTANCE_PATH=str(home / "instance"),
        DATABASE_URL=f"sqlite:///{home / 'dashboard.db'}",
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
    )
    if store == "sqlite":
        env.update(
            CACHE_TYPE="FileSystemCache",
            CACHE_DIR=str(home / "cache"),
            DELIVERY_QUEUE_URL=f"sqlite:///{home / 'queue.db'}",
        )
    else:  # the queue defaults to the cache's Redis
        env.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix)
    env.update(extra)
    return env


def web_app(env: dict[str, str]):
    """An app in this process with ``env``'s settings, as the web process would build it."""
    from dashboard import create_app

    config = {
        key: env[key]
        for key in env
        if key.startswith(("CACHE_", "DELIVERY_", "DINGTALK_")) and env[key]
    }
    for key in ("DINGTALK_USERID_BATCH", "DINGTALK_DEPT_BATCH"):
        if key in config:
            config[key] = int(config[key])
    for key in ("DINGTALK_RATE_LIMIT", "DINGTALK_TIMEOUT", "DINGTALK_BACKOFF_BASE"):
        if key in config:
            config[key] = float(config[key])
    config.setdefault("DELIVERY_QUEUE_URL", None)  # unset: resolved as the web resolves it
    config.update(
        DELIVERY_IMMEDIATE=False,
        TESTING=True,
        SECRET_KEY=env["SECRET_KEY"],
        SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"],
    )
    return create_app(config)


@dataclass
class Worker:
    """A running `flask --app app delivery worker`."""

    proc: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_worker(tmp_path) -> Iterator:
    """Start a consumer process with an environment; every one started is stopped after the test."""
    started: list[Worker] = []

    def start(env: dict[str, str], *args: str) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        with open(log, "wb") as out:
            proc = subprocess.Popen(
                [str(BIN / "flask"), "--app", "app", "delivery", "worker", *args],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(proc, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        stop(worker.proc)
