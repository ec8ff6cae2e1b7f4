"""`python -m dashboard.sandbox` serves the emulator with credentials from the environment."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_module_entry_point_serves_and_logs_without_tokens(tmp_path):
    port = free_port()
    env = dict(os.environ, DINGTALK_APP_KEY="dingenvkey", DINGTALK_APP_SECRET="env-secret")
    env["PYTHONPATH"] = str(ROOT)
    log_path = tmp_path / "sandbox.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.sandbox", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                state = requests.get(f"{base}/_sandbox/state", timeout=1).json()
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        assert state["app_key"] == "dingenvkey"
        token = requests.get(
            f"{base}/gettoken",
            params={"appkey": "dingenvkey", "appsecret": "env-secret"},
            timeout=5,
        ).json()["access_token"]
        body = requests.get(
            f"{base}/user/get", params={"access_token": token, "userid": "u0001"}, timeout=5
        )
        assert body.json()["errcode"] == 0
    finally:
        process.terminate()
        process.wait(timeout=10)
    output = log_path.read_text()
    assert "GET /user/get -> 200 errcode=0" in output
    assert token not in output
    assert "env-secret" not in output
