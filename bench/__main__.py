"""`python -m bench`: gettoken calls per cold start and sends per second, 1 vs 4 workers;
then whole sends through the delivery queue.

Each "worker" is a forked process with its own DingTalkClient, as under
gunicorn. Token stores compared: per-process memory, a file cache (no atomic
add across processes) and Redis (atomic add). Rate limiters compared: one
budget per process against one budget shared in Redis, with the emulator's
per-app QPS limit at 20/s. Then, in the same run and against the same sandbox
(its QPS limit on at DingTalk's 20/s), sends of 10,000 and 100,000 recipients made
through the JSON API of a gunicorn web process (tests/deploy's `start_gunicorn`) and
delivered by a real consumer (`flask --app app delivery worker`, same environment,
the governor at its default, DINGTALK_RATE_LIMIT): time to answer the POST,
completion time against the QPS-bound minimum (calls / DingTalk's 20 QPS), 90018
answers, the consumer's RSS before and at its peak. The dashboard's SQLite database
is on tmpfs (/dev/shm) where there is one: the bench measures the pace against
DingTalk's budget, not the disk's fsync (two commits per batch, each about 20 ms on
a shared CI disk, would bound the consumer below the budget by themselves).
The table goes to stdout and to bench/results.md (committed: the figures of the
last run), and a copy to bench/results/<time>.md (not committed).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
import requests
from cachelib import FileSystemCache, RedisCache

from bench.snapshot import snapshot_rows
from dashboard.dingtalk import CacheTokenStore, DingTalkClient, MemoryTokenStore, messages
from dashboard.dingtalk.errors import DingTalkError
from dashboard.dingtalk.ratelimit import DINGTALK_QPS, LocalRateLimiter, RedisRateLimiter
from dashboard.sandbox.control import SandboxControl
from tests.deploy.conftest import start_gunicorn, stop

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: Where the dashboard's database lives during the bench: memory when the system has it.
SHM = Path("/dev/shm")  # noqa: S108 - only the parent of a private mkdtemp directory
MEMORY_DIR = str(SHM) if SHM.is_dir() else None
#: The table of the last run, committed beside the code it measured.
LATEST = ROOT / "bench" / "results.md"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
SEND_PATH = "/topapi/message/corpconversation/asyncsend_v2"


@dataclass
class Setup:
    """What every worker process needs to build its client."""

    base_url: str
    app_key: str
    app_secret: str
    agent_id: int
    store: str  # memory | file | redis
    limiter: str  # local | redis
    rate: float
    prefix: str
    cache_dir: str


def build_client(setup: Setup) -> DingTalkClient:
    if setup.store == "redis":
        cache = RedisCache(redis.Redis.from_url(REDIS_URL), key_prefix=setup.prefix)
        store: Any = CacheTokenStore(cache)
    elif setup.store == "file":
        store = CacheTokenStore(FileSystemCache(setup.cache_dir))
    else:
        store = MemoryTokenStore()
    if setup.limiter == "redis":
        limiter: Any = RedisRateLimiter(
            redis.Redis.from_url(REDIS_URL), rate=setup.rate, prefix=f"{setup.prefix}rl:"
        )
    else:
        limiter = LocalRateLimiter(rate=setup.rate)
    return DingTalkClient(
        app_key=setup.app_key,
        app_secret=setup.app_secret,
        agent_id=setup.agent_id,
        base_url=setup.base_url,
        timeout=10.0,
        token_store=store,
        rate_limiter=limiter,
        backoff_base=0.05,
    )


def count_worker(setup: Setup, threads: int, start: Any, out: Any) -> None:
    """Every thread asks for the head count once, all released together."""
    client = build_client(setup)
    failures = []

    def one() -> None:
        start.wait()
        try:
            client.users.count_org_users(False)
        except DingTalkError as exc:
            failures.append(type(exc).__name__)

    pool = [threading.Thread(target=one) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put(len(failures))


def send_worker(setup: Setup, threads: int, seconds: float, start: Any, out: Any) -> None:
    """Every thread sends work notices back to back for ``seconds``."""
    client = build_client(setup)
    sent, failed = [0], [0]
    lock = threading.Lock()

    def loop(n: int) -> None:
        start.wait()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                client.messages.send_work_notice(
                    messages.text("bench"), userid_list=[f"u{(n % 100) + 1:04d}"]
                )
                with lock:
                    sent[0] += 1
            except DingTalkError:
                with lock:
                    failed[0] += 1

    pool = [threading.Thread(target=loop, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    out.put((sent[0], failed[0]))


def run_workers(target, workers: int, args: tuple) -> list[Any]:
    ctx = mp.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, start, out)) for _ in range(workers)]
    for proc in procs:
        proc.start()
    time.sleep(0.5)  # let every process build its client before the gate opens
    start.set()
    results = [out.get(timeout=120) for _ in procs]
    for proc in procs:
        proc.join()
    return results


def cold_start(control: SandboxControl, setup: Setup, workers: int, threads: int) -> dict:
    """gettoken calls when workers*threads requests arrive with no token cached."""
    control.reset()
    failures = sum(run_workers(count_worker, workers, (setup, threads)))
    stats = control.stats()
    return {"gettoken": stats["gettoken"], "failures": failures}


def send_rate(control: SandboxControl, setup: Setup, workers: int, seconds: float) -> dict:
    """Sends per second and the emulator's 90018 answers with the QPS limit at 20/s."""
    control.reset()
    control.set_knobs(qps_limit=20, daily_per_user_cap=100000)
    started = time.monotonic()
    results = run_workers(send_worker, workers, (setup, 8, seconds))
    elapsed = time.monotonic() - started - 0.5
    sent = sum(r[0] for r in results)
    stats = control.stats()
    return {
        "sent": sent,
        "failed": sum(r[1] for r in results),
        "per_second": sent / elapsed,
        "errors_90018": stats["errors"].get(90018, 0),
        "calls": stats["calls"].get(SEND_PATH, 0),
    }


