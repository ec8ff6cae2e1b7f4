"""`SandboxControl`: drive a running emulator's /_sandbox/ endpoints from tests.

control = SandboxControl("http://127.0.0.1:5001")
control.reset()
control.set_knobs(token_ttl=5, qps_limit=3)
control.inject("throttle", count=2, path="/user/get")
control.advance(3600)
control.stats()["calls"]["/user/get"]
"""

from __future__ import annotations

from typing import Any

import requests

from dashboard.sandbox.state import FAULT_KINDS


class SandboxControlError(RuntimeError):
    """A control call was refused (unknown knob, bad fault kind, unknown chat)."""


class SandboxControl:
    """A thin requests wrapper around the emulator's control endpoints."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 10.0,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.app_key = ""
        self.app_secret = ""
        self.corp_id = ""
        self.corp_secret = ""
        self.agent_id = 0
        self.refresh()

    def refresh(self) -> dict[str, Any]:
        """Re-read GET /_sandbox/state and the credential attributes."""
        state = self.state()
        self.app_key = state["app_key"]
        self.app_secret = state["app_secret"]
        self.corp_id = state["corp_id"]
        self.corp_secret = state["corp_secret"]
        self.agent_id = int(state["agent_id"])
        return state

    def state(self) -> dict[str, Any]:
        """Credentials, clock, knobs and pending faults."""
        return self._call("GET", "/state")

    def reset(self) -> None:
        """Tokens, tasks, chats, counters, faults, clock and knobs back to the defaults."""
        self._call("POST", "/reset")
        self.refresh()

    def knobs(self) -> dict[str, Any]:
        """Every runtime knob and its current value."""
        return self._call("GET", "/knobs")

    def set_knobs(self, **knobs: Any) -> dict[str, Any]:
        """Change SandboxSettings fields at runtime, e.g. token_ttl=5, qps_limit=3."""
        result = self._call("POST", "/knobs", knobs)
        if {"app_key", "app_secret", "corp_id", "corp_secret", "agent_id"} & knobs.keys():
            self.refresh()
        return result

    def revoke_tokens(self) -> int:
        """Invalidate every issued token; returns how many there were."""
        return int(self._call("POST", "/revoke_tokens")["revoked"])

    def inject(self, kind: str, count: int = 1, path: str | None = None, **params: Any) -> None:
        """Fail the next `count` oapi calls (only those on `path` when given).

        kind is one of FAULT_KINDS: "throttle" (90018), "system_busy" (-1),
        "bare_88" (88 without sub_code), "token_expired" (42001),
        "token_invalid" (40014; 88-wrapped on topapi), "http_500", "ip_ban",
        "latency" (seconds=...), "errcode" (errcode=..., errmsg=..., sub_code=...).
        Without `path` a fault never hits /gettoken; pass path="/gettoken" for that.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        self._call(
            "POST", "/faults", {"kind": kind, "count": count, "path": path, "params": params}
        )

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._call("DELETE", "/faults")

    def advance(self, seconds: float) -> float:
        """Move the sandbox clock forward; returns the sandbox's new time."""
        return float(self._call("POST", "/advance", {"seconds": seconds})["now"])

    def stats(self) -> dict[str, Any]:
        """{"calls": {path: n}, "total": n, "gettoken": n, "errors": {errcode: n}, ...}.

        errcode keys are ints.
        """
        stats = self._call("GET", "/stats")
        stats["errors"] = {int(code): n for code, n in stats["errors"].items()}
        stats["http_errors"] = {int(code): n for code, n in stats["http_errors"].items()}
        return stats

    def dissolve_chat(self, chatid: str) -> None:
        """Mark a chat dissolved (chat/get then reports status 2)."""
        self._call("POST", f"/chats/{requests.utils.quote(chatid, safe='')}/dissolve")

    def set_read_list_stuck(self, stuck: bool = True) -> None:
        """Make chat/getReadList return the same cursor again (a loop-guard test)."""
        self.set_knobs(read_list_stuck=stuck)

    def task(self, task_id: int) -> dict[str, Any]:
        """The emulator's record of a work-notice task."""
        return self._call("GET", f"/tasks/{int(task_id)}")

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.request(
            method,
            f"{self.base_url}/_sandbox{path}",
            json=body,
            timeout=self.timeout,
        )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200:
            raise SandboxControlError(
                f"{method} /_sandbox{path}: HTTP {response.status_code} {data.get('error', '')}"
            )
        return data
