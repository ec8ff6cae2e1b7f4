"""Schedules and their runs.

A Schedule is a work notification to send later: once (``run_at``) or on a
recurrence (``kind`` + a cron expression built from it, ``dashboard.schedules.recurrence``),
in its ``timezone`` (Asia/Shanghai unless told). ``next_run_at`` is the next time it is
due (naive UTC); the queue's periodic task fires what is due.

A ScheduleRun is one due time of one schedule, claimed by inserting it: the pair
(schedule_id, due_at) is unique, so of two consumers firing at once only one row, and
so one send, is ever made. Its ``outcome`` says what became of it: ``sent`` (a Send is
linked), ``skipped`` (missed while the console was down, ``on_missed=skip``) or
``failed`` (nothing could be sent: the reason is in ``note``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dashboard.composer.message import message_summary
from dashboard.extensions import db
from dashboard.notifications.models import Send, utcnow

KINDS = ("once", "daily", "workdays", "weekly", "monthly", "cron")
RECURRING_KINDS = KINDS[1:]
RUN_LATE, SKIP = "run_late", "skip"
ON_MISSED = (RUN_LATE, SKIP)
#: A deleted schedule stays as a row (its runs are sends of the history, linked to it).
ACTIVE, PAUSED, FINISHED, DELETED = "active", "paused", "finished", "deleted"
DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Outcomes of a run.
SENT, SKIPPED, FAILED, RUNNING = "sent", "skipped", "failed", "running"
#: The channels a schedule sends through (``Send.channel``).
WORK_NOTICE, ROBOT = "work_notice", "robot"
CHANNELS = (WORK_NOTICE, ROBOT)


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


class Schedule(db.Model):
    """A work notification to be sent at a time, or again and again."""

    __tablename__ = "schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_by: Mapped[str | None] = mapped_column(String(80))
    # ISV mode: the authorised company it sends for (None for an internal app).
    corpid: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str] = mapped_column(String(10), default="web")
    #: How each run is sent: ``work_notice`` (asyncsend_v2) or ``robot`` (the robot's 1:1
    #: batchSend, ``dashboard.robot.channel``; ``msg`` is then the robot's msgKey/msgParam).
    channel: Mapped[str] = mapped_column(
        String(20), default=WORK_NOTICE, server_default=WORK_NOTICE
    )
    api_token_name: Mapped[str | None] = mapped_column(String(80))

    userid_list: Mapped[str] = mapped_column(Text, default="")
    dept_id_list: Mapped[str] = mapped_column(Text, default="")
    to_all_user: Mapped[bool] = mapped_column(default=False)
    #: Saved recipient groups (dashboard.groups), resolved at each run; comma-separated ids.
    group_ids: Mapped[str] = mapped_column(Text, default="")
    msgtype: Mapped[str] = mapped_column(String(20))
    msg_json: Mapped[str] = mapped_column(Text)
    #: A message template (dashboard.msgtemplates) and its free fields, rendered at each run.
    template_id: Mapped[int | None]
    params_json: Mapped[str | None] = mapped_column(Text)

    kind: Mapped[str] = mapped_column(String(10))
    #: ``once``: when (naive UTC).
    run_at: Mapped[datetime | None]
    #: Recurrences: "HH:MM" of the local day, the ISO weekdays ("1,3,5", Monday = 1), the
    #: day of the month ("1".."31" or "L", the last).
    time_of_day: Mapped[str | None] = mapped_column(String(5))
    weekdays: Mapped[str | None] = mapped_column(String(20))
    monthday: Mapped[str | None] = mapped_column(String(2))
    #: The cron expression of any recurrence (built from the fields above unless ``cron``).
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default=DEFAULT_TIMEZONE)
    on_missed: Mapped[str] = mapped_column(String(10), default=RUN_LATE)

    state: Mapped[str] = mapped_column(String(10), default=ACTIVE, index=True)
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    #: The 143106 warning given when it was saved (a recurring identical text), if any.
    save_warning: Mapped[str | None] = mapped_column(Text)

    runs: Mapped[list[ScheduleRun]] = relationship(
        back_populates="schedule",
        order_by="ScheduleRun.id.desc()",
        cascade="all, delete-orphan",
        lazy="dynamic",
    )

    @property
    def msg(self) -> dict[str, Any]:
        return json.loads(self.msg_json)

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json) if self.params_json else {}

    @property
    def userids(self) -> list[str]:
        return _split(self.userid_list)

    @property
    def dept_ids(self) -> list[int]:
        return [int(v) for v in _split(self.dept_id_list)]

    @property
    def group_id_list(self) -> list[int]:
        return [int(v) for v in _split(self.group_ids)]

    @property
    def recurring(self) -> bool:
        return self.kind != "once"

    @property
    def summary(self) -> str:
        return message_summary(self.msg, self.msgtype)

    @property
    def last_run(self) -> ScheduleRun | None:
        return self.runs.first()

    def __repr__(self) -> str:
        return f"<Schedule {self.id} {self.kind} {self.state}>"


class ScheduleRun(db.Model):
    """One due time of a schedule: claimed once, then sent, skipped or failed."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("schedule_id", "due_at", name="uq_schedule_runs_due"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedules.id"), index=True)
    #: The time it was due (naive UTC); "run now" uses the moment it was asked.
    due_at: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    outcome: Mapped[str] = mapped_column(String(10), default=RUNNING)
    #: Late by design of the downtime policy, or skipped: what happened, in English
    #: for the log; the page renders its own sentence from the fields.
    late_seconds: Mapped[int | None]
    #: The due times this run stands for (1; more when the console was down across several).
    missed_count: Mapped[int] = mapped_column(default=1)
    manual: Mapped[bool] = mapped_column(default=False)
    triggered_by: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    #: The pre-send warnings at the run (JSON list of sentences).
    warnings_json: Mapped[str | None] = mapped_column(Text)
    send_id: Mapped[int | None] = mapped_column(ForeignKey("notification_sends.id"))

    schedule: Mapped[Schedule] = relationship(back_populates="runs")
    send: Mapped[Send | None] = relationship()

    @property
    def warnings(self) -> list[str]:
        return json.loads(self.warnings_json) if self.warnings_json else []

    def __repr__(self) -> str:
        return f"<ScheduleRun {self.id} of {self.schedule_id} {self.outcome}>"
