"""A plain-requests caller of the sandbox's v1.0 host, as a client would call api.dingtalk.com."""

from __future__ import annotations

from typing import Any

import requests

from dashboard.sandbox.control import SandboxControl

TOKEN_HEADER = "x-acs-dingtalk-access-token"


class Api:
    """Fetches a v1.0 token and sends JSON with the token header."""

    def __init__(self, base_url: str, control: SandboxControl) -> None:
        self.base_url = base_url
        self.control = control
        self.session = requests.Session()
        self._token: str | None = None

    def access_token(self, **body: Any) -> requests.Response:
        body = body or {"appKey": self.control.app_key, "appSecret": self.control.app_secret}
        return self.session.post(f"{self.base_url}/v1.0/oauth2/accessToken", json=body, timeout=10)

    @property
    def token(self) -> str:
        if self._token is None:
            self._token = self.access_token().json()["accessToken"]
        return self._token

    @property
    def robot_code(self) -> str:
        return self.control.app_key

    def call(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        token: str | None = "",
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """`method path` with the token header (the cached token unless `token` is given/None)."""
        all_headers = dict(headers or {})
        if token is not None:
            all_headers[TOKEN_HEADER] = token or self.token
        return self.session.request(
            method,
            f"{self.base_url}{path}",
            json=json,
            params=params,
            headers=all_headers,
            timeout=10,
            **kwargs,
        )

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.call("PUT", path, json, **kwargs)

    def get(self, path: str, **params: Any) -> requests.Response:
        return self.call("GET", path, params=params)

    def control_get(self, path: str) -> Any:
        return self.session.get(f"{self.base_url}/_sandbox/v1{path}", timeout=10).json()

    def control_post(self, path: str, json: Any = None) -> requests.Response:
        return self.session.post(f"{self.base_url}/_sandbox/v1{path}", json=json, timeout=10)


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    """A v1.0 error envelope: the status, the exact keys and the code."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json;charset=utf-8"
    body = response.json()
    assert body["code"] == code, body
    assert {"code", "message", "requestid"} <= body.keys()
    assert "errcode" not in body
    assert len(body["requestid"]) == 36
    return body
