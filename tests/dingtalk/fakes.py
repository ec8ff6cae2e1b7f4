"""A scripted ``requests.Session`` for unit tests of the client (no network).

Requests go through the real ``Session.request`` preparation (query encoding,
JSON body, headers); only ``send`` is replaced by a handler per path.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

Reply = dict[str, Any] | tuple[int, Any] | BaseException
Handler = Callable[[requests.PreparedRequest], Reply]

TOKEN = "fake-token-0123456789"


def token_reply(request: requests.PreparedRequest) -> Reply:
    return {"errcode": 0, "errmsg": "ok", "access_token": TOKEN, "expires_in": 7200}


class ScriptedSession(requests.Session):
    """Answers each path from ``routes`` (a reply, or a callable returning one)."""

    def __init__(self, routes: dict[str, Reply | Handler] | None = None) -> None:
        super().__init__()
        self.routes: dict[str, Reply | Handler] = {"/gettoken": token_reply, **(routes or {})}
        self.sent: list[requests.PreparedRequest] = []
        self.timeouts: list[Any] = []
        self._lock = threading.Lock()

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.sent if urlsplit(r.url).path == path)

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        with self._lock:
            self.sent.append(request)
            self.timeouts.append(kwargs.get("timeout"))
        route = self.routes.get(urlsplit(request.url).path, {"errcode": 0, "errmsg": "ok"})
        reply = route(request) if callable(route) else route
        if isinstance(reply, BaseException):
            raise reply
        status, body = reply if isinstance(reply, tuple) else (200, reply)
        response = requests.Response()
        response.status_code = status
        if isinstance(body, str):
            response._content = body.encode("utf-8")
            response.headers["Content-Type"] = "text/html; charset=utf-8"
        else:
            response._content = json.dumps(body).encode("utf-8")
            response.headers["Content-Type"] = "application/json"
        response.url = request.url
        response.request = request
        return response


def query(request: requests.PreparedRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def body(request: requests.PreparedRequest) -> Any:
    return json.loads(request.body) if request.body else None


def sequence(*replies: Reply) -> Handler:
    """A handler answering with each reply in turn, then repeating the last one."""
    items = list(replies)
    lock = threading.Lock()

    def handler(request: requests.PreparedRequest) -> Reply:
        with lock:
            return items.pop(0) if len(items) > 1 else items[0]

    return handler
