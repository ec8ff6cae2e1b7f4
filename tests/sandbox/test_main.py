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


def wait_for_state(base: str) -> dict:
    for _ in range(200):
        try:
            return requests.get(f"{base}/_sandbox/state", timeout=1).json()
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError("the sandbox did not start")


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


def test_module_entry_point_takes_corp_credentials_and_agent_from_the_environment(tmp_path):
    """One .env configures both sides: the corp pair and the agent id, not only the app key."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DINGTALK_", "SANDBOX_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DINGTALK_CORP_ID="dingenvcorp",
        DINGTALK_CORP_SECRET="env-corp-secret",
        DINGTALK_AGENT_ID="424242",
    )
    with (tmp_path / "sandbox.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.sandbox", "--port", str(port), "--quiet"],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        state = wait_for_state(base)
        assert (state["corp_id"], state["agent_id"]) == ("dingenvcorp", 424242)
        default = requests.get(
            f"{base}/gettoken",
            params={"corpid": "dingsandboxcorp", "corpsecret": "sandbox-corp-secret"},
            timeout=5,
        ).json()
        assert default["errcode"] == 40089
        token = requests.get(
            f"{base}/gettoken",
            params={"corpid": "dingenvcorp", "corpsecret": "env-corp-secret"},
            timeout=5,
        ).json()["access_token"]
        send = f"{base}/topapi/message/corpconversation/asyncsend_v2"
        msg = {"msgtype": "text", "text": {"content": "hi"}}
        replies = [
            requests.post(
                send,
                params={"access_token": token},
                json={"agent_id": agent, "userid_list": "u0001", "msg": msg},
                timeout=5,
            ).json()
            for agent in (100001, 424242)
        ]
        assert [r["errcode"] for r in replies] == [40056, 0]
    finally:
        process.terminate()
        process.wait(timeout=10)
