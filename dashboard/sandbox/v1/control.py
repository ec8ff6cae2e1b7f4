"""`V1SandboxControl`: drive the v1.0 host's /_sandbox/v1/ endpoints from tests.

    v1 = V1SandboxControl("http://127.0.0.1:5001")
    cid = v1.robot_group_ids(app_key)[0]     # a demo group with the app's robot in it
    v1.read(process_query_key, "manager01")  # a demo user reads a robot message now
    press = v1.press("appr-001", "manager01", "confirm")  # called back to the console
    v1.card("appr-001")["presses"]

Resetting is `SandboxControl.reset()`: the v1.0 state starts over with the oapi state.
"""

from __future__ import annotations

from typing import Any

import requests


class V1SandboxControlError(RuntimeError):
    """A control call was refused (unknown card or message, user not a recipient)."""


class V1SandboxControl:
    """A thin requests wrapper around /_sandbox/v1/."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()

    def state(self) -> dict[str, Any]:
        """Messages, cards (with presses), routes, robot groups, codes, stream outbox."""
        return self._call("GET", "/state")

    def groups(self) -> list[dict[str, Any]]:
        """Every group chat: chatid, openConversationId, name, members, robots."""
        return self._call("GET", "/groups")

    def robot_group_ids(self, robot_code: str | None = None) -> list[str]:
        """openConversationIds of the groups with a robot (`robot_code`'s, when given)."""
        return [
            g["openConversationId"]
            for g in self.groups()
            if (robot_code in g["robots"] if robot_code else g["robots"])
        ]

    def message(self, process_query_key: str) -> dict[str, Any]:
        """One robot message with each recipient's read state."""
        for message in self.state()["messages"]:
            if message["processQueryKey"] == process_query_key:
                return message
        raise V1SandboxControlError(f"unknown processQueryKey {process_query_key!r}")

    def card(self, out_track_id: str) -> dict[str, Any]:
        """One card: data, recipients, actions, presses."""
        for card in self.state()["cards"]:
            if card["outTrackId"] == out_track_id:
                return card
        raise V1SandboxControlError(f"unknown outTrackId {out_track_id!r}")

    def read(self, process_query_key: str, user_id: str) -> dict[str, Any]:
        """`user_id` reads the message now (sandbox clock)."""
        return self._call("POST", "/read", {"key": process_query_key, "userId": user_id})

    def press(self, out_track_id: str, user_id: str, action: str) -> dict[str, Any]:
        """`user_id` presses `action`; returns the press (delivery, status, error, response)."""
        body = {"outTrackId": out_track_id, "userId": user_id, "action": action}
        return self._call("POST", "/press", body)

    def set_robot_member(self, open_conversation_id: str, member: bool = True, robot_code=None):
        """Put the internal app's robot (or `robot_code`) into a group, or take it out."""
        body = {"openConversationId": open_conversation_id, "member": member}
        if robot_code:
            body["robotCode"] = robot_code
        return self._call("POST", "/robot_groups", body)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.session.request(
            method, f"{self.base_url}/_sandbox/v1{path}", json=body, timeout=self.timeout
        )
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code != 200:
            error = data.get("error", "") if isinstance(data, dict) else ""
            raise V1SandboxControlError(
                f"{method} /_sandbox/v1{path}: HTTP {response.status_code} {error}"
            )
        return data
