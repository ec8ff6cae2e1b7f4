"""How an area module declares an oapi endpoint.

`oapi_route(bp, "/department/get", "GET")` registers the view for both verbs
(the real gateway's verb check is unverified, see `enforce_http_method`) and
records the documented verb and whether an access token is needed. The view
receives an `OapiCall` and returns the payload; the envelope, `request_id`
and error wrapping are added by the app.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, g

from dashboard.sandbox.demo import Company
from dashboard.sandbox.envelope import json_response, success_body
from dashboard.sandbox.params import Params
from dashboard.sandbox.settings import SandboxSettings
from dashboard.sandbox.state import SandboxState


@dataclass(frozen=True)
class Endpoint:
    """An oapi path, its documented HTTP verb and whether it takes access_token."""

    path: str
    method: str
    needs_token: bool = True

    @property
    def topapi(self) -> bool:
        """topapi paths use the gateway envelope (request_id, 88 wrapping)."""
        return self.path.startswith("/topapi/")


ENDPOINTS: dict[str, Endpoint] = {}


@dataclass
class OapiCall:
    """What a view needs: the state (already locked), parameters and caller."""

    state: SandboxState
    params: Params
    app_id: str | None
    endpoint: Endpoint

    @property
    def settings(self) -> SandboxSettings:
        """Runtime settings (knobs included)."""
        return self.state.settings

    @property
    def company(self) -> Company:
        """The directory this caller sees (each ISV company has its own)."""
        return self.state.company_of(self.app_id)

    @property
    def now(self) -> float:
        """The sandbox clock."""
        return self.state.clock.now()


View = Callable[[OapiCall], dict[str, Any]]


def get_state() -> SandboxState:
    """The emulator state of the running app."""
    return current_app.extensions["sandbox_state"]


def oapi_route(bp: Blueprint, path: str, method: str, *, needs_token: bool = True):
    """Register `view` for `path`; it runs under the state lock and returns the payload."""
    endpoint = Endpoint(path, method.upper(), needs_token)
    ENDPOINTS[path] = endpoint

    def decorator(view: View):
        @functools.wraps(view)
        def handler():
            state = get_state()
            with state.lock:
                call = OapiCall(state, g.oapi_params, g.get("oapi_app_id"), endpoint)
                payload = view(call)
            g.oapi_errcode = 0
            return json_response(success_body(payload, endpoint.topapi))

        bp.add_url_rule(path, endpoint=view.__name__, view_func=handler, methods=["GET", "POST"])
        return view

    return decorator
