"""Fixtures for the JSON API: tokens of each scope and a small caller."""

from __future__ import annotations

from typing import Any

import pytest

from dashboard.api.auth import create_token


class ApiCaller:
    """POSTs to /api/dingtalkserve/<operation> with a bearer token, as JSON or form fields."""

    def __init__(self, client, token: str) -> None:
        self.client = client
        self.token = token

    def __call__(
        self,
        operation: str,
        json: dict[str, Any] | None = None,
        *,
        form: dict[str, Any] | None = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        auth = {"Authorization": f"Bearer {token or self.token}"}
        kwargs: dict[str, Any] = {"headers": auth | (headers or {})}
        if form is not None:
            kwargs["data"] = form
        else:
            kwargs["json"] = json if json is not None else {}
        return self.client.post(f"/api/dingtalkserve/{operation}", **kwargs)


@pytest.fixture
def send_token(app) -> str:
    """A raw may-send token named "hr-script"."""
    return create_token(name="hr-script", scope="send", created_by="admin")[1]


@pytest.fixture
def read_token(app) -> str:
    """A raw read-only token named "report-reader"."""
    return create_token(name="report-reader", scope="read", created_by="admin")[1]


@pytest.fixture
def api(client, send_token) -> ApiCaller:
    return ApiCaller(client, send_token)
