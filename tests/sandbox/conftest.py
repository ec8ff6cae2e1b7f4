"""Helpers for talking to the emulator over HTTP with plain `requests`."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from dashboard.sandbox.control import SandboxControl

TEXT_MSG = {"msgtype": "text", "text": {"content": "请提交日报"}}


class Oapi:
    """A minimal oapi caller: fetches a token and sends GET/POST like a client would."""

    text_msg = TEXT_MSG

    def __init__(self, base_url: str, control: SandboxControl) -> None:
        self.base_url = base_url
        self.control = control
        self.session = requests.Session()
        self._token: str | None = None

    def gettoken(self, **params: Any) -> dict[str, Any]:
        """GET /gettoken with the given params (appkey/appsecret by default)."""
        params = params or {"appkey": self.control.app_key, "appsecret": self.control.app_secret}
        return self.session.get(f"{self.base_url}/gettoken", params=params, timeout=10).json()

    @property
    def token(self) -> str:
        """The app token, fetched on first use."""
        if self._token is None:
            self._token = self.gettoken()["access_token"]
        return self._token

    def raw_get(self, path: str, token: str | None = "", **params: Any) -> requests.Response:
        """GET `path` with access_token (the cached one unless `token` is given or None)."""
        if token is not None:
            params["access_token"] = token or self.token
        return self.session.get(f"{self.base_url}{path}", params=params, timeout=10)

    def get(self, path: str, token: str | None = "", **params: Any) -> dict[str, Any]:
        """GET and decode the JSON body (re-fetching an expired cached token once)."""
        body = self.raw_get(path, token, **params).json()
        if token == "" and self._expired(body):
            body = self.raw_get(path, token, **params).json()
        return body

    def raw_post(
        self,
        path: str,
        json: Any = None,
        data: Any = None,
        token: str | None = "",
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """POST a JSON (or `data`) body with access_token in the query."""
        params = {} if token is None else {"access_token": token or self.token}
        return self.session.post(
            f"{self.base_url}{path}",
            params=params,
            json=json,
            data=data,
            headers=headers,
            timeout=10,
        )

    def post(self, path: str, json: Any = None, **kwargs: Any) -> dict[str, Any]:
        """POST and decode the JSON body (re-fetching an expired cached token once)."""
        body = self.raw_post(path, json=json, **kwargs).json()
        if kwargs.get("token", "") == "" and self._expired(body):
            body = self.raw_post(path, json=json, **kwargs).json()
        return body

    def _expired(self, body: dict[str, Any]) -> bool:
        """The cached token timed out after time travel: drop it so the retry re-fetches."""
        code = str(body.get("sub_code") or body.get("errcode"))
        if code in ("40014", "42001") and self._token is not None:
            self._token = None
            return True
        return False

    def send_notice(self, msg: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
        """asyncsend_v2 with this app's agent_id."""
        body = {"agent_id": self.control.agent_id, "msg": msg or self.text_msg, **fields}
        return self.post("/topapi/message/corpconversation/asyncsend_v2", body)

    def task_call(self, name: str, task_id: int) -> dict[str, Any]:
        """getsendprogress / getsendresult for a task."""
        body = {"agent_id": self.control.agent_id, "task_id": task_id}
        return self.post(f"/topapi/message/corpconversation/{name}", body)


@pytest.fixture
def oapi(sandbox: SandboxControl, sandbox_server) -> Oapi:
    """An oapi caller on a freshly reset emulator."""
    return Oapi(sandbox_server.url, sandbox)
