"""The schedules' JSON API operations (listed in ``dashboard.api.operations.AREA_MODULES``).

``scheduleCreate`` takes asyncsend_v2's fields plus ``run_at`` (ISO-8601: a one-off) or
``cron`` (five fields: a recurrence), an optional ``timezone`` (Asia/Shanghai) and
``on_missed`` (``run_late`` | ``skip``); ``scheduleUpdate`` the same, each optional, with
``schedule_id``. Every reply's ``data`` is the schedule as :func:`schedule_data` shows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api.fields import INT64_MAX, Field, FieldError, is_missing
from dashboard.api.models import SCOPE_READ, SCOPE_SEND
from dashboard.api.operation import CallContext, Operation
from dashboard.api.replies import ApiReply, failure
from dashboard.auth import permissions
from dashboard.extensions import db
from dashboard.groups.api import GROUP_IDS
from dashboard.msgtemplates.api import PARAMS, TEMPLATE_ID
from dashboard.robot.api import MSG_KEY, MSG_PARAM
from dashboard.robot.channel import robot_msg
from dashboard.schedules import recurrence, service
from dashboard.schedules.models import (
    CHANNELS,
    DEFAULT_TIMEZONE,
    ON_MISSED,
    ROBOT,
    RUN_LATE,
    WORK_NOTICE,
    Schedule,
    ScheduleRun,
)

API_SOURCE = "api"
NO_CALL = "(no DingTalk call: this console's schedules)"
RECIPIENTS_MESSAGE = "userid_list,dept_id_list, to_all_user必须有一个不能为空"
WHEN_MESSAGE = "run_at或cron不能为空"
SCHEDULE_ID_MESSAGE = "schedule_id不能为空"
#: The runs scheduleGet shows, newest first.
RECENT_RUNS = 20


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z") if moment else None


def _zoned_iso(moment: datetime | None, tz: str) -> str | None:
    at = recurrence.local(moment, tz)
    return at.isoformat() if at else None


def run_data(run: ScheduleRun, tz: str) -> dict[str, Any]:
    return {
        "run_id": run.id,
        "due_at": _zoned_iso(run.due_at, tz),
        "outcome": run.outcome,
        "send_id": run.send_id,
        "late_seconds": run.late_seconds,
        "missed_count": run.missed_count,
        "manual": run.manual,
        "note": run.note,
        "warnings": run.warnings,
    }


def schedule_data(schedule: Schedule, *, runs: int = 0, warnings: list[str] | None = None):
    """A schedule as the API shows it (times in its zone, ISO-8601 with the offset)."""
    last = schedule.last_run
    data: dict[str, Any] = {
        "schedule_id": schedule.id,
        "state": schedule.state,
        "kind": schedule.kind,
        "run_at": _zoned_iso(schedule.run_at, schedule.timezone),
        "cron": schedule.cron,
        "timezone": schedule.timezone,
        "on_missed": schedule.on_missed,
        "next_run_at": _zoned_iso(schedule.next_run_at, schedule.timezone)
        if schedule.state == "active"
        else None,
        "last_run": run_data(last, schedule.timezone) if last else None,
        "userid_list": schedule.userids,
        "dept_id_list": schedule.dept_ids,
        "to_all_user": schedule.to_all_user,
        "channel": schedule.channel,
        "msg": schedule.msg,
        "template_id": schedule.template_id,
        "params": schedule.params,
        "group_ids": schedule.group_id_list,
        "created_by": schedule.created_by,
        "created_at": _iso(schedule.created_at),
        "updated_by": schedule.updated_by,
        "warning": schedule.save_warning,
    }
    if warnings is not None:
        data["warnings"] = warnings
    if runs:
        data["runs"] = [run_data(run, schedule.timezone) for run in schedule.runs.limit(runs).all()]
    return data


def _parse_run_at(value: str) -> datetime:
    text = value.strip()
    try:
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise FieldError(
            _("run_at must be an ISO-8601 date and time, for example 2026-12-03T09:00:00+08:00")
        ) from None


def _spec(a: Mapping[str, Any], base: Schedule | None = None) -> service.ScheduleSpec:
    """The ScheduleSpec of a request; for an update, what is not given stays as saved."""

    def given(name: str) -> bool:
        return a.get(name) is not None

    if base is not None and not (
        given("userid_list") or given("dept_id_list") or given("to_all_user")
    ):
        userids, dept_ids, everyone = base.userids, base.dept_ids, base.to_all_user
    else:
        userids = a.get("userid_list") or []
        dept_ids = [int(d) for d in a.get("dept_id_list") or []]
        everyone = bool(a.get("to_all_user"))
    timezone = a.get("timezone") or (base.timezone if base is not None else DEFAULT_TIMEZONE)
    if given("template_id") or given("msg") or base is None:  # a new msg drops the template
        template_id, params = a.get("template_id"), a.get("params") or {}
    else:
        template_id, params = base.template_id, a.get("params") or base.params
    if given("group_ids") or base is None:
        group_ids = [int(g) for g in a.get("group_ids") or []]
    else:
        group_ids = base.group_id_list
    channel = base.channel if base is not None else (a.get("channel") or WORK_NOTICE)
    if channel == ROBOT:  # the robot's msgKey + msgParam (1:1), never a template
        if base is None or given("msgKey") or given("msgParam"):
            key = a.get("msgKey") or (base.msg.get("msgtype") if base is not None else None)
            if not key:
                raise FieldError("msgKey不能为空")
            param = a.get("msgParam")
            if param is None and base is not None and key == base.msg.get("msgtype"):
                param = base.msg.get(key)
            if param is None:
                raise FieldError("msgParam不能为空")
            msg = robot_msg(key, param)
        else:
            msg = base.msg
        template_id, params = None, {}
    else:
        msg = a.get("msg") if base is None or given("msg") else base.msg
    spec = service.ScheduleSpec(
        msg=msg,
        channel=channel,
        template_id=template_id,
        params=params,
        group_ids=group_ids,
        kind="once",
        userid_list=userids,
        dept_id_list=dept_ids,
        to_all_user=everyone,
        timezone=timezone,
        on_missed=a.get("on_missed") or (base.on_missed if base is not None else RUN_LATE),
    )
    if given("run_at") and given("cron"):
        raise FieldError(_("Give run_at (once) or cron (a recurrence), not both."))
    if given("run_at"):
        spec.run_at = _parse_run_at(a["run_at"])
    elif given("cron"):
        spec.kind, spec.cron = "cron", a["cron"]
    elif base is not None:  # the saved recurrence, as it was made
        spec.kind = base.kind
        spec.run_at = recurrence.local(base.run_at, base.timezone) if base.run_at else None
        spec.time_of_day, spec.monthday, spec.cron = base.time_of_day, base.monthday, base.cron
        spec.weekdays = [int(d) for d in (base.weekdays or "").split(",") if d]
        if base.run_at and given("timezone"):  # the same instant, whatever zone it is shown in
            spec.run_at = recurrence.local(base.run_at, timezone)
    return spec


def _raise(exc: service.ScheduleError):
    raise FieldError(exc.message) from None


def _find(a: Mapping[str, Any]) -> Schedule | ApiReply:
    schedule = service.find_schedule(a["schedule_id"])
    if schedule is None:
        return failure(404, _("No schedule %(id)s.", id=a["schedule_id"]))
    return schedule


def _find_own(a: Mapping[str, Any]) -> Schedule | ApiReply:
    """The schedule, for a change: a sender's token changes only its own (NotYours: 403)."""
    schedule = _find(a)
    if not isinstance(schedule, ApiReply):
        permissions.check_own(schedule.created_by, "schedule")
    return schedule


