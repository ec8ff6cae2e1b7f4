"""One way to record an attempt at a DingTalk call that changes something.

Work-notice batches (``SendTask``), recalls (``Recall``), chats (``Chat``) and chat
messages (``ChatMessage``) are each one call, recorded with the columns of the
:class:`Attempt` mixin and through :func:`record_call`, so that nothing sent goes
unrecorded and nothing whose outcome is unknown is ever sent again.

``state``:

``pending``
    Recorded, not answered. ``attempted_at`` is None while the call has not been
    started (a planned batch: safe to send, :attr:`Attempt.may_send`); it is set
    and committed just before the request goes out, so a row ``pending`` with
    ``attempted_at`` is a call interrupted mid-flight (a crash): its outcome is
    unknown (:attr:`Attempt.interrupted`, :meth:`Attempt.give_up`).
``done``
    DingTalk answered errcode 0; ``request_id`` is its id for the call.
``failed``
    DingTalk did not act: it refused (``errcode``/``errmsg`` decoded), it gave no
    result (no envelope: ``errcode`` None, reason ``unreachable``) or the client
    refused the call before sending it (reason ``invalid``).
``unknown``
    The request went out and no answer came in time: DingTalk may have acted.
    Never re-sent automatically.

``reason`` is a short key for the words a page shows (see :func:`failure_reason`;
each area adds its own, e.g. chats' ``dissolved``). This module holds no
user-facing text.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.dingtalk.errors import (
    ApiError,
    DingTalkError,
    InvalidMessage,
    PaginationError,
    PermissionDenied,
    Throttled,
    TokenError,
    TransportError,
    error_from_record,
    error_record,
)
from dashboard.extensions import db

log = logging.getLogger(__name__)

PENDING, DONE, FAILED, UNKNOWN = "pending", "done", "failed", "unknown"
STATES = (PENDING, DONE, FAILED, UNKNOWN)
#: Longest errmsg kept (DingTalk's are short; a ban page's snippet is cut).
ERRMSG_MAX = 500


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Attempt:
    """The record of one DingTalk call: its state, DingTalk's answer, and when."""

    state: Mapped[str] = mapped_column(String(10), default=PENDING)
    #: The code that decides the error (``sub_code`` under errcode 88); None without an envelope.
    errcode: Mapped[int | None]
    errmsg: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(32))
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: DingTalk's answer as it came (errcode 88 with its sub_code; or the kind of failure
    #: and HTTP status), redacted: a reply made later rebuilds the same typed error.
    error_detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Set (and committed) just before the request goes out.
    attempted_at: Mapped[datetime | None]
    #: When the answer, or its absence, was recorded.
    finished_at: Mapped[datetime | None]

    @property
    def ok(self) -> bool:
        return self.state == DONE

    @property
    def may_send(self) -> bool:
        """Never started: sending it cannot duplicate anything."""
        return self.state == PENDING and self.attempted_at is None

    @property
    def interrupted(self) -> bool:
        """Started, and no outcome was ever recorded (the process died mid-call)."""
        return self.state == PENDING and self.attempted_at is not None

    def start(self) -> None:
        """About to call DingTalk (commit before the request goes out)."""
        self.state = PENDING
        self.attempted_at = utcnow()
        self.finished_at = None
        self.errcode = self.errmsg = self.reason = self.request_id = None
        self.error_detail = None

    def succeed(self, reply: dict[str, Any]) -> None:
        """DingTalk answered errcode 0."""
        self.state = DONE
        self.request_id = _text(reply.get("request_id"), 64)
        self.finished_at = utcnow()

    def fail(self, error: DingTalkError, reason: str | None = None) -> None:
        """DingTalk refused, gave no result, or gave no answer in time (``unknown``).

        The error stays on the object for this request (``dingtalk_error``, not
        stored) so the JSON API can answer with DingTalk's own envelope; the error
        carries the record back as ``error.record``.
        """
        self.state = UNKNOWN if outcome_unknown(error) else FAILED
        self.errcode = error.code if isinstance(error, ApiError) else None
        self.errmsg = decoded_errmsg(error)
        self.reason = reason if reason is not None else failure_reason(error)
        self.request_id = _text(error.request_id, 64)
        self.error_detail = error_record(error)
        self.finished_at = utcnow()
        self.dingtalk_error = error
        error.record = self

    def recorded_error(self) -> DingTalkError | None:
        """The error DingTalk answered this call with: kept from this process, or rebuilt."""
        kept = getattr(self, "dingtalk_error", None)
        if kept is not None:
            return kept
        return error_from_record(self.error_detail) if self.error_detail else None

    def refuse(self, error: InvalidMessage) -> None:
        """The client refused the call before sending anything."""
        self.state = FAILED
        self.errcode = None
        self.errmsg = _text(error.reason, ERRMSG_MAX)
        self.reason = "invalid"
        self.finished_at = utcnow()

    def give_up(self) -> None:
        """An interrupted call is ``unknown``: DingTalk may have acted, never re-send it."""
        if self.interrupted:
            self.state = UNKNOWN
            self.reason = "no_answer"
            self.finished_at = utcnow()


def record_call(
    record: Attempt,
    call: Callable[[], dict[str, Any]],
    *,
    reason: Callable[[DingTalkError], str | None] | None = None,
    on_success: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Make one DingTalk call on record: committed before, committed after.

    Returns DingTalk's reply (the record is ``done``; ``on_success(reply)`` stores
    what the reply names, e.g. a task_id, in the same commit). On a DingTalkError the
    record is ``failed`` or ``unknown`` (``reason(error)`` decides its reason,
    default :func:`failure_reason`) and the error is raised again, carrying the
    record as ``.record``; on an InvalidMessage the record is ``failed`` (reason
    ``invalid``) and the error is raised again.
    """
    record.start()
    db.session.add(record)
    db.session.commit()
    try:
        reply = call()
    except InvalidMessage as exc:
        record.refuse(exc)
        db.session.commit()
        raise
    except DingTalkError as exc:
        record.fail(exc, reason(exc) if reason is not None else None)
        db.session.commit()
        log.warning(
            "%s %s: errcode=%s reason=%s", exc.path, record.state, record.errcode, record.reason
        )
        raise
    record.succeed(reply)
    if on_success is not None:
        on_success(reply)
    db.session.commit()
    return reply


def outcome_unknown(error: DingTalkError) -> bool:
    """True when the request went out and no answer came back in time."""
    return bool(getattr(error, "outcome_unknown", False))


def decoded_errmsg(error: DingTalkError) -> str:
    """DingTalk's own words (``sub_msg`` under errcode 88), else the error's redacted text."""
    if isinstance(error, ApiError):
        text = error.sub_msg or error.errmsg or str(error)
    else:
        text = str(error)
    return _text(text, ERRMSG_MAX) or ""


def failure_reason(error: DingTalkError) -> str | None:
    """The reasons every call shares; None when only the errcode can tell."""
    if isinstance(error, PaginationError):
        return "stuck_cursor"
    if outcome_unknown(error):
        return "no_answer"
    if isinstance(error, TransportError):
        return "unreachable"
    if isinstance(error, Throttled):
        return "throttled"
    if isinstance(error, TokenError):
        return "credentials"
    if isinstance(error, PermissionDenied):
        return "permission"
    return None


def _text(value: Any, limit: int) -> str | None:
    return None if value is None else str(value)[:limit]
