"""The directory snapshot of the large sandbox company (10,000 people, 500 departments).

A sandbox of its own (SANDBOX_COMPANY=large, its per-app per-API QPS limit at
DingTalk's 20/s) and the snapshot crawl as the dashboard makes it by default
(Contacts v2, DIRECTORY_CONTACTS_API=v2; DIRECTORY_CRAWL_WORKERS threads per kind
of call), the client's governor at the dashboard's default rate. The QPS-bound
minimum: the governor keeps one budget per app and API, so the crawl cannot end
before its busiest API's calls have gone out at the governor's rate,
``max(calls one API needs) / rate``, counted from the company (no retries); the row
also gives all needed calls / rate (the bound were one budget shared by every API)
and the calls actually made (retries after 90018 included).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from dashboard.dingtalk import DingTalkClient, MemoryTokenStore
from dashboard.dingtalk.ratelimit import DINGTALK_QPS, LocalRateLimiter
from dashboard.directory.crawl_v2 import PAGE_SIZE
from dashboard.sandbox.control import SandboxControl
from dashboard.sandbox.demo import build_large_company

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = ("/auth/", "/topapi/v2/", "/topapi/user/", "/department/", "/user/")


def _start_large_sandbox() -> tuple[subprocess.Popen, str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "SANDBOX_COMPANY": "large", "SANDBOX_QPS_LIMIT": str(DINGTALK_QPS)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.sandbox", "--port", str(port), "--quiet"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            requests.get(f"{url}/_sandbox/state", timeout=1)
            return proc, url
        except requests.RequestException:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the large sandbox did not start")


def needed_calls() -> dict[str, int]:
    """The calls the v2 snapshot of the large company needs, per API (no retries)."""
    company = build_large_company()
    pages = sum(max(1, -(-len(company.members(d)) // PAGE_SIZE)) for d in company.departments)
    n = len(company.departments)
    return {
        "/auth/scopes": 1,
        "/topapi/v2/department/listsub": n,
        "/topapi/v2/department/get": n + 1,  # the root in Chinese, every department in English
        "/topapi/v2/user/list": pages,
    }


def measure(rate: float) -> dict:
    """Build one snapshot of the large company; the figures of the row."""
    from dashboard.config import Config
    from dashboard.directory.crawl_v2 import crawl_v2

    proc, url = _start_large_sandbox()
    try:
        control = SandboxControl(url)
        client = DingTalkClient(
            app_key=control.app_key,
            app_secret=control.app_secret,
            agent_id=control.agent_id,
            base_url=url,
            token_store=MemoryTokenStore(),
            rate_limiter=LocalRateLimiter(rate=rate),
        )
        client.get_access_token()  # /gettoken is not counted among the snapshot's calls
        started = time.perf_counter()
        snapshot = crawl_v2(client, workers=int(Config.DIRECTORY_CRAWL_WORKERS))
        seconds = time.perf_counter() - started
        stats = control.stats()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    calls = {p: n for p, n in stats["calls"].items() if p.startswith(CONTACTS)}
    busiest = max(needed_calls().values())
    return {
        "departments": len(snapshot.departments),
        "people": len(snapshot.users),
        "seconds": seconds,
        "calls": sum(calls.values()),
        "busiest": busiest,
        "per_api": calls,
        "minimum": busiest / rate,
        "shared_minimum": sum(needed_calls().values()) / rate,
        "errors_90018": stats["errors"].get(90018, stats["errors"].get("90018", 0)),
    }


def snapshot_rows(rate: float) -> list[str]:
    r = measure(rate)
    per_api = ", ".join(
        f"{p.rsplit('/topapi', 1)[-1]} {n}" for p, n in sorted(r["per_api"].items())
    )
    row = (
        f"| snapshot of {r['people']:,} people / {r['departments']} departments (v2) "
        f"| {r['calls']:,} ({per_api}) | {r['seconds']:.1f} s | {r['minimum']:.1f} s "
        f"| {r['seconds'] / r['minimum']:.2f}x | {r['shared_minimum']:.1f} s | {r['errors_90018']} |"
    )
    print(row, flush=True)
    return [
        "",
        f"| directory snapshot (governor at {rate:g}/s per API, emulator at DingTalk's "
        f"{DINGTALK_QPS}/s, SANDBOX_COMPANY=large) | calls | build time "
        "| QPS-bound minimum (busiest API / rate) | ratio | all needed calls / rate | 90018 answers |",
        "|---|---|---|---|---|---|---|",
        row,
    ]


if __name__ == "__main__":
    from dashboard.config import Config

    print("\n".join(snapshot_rows(float(Config.DINGTALK_RATE_LIMIT))))
