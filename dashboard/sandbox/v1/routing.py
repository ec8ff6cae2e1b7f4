"""How a v1.0 area module declares an endpoint: the seam other modules build on.

    bp = Blueprint("sandbox_v1_oauth2_user", __name__)

    @v1_route(bp, "/v1.0/oauth2/userAccessToken", "POST", needs_token=False)
    def user_access_token(call: V1Call) -> dict[str, Any]:
        code = call.string("code", required=True)
        ...
        return {"accessToken": ..., "expireIn": 7200}

The pipeline (`pipeline.py`) has already counted the call, applied faults, checked
the `x-acs-dingtalk-access-token` header (unless `needs_token=False`), the rate
limits and the JSON body when the view runs; the view runs under the state lock,
returns the bare payload (HTTP 200) and raises `V1Error` for an error reply. The
module lists itself in `AREA_MODULES` (`dashboard/sandbox/v1/__init__.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, g, request

from dashboard.sandbox.demo import Company
from dashboard.sandbox.settings import SandboxSettings
from dashboard.sandbox.state import SandboxState
from dashboard.sandbox.v1.envelope import v1_response
from dashboard.sandbox.v1.errors import bad_request, missing_field

METHODS = ("GET", "POST", "PUT", "DELETE")


@dataclass(frozen=True)
class V1Endpoint:
    """A v1.0 path (a Flask rule), its verb, whether it needs the token header and quota."""

    rule: str
    method: str
    needs_token: bool = True
    quota_exempt: bool = False  # §9: token, login and contacts APIs do not count monthly
    takes_body: bool = True  # False: a POST whose fields are all in the path or query


#: rule -> method -> (endpoint, view); filled by `v1_route`.
V1_ROUTES: dict[str, dict[str, tuple[V1Endpoint, Callable[..., Any]]]] = {}


@dataclass
class V1Call:
    """What a view needs: the states (locked), the decoded body, the query and the caller."""

    state: SandboxState
    v1: Any  # dashboard.sandbox.v1.state.V1State
    body: dict[str, Any]
    app_id: str | None
    endpoint: V1Endpoint

    @property
    def settings(self) -> SandboxSettings:
        return self.state.settings

    @property
    def now(self) -> float:
        """The sandbox clock, seconds."""
        return self.state.clock.now()

    @property
    def now_ms(self) -> int:
        return int(self.now * 1000)

    @property
    def company(self) -> Company:
        """The directory this caller sees (an ISV company has its own)."""
        return self.state.company_of(self.app_id)

    @property
    def token(self) -> str:
        """The raw `x-acs-dingtalk-access-token` header: a `needs_token=False` view that
        accepts other tokens (a user's, /v1.0/contact/users/me) checks it itself."""
        return request.headers.get("x-acs-dingtalk-access-token", "").strip()

    @property
    def query(self) -> dict[str, str]:
        return request.args.to_dict()

    def value(self, name: str) -> Any:
        """A body field (POST/PUT) or query parameter (GET), as it arrived."""
        if self.endpoint.method == "GET":
            return request.args.get(name)
        return self.body.get(name)

    def string(self, name: str, *, required: bool = False, code: str | None = None) -> str:
        """A string field; absent or empty -> `code` (400) or `Missing<name>` when required.

        A non-string value (a JSON number for an id, §10.4) is refused with `code` or
        400 `parameter.invalid`.
        """
        value = self.value(name)
        if value is None or value == "":
            if required:
                raise bad_request(code) if code else missing_field(name)
            return ""
        if not isinstance(value, str):
            raise bad_request(invalid_code(code), f"{name} must be a string")
        return value

    def string_list(self, name: str, *, required: bool = False, code: str | None = None):
        """A JSON array of strings (§10.4: never a comma string, never numbers)."""
        value = self.value(name)
        if value is None or value == []:
            if required:
                raise bad_request(code) if code else missing_field(name)
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad_request("parameter.invalid", f"{name} must be an array of strings")
        return list(value)


def invalid_code(empty_code: str | None) -> str:
    """The "wrong value" sibling of an "empty" code: x.empty -> x.invalid, param.* -> param.invalid."""
    if empty_code and empty_code.endswith(".empty"):
        return empty_code[: -len(".empty")] + ".invalid"
    if empty_code and empty_code.startswith("param."):
        return "param.invalid"
    return "parameter.invalid"


View = Callable[[V1Call], Any]


def v1_route(
    bp: Blueprint,
    rule: str,
    method: str,
    *,
    needs_token: bool = True,
    quota_exempt: bool = False,
    takes_body: bool = True,
):
    """Register `view` for `method rule` on `bp`; see the module docstring."""
    endpoint = V1Endpoint(rule, method.upper(), needs_token, quota_exempt, takes_body)

    def decorator(view: View):
        methods = V1_ROUTES.setdefault(rule, {})
        first_on_rule = not methods
        methods[endpoint.method] = (endpoint, view)
        if first_on_rule:
            name = "v1" + rule.replace("/", "_").replace(".", "_").replace("<", "").replace(">", "")
            bp.add_url_rule(rule, endpoint=name, view_func=_dispatch, methods=list(METHODS))
        return view

    return decorator


def route_for(rule: str | None, method: str) -> tuple[V1Endpoint, View] | None:
    """The declared endpoint and view of a matched Flask rule and verb."""
    if rule is None:
        return None
    return V1_ROUTES.get(rule, {}).get(method)


def known_products() -> set[str]:
    """First path segments after the version (oauth2, robot, im, card, ...)."""
    products = set()
    for rule in V1_ROUTES:
        parts = rule.split("/")
        if len(parts) > 2:
            products.add(parts[2])
    return products


def _dispatch(**path_args: Any):
    """Run the view of this rule and verb (the pipeline has checked both exist)."""
    from dashboard.sandbox.v1.state import v1_state

    endpoint, view = V1_ROUTES[request.url_rule.rule][request.method]
    state = current_app.extensions["sandbox_state"]
    with state.lock:
        call = V1Call(state, v1_state(state), g.v1_body, g.get("v1_app_id"), endpoint)
        payload = view(call, **path_args) if path_args else view(call)
    return v1_response(payload)
