"""The prepared v1.0 request, and the plumbing shared by the v1.0 API areas."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import InvalidMessage

if TYPE_CHECKING:
    from .transport import V1Transport

JSONDict = dict[str, Any]


class Request(NamedTuple):
    """One v1.0 call as the client will make it, before the token header is added.

    The ``*_request`` builders return it; the sending method makes exactly this
    call and a preview shows exactly this (``body`` as it goes out, ``msgParam``
    already a JSON string), so what is shown and what is sent cannot drift.
    ``query`` holds a GET's parameters (``oToMessages/readStatus``).
    """

    method: str
    path: str
    body: JSONDict | None = None
    query: dict[str, str] | None = None


class V1API:
    """A v1.0 area bound to a client; methods map one-to-one onto v1.0 paths."""

    def __init__(self, client: V1Transport) -> None:
        self._client = client

    def _call(self, request: Request, *, send: bool = False) -> JSONDict:
        return self._client.call(request, send=send)


def text_field(value: Any, field: str, *, max_length: int | None = None) -> str:
    """A required, non-blank string id or text (ids are strings on v1.0: §0.2)."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidMessage(field, "is required (a non-empty string)")
    if max_length is not None and len(value) > max_length:
        raise InvalidMessage(field, f"has {len(value)} characters, at most {max_length}")
    return value


def string_list(
    values: Iterable[Any] | str | None, field: str, *, limit: int | None = None
) -> list[str]:
    """A JSON array of string ids: commas split a string, blanks and repeats are dropped.

    Numbers are refused (an id is a string on v1.0, and ``123`` != ``"0123"``).
    """
    if values is None:
        return []
    items = values.split(",") if isinstance(values, str) else list(values)
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        if not isinstance(item, str):
            raise InvalidMessage(field, "ids must be strings")
        item = item.strip()
        if item and item not in seen:
            seen.add(item)
            result.append(item)
    if limit is not None and len(result) > limit:
        raise InvalidMessage(field, f"has {len(result)} entries, at most {limit} per call")
    return result


def chunks(items: list[str], size: int) -> list[list[str]]:
    """``items`` in consecutive calls of at most ``size``."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def drop_none(body: Mapping[str, Any]) -> JSONDict:
    """A body without the optional fields left unset."""
    return {key: value for key, value in body.items() if value is not None}