def _create(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    try:
        schedule, warnings = service.create_schedule(
            _spec(a),
            author=ctx.principal.name,
            source=API_SOURCE,
            api_token_name=ctx.principal.name,
        )
    except service.ScheduleError as exc:
        _raise(exc)
    return schedule_data(schedule, warnings=warnings)


def _update(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    schedule = _find_own(a)
    if isinstance(schedule, ApiReply):
        return schedule
    try:
        warnings = service.update_schedule(schedule, _spec(a, schedule), editor=ctx.principal.name)
    except service.ScheduleError as exc:
        db.session.rollback()
        _raise(exc)
    return schedule_data(schedule, warnings=warnings)


def _list(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    schedules = db.session.execute(service.visible_schedules()).scalars().all()
    return {"count": len(schedules), "schedules": [schedule_data(s) for s in schedules]}


def _get(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    schedule = _find(a)
    return schedule if isinstance(schedule, ApiReply) else schedule_data(schedule, runs=RECENT_RUNS)


def _acting(action):
    def call(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
        schedule = _find_own(a)
        if isinstance(schedule, ApiReply):
            return schedule
        action(schedule, user=ctx.principal.name)
        return schedule_data(schedule)

    return call


def _require_create(values: Mapping[str, Any]) -> None:
    """asyncsend_v2's recipients and msg, then a time (run_at or cron)."""
    try:
        everyone = bool(Field("to_all_user", "boolean").parse(values.get("to_all_user")))
    except FieldError:
        everyone = True
    lists = ("userid_list", "dept_id_list", "group_ids")
    if all(is_missing(values.get(k)) for k in lists) and not everyone:
        raise FieldError(RECIPIENTS_MESSAGE)
    if values.get("channel") == ROBOT:
        if is_missing(values.get("msgKey")):
            raise FieldError("msgKey不能为空")
        if is_missing(values.get("msgParam")):
            raise FieldError("msgParam不能为空")
    elif is_missing(values.get("msg")) and is_missing(values.get("template_id")):
        raise FieldError("msg不能为空")
    if is_missing(values.get("run_at")) and is_missing(values.get("cron")):
        raise FieldError(WHEN_MESSAGE)


def _schedule_id() -> Field:
    return Field(
        "schedule_id",
        "integer",
        SCHEDULE_ID_MESSAGE,
        _l("The schedule_id returned by scheduleCreate."),
        minimum=1,
        maximum=INT64_MAX,
        example=1,
    )


def _when_fields() -> tuple[Field, ...]:
    return (
        Field(
            "run_at",
            "string",
            None,
            _l(
                "Send once at this ISO-8601 time; without an offset it is read in timezone. "
                "A time already past follows on_missed."
            ),
            example="2026-12-03T09:00:00+08:00",
        ),
        Field(
            "cron",
            "string",
            None,
            _l("Send on this recurrence: a cron expression of five fields, in timezone."),
            example="0 9 * * 1-5",
        ),
        Field(
            "timezone",
            "string",
            None,
            _l("IANA time zone of run_at and cron (default Asia/Shanghai)."),
            example=DEFAULT_TIMEZONE,
        ),
        Field(
            "on_missed",
            "string",
            None,
            _l(
                "When the console was down at a due time: run_late (send once, late, with a "
                "note; the default) or skip (record the skip)."
            ),
            choices=ON_MISSED,
        ),
    )


def _message_fields(required: bool) -> tuple[Field, ...]:
    return (
        Field(
            "userid_list",
            "idlist",
            None,
            _l("Userids: an array or a comma-separated string."),
            example="u0001,u0002",
        ),
        Field(
            "dept_id_list",
            "idlist",
            None,
            _l("Department ids: an array or a comma-separated string."),
            numeric_items=True,
        ),
        GROUP_IDS,
        Field("to_all_user", "boolean", None, _l("Send to the whole company (true/false).")),
        Field(
            "msg",
            "message",
            None,
            _l("The text to send (or a DingTalk msg object)."),
            example="Daily report for {date}",
        ),
        TEMPLATE_ID,
        PARAMS,
    )


def _channel_fields() -> tuple[Field, ...]:
    return (
        Field(
            "channel",
            "string",
            None,
            _l(
                "work_notice (the default: asyncsend_v2's msg) or robot (the robot's 1:1 "
                "message: msgKey and msgParam instead of msg)."
            ),
            choices=CHANNELS,
        ),
        replace(MSG_KEY, required=None),
        replace(MSG_PARAM, required=None),
    )


def _robot_fields() -> tuple[Field, ...]:
    return _channel_fields()[1:]


def _status_only(name: str, summary, action) -> Operation:
    return Operation(name, summary, NO_CALL, SCOPE_SEND, _acting(action), (_schedule_id(),))


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "scheduleCreate",
        _l(
            "Schedule a work notification: once (run_at) or on a recurrence (cron). "
            "Each run is a send of the history, after the pre-send warnings."
        ),
        NO_CALL,
        SCOPE_SEND,
        _create,
        (*_message_fields(True), *_channel_fields(), *_when_fields()),
        requires=_require_create,
    ),
    Operation(
        "scheduleList",
        _l("The schedules: next run, last run and its outcome, author, recipients."),
        NO_CALL,
        SCOPE_READ,
        _list,
    ),
    Operation(
        "scheduleGet",
        _l("One schedule and its recent runs (each with its send_id)."),
        NO_CALL,
        SCOPE_READ,
        _get,
        (_schedule_id(),),
    ),
    Operation(
        "scheduleUpdate",
        _l("Change a schedule: any field of scheduleCreate; what is not given stays."),
        NO_CALL,
        SCOPE_SEND,
        _update,
        (_schedule_id(), *_message_fields(False), *_robot_fields(), *_when_fields()),
    ),
    _status_only(
        "schedulePause",
        _l("Pause a schedule: it does not run until resumed."),
        service.pause_schedule,
    ),
    _status_only(
        "scheduleResume",
        _l("Resume a paused schedule from its next due time."),
        service.resume_schedule,
    ),
    _status_only(
        "scheduleDelete",
        _l("Delete a schedule; its earlier runs stay in the send history."),
        service.delete_schedule,
    ),
)