def start_sandbox() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.sandbox", "--port", str(port), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            requests.get(f"{url}/_sandbox/state", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the sandbox did not start")


# --- whole sends through the queue --------------------------------------------------------

#: DingTalk's budget per app and API: the sandbox's limit, and the QPS-bound minimum's rate.
QUEUE_QPS = DINGTALK_QPS


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (Linux /proc), 0 when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def dashboard_processes(url: str, control: SandboxControl, home: Path, prefix: str):
    """The Procfile's worker and web lines on one environment: SQLite, the cache and queue
    on Redis, the sandbox as DingTalk, the governor at its default rate. Returns (web
    server, token, worker proc); the worker starts first (/readyz waits for it)."""
    token = "bench-api-token-" + uuid.uuid4().hex
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DINGTALK_", "DASHBOARD_"))}
    env.update(
        SECRET_KEY="bench-" + uuid.uuid4().hex,
        DATABASE_URL=f"sqlite:///{home / 'bench.db'}",
        DASHBOARD_INSTANCE_PATH=str(home / "instance"),
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=REDIS_URL,
        CACHE_KEY_PREFIX=prefix,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=f"{prefix}limiter",
        DINGTALK_API_BASE=url,
        DINGTALK_APP_KEY=control.app_key,
        DINGTALK_APP_SECRET=control.app_secret,
        DINGTALK_AGENT_ID=str(control.agent_id),
        DASHBOARD_API_TOKEN=token,
        LOG_LEVEL="WARNING",
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from dashboard import create_app; from dashboard.extensions import db\n"
            "app = create_app()\nwith app.app_context(): db.create_all()",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    bin_dir = Path(sys.executable).parent
    with open(home / "worker.log", "wb") as logs:
        worker = subprocess.Popen(
            [str(bin_dir / "flask"), "--app", "app", "delivery", "worker"],
            cwd=ROOT,
            env=env,
            stdout=logs,
            stderr=subprocess.STDOUT,
        )
    try:
        web = start_gunicorn(env, home, workers=2)
    except BaseException:
        stop(worker)
        raise
    return web, token, worker


def queue_send(control: SandboxControl, web_url: str, token: str, worker_pid: int, size: int):
    """One API send of ``size`` recipients, timed from the POST to its last batch's outcome."""
    control.reset()
    control.set_knobs(qps_limit=QUEUE_QPS, daily_per_user_cap=10_000_000)
    userids = [f"bench{n:06d}" for n in range(size)]
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{web_url}/api/dingtalkserve"
    rss_before = rss_kib(worker_pid)
    started = time.monotonic()
    response = requests.post(
        f"{api}/asyncsend_v2",
        json={"userid_list": userids, "msg": f"bench {size}"},
        headers=headers,
        timeout=120,
    )
    answered = time.monotonic() - started
    body = response.json()
    if response.status_code not in (200, 202) or not body.get("success"):
        raise SystemExit(f"the send was refused: {response.status_code} {body}")
    send_id = body["data"]["send_id"]
    peak = rss_before
    status: dict = {}
    deadline = started + 600
    while time.monotonic() < deadline:
        peak = max(peak, rss_kib(worker_pid))
        status = requests.post(
            f"{api}/sendStatus", json={"send_id": send_id}, headers=headers, timeout=30
        ).json()["data"]
        if status["counts"]["pending"] == 0:
            break
        # Each look lists every batch: often for a short send, seldom for a long one (the
        # web process shares the 2 cores with the consumer it measures).
        time.sleep(0.1 if size <= 10_000 else 0.5)
    finished = time.monotonic() - started
    stats = control.stats()
    counts = status.get("counts", {})
    return {
        "size": size,
        "status": response.status_code,
        "answered_ms": answered * 1000,
        "state": status.get("state"),
        "seconds": finished,
        "calls": stats["calls"].get(SEND_PATH, 0),
        "batches": counts.get("batches", 0),
        "done": counts.get("done", 0),
        "errors_90018": stats["errors"].get(90018, 0),
        "rss_before": rss_before,
        "rss_peak": peak,
    }


def governor_rate() -> float:
    """The governor's rate as the dashboard configures it by default (DINGTALK_RATE_LIMIT)."""
    from dashboard.config import Config

    return float(Config.DINGTALK_RATE_LIMIT)


def queue_rows(url: str, control: SandboxControl, prefix: str, sizes: list[int]) -> list[str]:
    rows = [
        "",
        f"| send through the queue (API POST, 1 consumer, governor at {governor_rate():g}/s, "
        f"emulator at DingTalk's {QUEUE_QPS}/s, SQLite on {MEMORY_DIR or 'disk'}) "
        "| POST answered | batches done | completion | QPS-bound minimum | ratio | 90018 answers "
        "| consumer RSS before / peak |",
        "|---|---|---|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory(dir=MEMORY_DIR) as home:
        web, token, worker = dashboard_processes(url, control, Path(home), prefix)
        try:
            for size in sizes:
                r = queue_send(control, web.url, token, worker.pid, size)
                ideal = r["batches"] / QUEUE_QPS
                rows.append(
                    f"| {size:,} recipients ({r['state']}) | {r['answered_ms']:.0f} ms "
                    f"(HTTP {r['status']}) | {r['done']} / {r['batches']} "
                    f"| {r['seconds']:.1f} s | {ideal:.1f} s | {r['seconds'] / ideal:.2f}x "
                    f"| {r['errors_90018']} | {r['rss_before'] / 1024:.0f} / "
                    f"{r['rss_peak'] / 1024:.0f} MiB |"
                )
                print(rows[-1], flush=True)
        finally:
            stop(worker)
            stop(web.proc, signal.SIGINT)
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=4.0, help="length of each send run")
    parser.add_argument("--rate", type=float, default=15.0, help="client budget, calls/s")
    parser.add_argument(
        "--queue-sizes",
        default="10000,100000",
        help="recipients of each send through the queue, comma-separated ('' to skip)",
    )
    parser.add_argument(
        "--no-snapshot", action="store_true", help="skip the 10,000-person directory snapshot"
    )
    args = parser.parse_args(argv)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        raise SystemExit(
            f"Redis not reachable at {REDIS_URL} ({exc}); run `make services`"
        ) from None

    proc, url = start_sandbox()
    prefix = f"bench-{uuid.uuid4().hex[:8]}:"
    rows: list[str] = []
    try:
        control = SandboxControl(url)
        with tempfile.TemporaryDirectory() as cache_dir:

            def setup(store: str, limiter: str) -> Setup:
                return Setup(
                    url,
                    control.app_key,
                    control.app_secret,
                    control.agent_id,
                    store,
                    limiter,
                    args.rate,
                    f"{prefix}{uuid.uuid4().hex[:6]}:",
                    cache_dir,
                )

            rows.append(
                "| token store | workers x threads | gettoken per cold start | failed calls |"
            )
            rows.append("|---|---|---|---|")
            for store in ("memory", "file", "redis"):
                for workers in (1, 4):
                    result = cold_start(control, setup(store, "local"), workers, 8)
                    rows.append(
                        f"| {store} | {workers} x 8 | {result['gettoken']} | {result['failures']} |"
                    )
            rows.append("")
            rows.append(
                f"| rate limiter ({args.rate:g}/s per process or shared; emulator 20/s) "
                "| workers x threads | sends/s | 90018 answers | send calls | failed sends |"
            )
            rows.append("|---|---|---|---|---|---|")
            for limiter in ("local", "redis"):
                for workers in (1, 4):
                    result = send_rate(control, setup("redis", limiter), workers, args.seconds)
                    rows.append(
                        f"| {limiter} | {workers} x 8 | {result['per_second']:.1f} "
                        f"| {result['errors_90018']} | {result['calls']} | {result['failed']} |"
                    )
        sizes = [int(n) for n in args.queue_sizes.split(",") if n.strip()]
        if sizes:
            rows.extend(queue_rows(url, control, f"{prefix}q:", sizes))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)

    if not args.no_snapshot:
        rows.extend(snapshot_rows(governor_rate()))  # a sandbox of its own (the large company)
    table = "\n".join(rows)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    header = (
        f"# `make bench`, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {os.cpu_count()} CPUs "
        f"(load average at the end: {load})\n\n"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / time.strftime("%Y%m%d-%H%M%S.md", time.gmtime())
    for target in (LATEST, path):
        target.write_text(header + table + "\n")
    print(table)
    print(f"\nwritten to {LATEST.relative_to(ROOT)} and {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
