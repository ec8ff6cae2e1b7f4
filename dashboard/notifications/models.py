"""Send history: one Send per composer submission, one SendTask per asyncsend_v2 call.

A Send is recorded (state ``queued``, one planned SendTask per batch) and handed to
the delivery queue; the consumer moves it to ``sending``, then ``submitted`` /
``partial`` / ``failed`` / ``unknown`` (later ``completed`` or ``recalled``), or
``paused`` / ``cancelled`` when an admin asked (``control``) between two batches.
``submitting`` is the state of sends made before the queue (sent in the request).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.attempts import Attempt
from dashboard.composer.message import message_summary
from dashboard.extensions import db

SEND_STATES = (
    "queued",
    "sending",
    "paused",
    "submitting",
    "submitted",
    "partial",
    "failed",
    "unknown",
    "cancelled",
    "completed",
    "recalled",
)
#: A send still to be (or being) worked by the queue: its page and history row follow it live.
UNSETTLED_STATES = ("queued", "sending", "paused", "submitting")
#: What an admin may ask of a send in progress (``Send.control``), applied between batches.
CANCEL, PAUSE = "cancel", "pause"
#: A batch that was never sent because its send was cancelled (beside the attempt states).
CANCELLED = "cancelled"
#: getsendresult and recall only work for tasks of the last 24 hours.
RESULT_WINDOW = timedelta(hours=24)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


class Send(db.Model):
    """One work notification as the admin (or an API caller) sent it."""

    __tablename__ = "notification_sends"
    __table_args__ = (Index("ix_notification_sends_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    sender: Mapped[str] = mapped_column(String(80))
    # ISV mode: the authorised company the send was made for (None for an internal app).
    corpid: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(10), default="web")
    api_token_name: Mapped[str | None] = mapped_column(String(80))
    userid_list: Mapped[str] = mapped_column(Text, default="")
    dept_id_list: Mapped[str] = mapped_column(Text, default="")
    to_all_user: Mapped[bool] = mapped_column(default=False)
    msgtype: Mapped[str] = mapped_column(String(20))
    msg_json: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    #: The first failed batch's errcode, errmsg and reason (see dashboard.attempts).
    errcode: Mapped[int | None]
    errmsg: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(32))
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)
    completed_at: Mapped[datetime | None]
    recalled_at: Mapped[datetime | None]
    #: ``cancel`` or ``pause``: asked by an admin, applied by the consumer between batches.
    control: Mapped[str | None] = mapped_column(String(10))
    #: The consumer working the send and until when its claim holds (renewed every batch).
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None]
    #: When the first batch went out (the rate and ETA of the live progress).
    started_at: Mapped[datetime | None]
    #: The schedule whose run this send is (dashboard.schedules), if any.
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedules.id"), index=True)
    #: Seconds its calls waited for DingTalk's rate budget (added per batch, see pace.py).
    budget_wait_s: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    #: How its batches go out (dashboard.notifications.channels): ``work_notice``
    #: (asyncsend_v2), ``robot`` (the app's robot, 1:1 or in a group), ``card``.
    channel: Mapped[str] = mapped_column(
        String(12), default="work_notice", server_default="work_notice"
    )
    #: How the message and recipients were chosen: {"template": {id, name, params},
    #: "groups": [each recipient group as resolved at send time, people included]}.
    origin: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    tasks: Mapped[list[SendTask]] = relationship(
        back_populates="send", order_by="SendTask.batch_no", cascade="all, delete-orphan"
    )
    recalls: Mapped[list[Recall]] = relationship(
        back_populates="send", order_by="Recall.id", cascade="all, delete-orphan"
    )

    @property
    def msg(self) -> dict[str, Any]:
        return json.loads(self.msg_json)

    @property
    def userids(self) -> list[str]:
        return _split(self.userid_list)

    @property
    def dept_ids(self) -> list[int]:
        return [int(v) for v in _split(self.dept_id_list)]

    @property
    def within_result_window(self) -> bool:
        """True while getsendresult and recall still accept this send's tasks."""
        return utcnow() - self.created_at < RESULT_WINDOW

    @property
    def summary(self) -> str:
        """A short plain-text line of the message, for lists."""
        return message_summary(self.msg, self.msgtype)

    def __repr__(self) -> str:
        return f"<Send {self.id} {self.state}>"


class SendTask(Attempt, db.Model):
    """One asyncsend_v2 call of a Send (a batch of at most 100 users / 20 departments).

    Its `state` is the call's (dashboard.attempts): pending, done, failed, unknown;
    a recalled task stays `done`, with `recalled_at`.
    """

    __tablename__ = "notification_send_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("notification_sends.id"), index=True)
    batch_no: Mapped[int] = mapped_column(default=1)
    userid_list: Mapped[str] = mapped_column(Text, default="")
    dept_id_list: Mapped[str] = mapped_column(Text, default="")
    to_all_user: Mapped[bool] = mapped_column(default=False)
    task_id: Mapped[int | None] = mapped_column(BigInteger)
    #: DingTalk's progress: percent 0-100 and status 0 (not started), 1 (running), 2 (done)
    progress: Mapped[int] = mapped_column(default=0)
    status: Mapped[int] = mapped_column(default=0)
    result_json: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None]
    recalled_at: Mapped[datetime | None]
    #: A batch's own msg (a per-recipient send: one person a batch, each their own
    #: rendered message); None: the send's msg.
    msg_json: Mapped[str | None] = mapped_column(Text)
    #: What DingTalk named a batch of another channel: a robot message's
    #: processQueryKey, a card's outTrackId (a work notice has its ``task_id``).
    out_key: Mapped[str | None] = mapped_column(String(128), index=True)

    send: Mapped[Send] = relationship(back_populates="tasks")

    @property
    def accepted(self) -> bool:
        """DingTalk took this batch: it has a task_id (or a processQueryKey / outTrackId)."""
        return self.task_id is not None or self.out_key is not None

    @property
    def msg(self) -> dict[str, Any]:
        """What this batch sends: its own msg, else its send's."""
        return json.loads(self.msg_json) if self.msg_json else self.send.msg

    @property
    def result(self) -> dict[str, Any] | None:
        return json.loads(self.result_json) if self.result_json else None

    @property
    def userids(self) -> list[str]:
        return _split(self.userid_list)

    @property
    def dept_ids(self) -> list[int]:
        return [int(v) for v in _split(self.dept_id_list)]


class Recall(Attempt, db.Model):
    """One recall attempt of one task (topapi/message/corpconversation/recall)."""

    __tablename__ = "notification_recalls"

    id: Mapped[int] = mapped_column(primary_key=True)
    send_id: Mapped[int] = mapped_column(ForeignKey("notification_sends.id"), index=True)
    #: The task's DingTalk task_id; for another channel, the SendTask's own id.
    task_id: Mapped[int] = mapped_column(BigInteger)
    user: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    send: Mapped[Send] = relationship(back_populates="recalls")
