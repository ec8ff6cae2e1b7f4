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

    # The Stream gateway (dashboard/sandbox/v1/stream/) -------------------------------------

    def stream_state(self) -> dict[str, Any]:
        """Gateway settings, connections (pings included) and messages (deliveries, acks)."""
        return self._call("GET", "/stream/state")

    def stream_config(self, **values: Any) -> dict[str, Any]:
        """Change gateway settings (redeliver_delay, user_key, ...); returns them all."""
        return self._call("POST", "/stream/config", values)

    def push_event(self, event_type: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Queue any EVENT (corpId=, clientId= optional); returns the message."""
        return self._call(
            "POST", "/stream/events", {"eventType": event_type, "data": data, **extra}
        )

    def push_callback(self, topic: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Queue any CALLBACK (clientId= optional), e.g. a robot message; never re-sent."""
        return self._call("POST", "/stream/callbacks", {"topic": topic, "data": data, **extra})

    def drop(self, mode: str = "close", **target: Any) -> list[str]:
        """Close connections (all, or connectionId= / clientId=): "close" or "abort"."""
        return self._call("POST", "/stream/drop", {"mode": mode, **target})["dropped"]

    def disconnect(self, reason: str = "", **target: Any) -> list[str]:
        """Send SYSTEM disconnect; the socket closes `disconnect_close_delay` s later."""
        return self._call("POST", "/stream/disconnect", {"reason": reason, **target})[
            "disconnected"
        ]

    def ping(self, **target: Any) -> list[str]:
        """Send a SYSTEM ping now."""
        return self._call("POST", "/stream/ping", target)["pinged"]

    def redeliver(self, event_id: str) -> dict[str, Any]:
        """Send an event again, even after its ack (a duplicate delivery)."""
        return self._call("POST", "/stream/redeliver", {"eventId": event_id})

    def push_suite_ticket(self, ticket: str | None = None) -> dict[str, Any]:
        """A new suite ticket over Stream (the previous one stops working)."""
        return self._call("POST", "/stream/suite_ticket", {"ticket": ticket} if ticket else {})

    def change(self, change: str, **body: Any) -> dict[str, Any]:
        """A directory change with its event: hire, update, leave, dept_create, dept_modify,
        dept_remove, chat_members, authorise (see dashboard/sandbox/v1/stream/directory.py)."""
        return self._call("POST", f"/directory/{change}", body)

    def hire(self, name: str, dept_ids: list[int], **extra: Any) -> dict[str, Any]:
        return self.change("hire", name=name, deptIds=dept_ids, **extra)

    def move(self, userid: str, dept_ids: list[int], **extra: Any) -> dict[str, Any]:
        return self.change("update", userid=userid, deptIds=dept_ids, **extra)

    def leave(self, userid: str, **extra: Any) -> dict[str, Any]:
        return self.change("leave", userid=userid, **extra)

    def create_department(self, name: str, parent_id: int = 1, **extra: Any) -> dict[str, Any]:
        return self.change("dept_create", name=name, parentId=parent_id, **extra)

    def remove_department(self, dept_id: int, **extra: Any) -> dict[str, Any]:
        return self.change("dept_remove", deptId=dept_id, **extra)

    def chat_members(self, chat: str, add=(), remove=(), **extra: Any) -> dict[str, Any]:
        """Add / remove members of a group (chatid or openConversationId)."""
        return self.change("chat_members", chatId=chat, add=list(add), remove=list(remove), **extra)

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
