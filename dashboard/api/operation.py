"""What an API operation is: its fields, its scope, its call (the table is in `operations`).

Each area's operations live beside the area (`<area>/api.py` exporting `OPERATIONS`, a
tuple of `Operation`), and `dashboard.api.operations.AREA_MODULES` lists those modules:
one table, so parsing, the OpenAPI description and the API page cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from dashboard.api.auth import ApiPrincipal
from dashboard.api.fields import Field, FieldError, is_missing
from dashboard.api.models import SCOPE_SEND
from dashboard.api.replies import ApiReply
from dashboard.dingtalk import DingTalkClient
from dashboard.directory.snapshot import cached_answer


@dataclass
class CallContext:
    """What an operation's call needs: the principal, and the client (made on first use)."""

    principal: ApiPrincipal
    client_factory: Callable[[], DingTalkClient]

    @cached_property
    def client(self) -> DingTalkClient:
        return self.client_factory()


#: An operation's call answers DingTalk's body (200), or a whole reply (202, 404).
Call = Callable[[CallContext, dict[str, Any]], "dict[str, Any] | ApiReply"]
#: The key of a read the directory also caches: (kind, ident) of `cached_answer`, or None.
CacheKey = Callable[[dict[str, Any]], "tuple[str, Any] | None"]


@dataclass(frozen=True)
class Operation:
    name: str
    summary: Any
    oapi: str
    scope: str
    call: Call
    fields: tuple[Field, ...] = ()
    check: Callable[[dict[str, Any]], None] | None = None
    example: Mapping[str, Any] = field(default_factory=dict)
    #: The required-field test when it is more than "each required field": asyncsend_v2's recipients.
    requires: Callable[[Mapping[str, Any]], None] | None = None
    #: What became of the request when DingTalk answered no result (HTTP 500, a block page).
    failure_note: Any = None
    #: Reads the directory's pages cache too: answered from that cache within its lifetime
    #: (the snapshot's, DIRECTORY_DETAIL_TTL), so repeated reads do not reach DingTalk.
    cache_key: CacheKey | None = None
    #: Replies beyond the common ones, for the OpenAPI: status -> (description, data schema).
    replies: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)

    def run(self, ctx: CallContext, args: dict[str, Any]) -> dict[str, Any] | ApiReply:
        """Make the call, or answer it from the directory's cache of the same DingTalk read."""
        key = self.cache_key(args) if self.cache_key is not None else None
        if key is None:
            return self.call(ctx, args)
        return cached_answer(*key, lambda: self.call(ctx, args))

    @property
    def sends(self) -> bool:
        return self.scope == SCOPE_SEND

    def parse(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """The original's missing-field message first (in its order), then coercion and checks.

        Missing fields are looked for before any value is coerced, so a body with
        a missing field gets that field's message, as the original service (which
        validated nothing else) gave it, whatever else is wrong. They are looked
        for again after coercion, for values that hold nothing (`","` as a list).
        """
        self.require(payload)
        values = {f.name: f.parse(payload.get(f.name)) for f in self.fields}
        self.require(values)
        if self.check is not None:
            self.check(values)
        return values

    def require(self, values: Mapping[str, Any]) -> None:
        """Raise the original message of the first missing required field."""
        if self.requires is not None:
            self.requires(values)
            return
        for f in self.fields:
            if f.required and is_missing(values.get(f.name)):
                raise FieldError(f.required)
