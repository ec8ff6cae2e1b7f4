"""The README's run command: the sandbox and every Procfile process come up wired together,
and Ctrl+C stops them all."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.deploy.conftest import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("isv", [False, True], ids=["internal-app", "isv"])
def test_run_demo_serves_the_demo_company_and_prints_the_sign_in(tmp_path, isv):
    port, sandbox_port = free_port(), free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DINGTALK_", "DASHBOARD_", "CACHE_", "DELIVERY_", "GUNICORN_"))
    }
    env.update(
        PORT=str(port),
        SANDBOX_PORT=str(sandbox_port),
        DASHBOARD_INSTANCE_PATH=str(tmp_path),
        VENV=str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv"))),
        DEMO_ISV="1" if isv else "0",
    )
    log = (tmp_path / "run.log").open("w+")
    proc = subprocess.Popen(
        ["bash", "scripts/run-demo.sh"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: requests.get(base + "/healthz", timeout=1).ok, 60, "dashboard", proc)
        printed = (tmp_path / "run.log").read_text()
        match = re.search(r"Sign in:\s+(\S+) / (\S+)", printed)
        assert match, printed
        assert f"Open:      {base}/" in printed

        web = requests.Session()
        page = web.get(base + "/login", timeout=5).text
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        signed_in = web.post(
            base + "/login",
            data={"username": match.group(1), "password": match.group(2), "csrf_token": csrf},
            timeout=5,
        )
        assert signed_in.url.rstrip("/") == base
        if isv:
            # the run command pushed the ticket and both authorisations through the callback
            wait_until(lambda: "ISV mode:" in (tmp_path / "run.log").read_text(), 30, "pushes")
            isv_page = web.get(base + "/isv/", timeout=30).text
            assert "dingisvcorpa" in isv_page and "dingisvcorpb" in isv_page
            web.post(
                base + "/isv/select",
                data={"corpid": "dingisvcorpa", "next": "/", "csrf_token": csrf},
                timeout=5,
            )
        overview = web.get(base + "/org/", timeout=30).text
        assert "150" in overview  # the demo company's head count, read from the sandbox

        # the Procfile's worker runs: its heartbeat makes /readyz ready
        wait_until(lambda: requests.get(base + "/readyz", timeout=5).ok, 60, "/readyz", proc)
        checks = requests.get(base + "/readyz", timeout=5).json()["checks"]
        assert checks["delivery_consumer"]["status"] == "ok"
        assert checks["delivery_queue"]["backend"] == "sqlite"
        assert "worker | " in (tmp_path / "run.log").read_text()

        # Ctrl+C (SIGINT to the terminal's process group) stops every process
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=90)
        wait_until(lambda: not _group_alive(proc.pid), 30, "every process stopped")
    finally:
        if _group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        log.close()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
