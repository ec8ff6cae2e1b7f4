"""Shared plumbing for the API area classes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import InvalidMessage

if TYPE_CHECKING:
    from ..client import DingTalkClient

JSONDict = dict[str, Any]
MAX_PAGE_SIZE = 100


class Request(NamedTuple):
    """One oapi call as the client will make it, before the token is added.

    The ``*_request`` builders return it; the sending method posts exactly this, and
    a preview shows exactly this, so what is shown and what is sent cannot drift.
    """

    method: str
    path: str
    body: JSONDict


class BaseAPI:
    """An oapi area bound to a client; methods map one-to-one onto oapi paths."""

    def __init__(self, client: DingTalkClient) -> None:
        self._client = client

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> JSONDict:
        return self._client._request("GET", path, params=params)

    def _post(self, path: str, body: Mapping[str, Any], *, send: bool = False) -> JSONDict:
        return self._client._request("POST", path, body=body, send=send)

    def _call(self, request: Request, *, send: bool = False) -> JSONDict:
        """Make a prepared call (POST bodies as JSON)."""
        return self._client._request(request.method, request.path, body=request.body, send=send)

    def _agent_id(self) -> int:
        agent_id = self._client.agent_id
        if agent_id is None:
            raise InvalidMessage("agent_id", "the client needs agent_id for work notices")
        return agent_id


def as_bool_param(value: bool | None) -> str | None:
    """Render a boolean query parameter the way the oapi expects ("true"/"false")."""
    if value is None:
        return None
    return "true" if value else "false"


def as_int(value: Any, field: str) -> int:
    """An integer body field (task_id, chat settings): ints and digit strings, never bools."""
    if isinstance(value, bool):
        raise InvalidMessage(field, "must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise InvalidMessage(field, "must be an integer")


def check_page_size(size: int, field: str = "size") -> None:
    """Page sizes are 1-100 on listbypage and getReadList."""
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidMessage(field, f"must be an integer from 1 to {MAX_PAGE_SIZE}")


def check_max_pages(max_pages: int) -> None:
    if isinstance(max_pages, bool) or not isinstance(max_pages, int) or max_pages < 1:
        raise InvalidMessage("max_pages", "must be a positive integer")


def id_list(values: Iterable[Any] | str | None, field: str, limit: int) -> str | None:
    """Join ids as DingTalk's comma-separated string, enforcing ``limit`` entries."""
    if values is None:
        return None
    items = [v.strip() for v in values.split(",")] if isinstance(values, str) else list(values)
    items = [str(v).strip() for v in items if str(v).strip()]
    if not items:
        return None
    if len(items) > limit:
        raise InvalidMessage(field, f"has {len(items)} entries, at most {limit} per call")
    if any("," in v for v in items):
        raise InvalidMessage(field, "ids must not contain commas")
    return ",".join(items)
