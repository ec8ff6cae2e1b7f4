"""The official SDKs, unchanged, succeed against the sandbox on every call the console makes.

`dingtalk-stream` (HTTP helpers: token, CardReplier) and `alibabacloud-dingtalk` (oauth2,
robot, card, im) run in their own virtualenv, `.venv-sdk` beside the project (or
$SDK_VENV), created from sdk-requirements.txt when absent. When it cannot be created (no
package index reachable), the test is skipped and says why.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REQUIREMENTS = HERE / "sdk-requirements.txt"


def sdk_python() -> Path:
    """The SDK virtualenv's python, creating the venv once (under a lock: xdist workers)."""
    venv = Path(os.environ.get("SDK_VENV", ROOT / ".venv-sdk"))
    python = venv / "bin" / "python"
    marker = venv / "sdk-requirements.txt"
    locks = ROOT / "test-artifacts"  # git-ignored
    locks.mkdir(exist_ok=True)
    with open(locks / "venv-sdk.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and marker.exists() and marker.read_text() == REQUIREMENTS.read_text():
            return python
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", "--clear", str(venv)],
                check=True,
                timeout=120,
                capture_output=True,
            )
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--retries",
                    "1",
                    "--timeout",
                    "15",
                    "-r",
                    str(REQUIREMENTS),
                ],
                check=True,
                timeout=300,
                capture_output=True,
                text=True,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            detail = getattr(exc, "stderr", "") or exc
            pytest.skip(f"the SDK virtualenv {venv} could not be created: {str(detail)[-300:]}")
        marker.write_text(REQUIREMENTS.read_text())
    return python


def test_official_sdks_run_unchanged_against_the_sandbox(sandbox, sandbox_server):
    python = sdk_python()
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DINGTALK_OPENAPI_ENDPOINT": sandbox_server.url,
        "NO_PROXY": "127.0.0.1",
    }
    result = subprocess.run(
        [str(python), str(HERE / "sdk_calls.py"), sandbox.app_key, sandbox.app_secret],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}, result.stderr[-3000:]
    assert "robot.batch_send_oto" in report["ok"] and "card.create_and_deliver" in report["ok"]
    assert "stream.CardReplier.create_and_send_card" in report["ok"]
    assert result.returncode == 0
