"""Schedules: save, pause, resume, delete, and fire what is due.

``create_schedule`` / ``update_schedule`` validate a :class:`ScheduleSpec` (the same
for the form and the JSON API), work out ``next_run_at`` (``recurrence``) and the
143106 warning of a recurring identical text (a warning: the schedule is saved).

The queue's periodic task (``dashboard.delivery.tasks.fire_schedules``, every minute
in every consumer) calls :func:`fire_due`. Each due time is claimed by inserting its
ScheduleRun: (schedule_id, due_at) is unique and ``next_run_at`` moves on in the
same transaction, only from the value that was read, so two consumers (or two
hosts) firing at once make one run, never two. A run is a send of the history
(``sending.send_work_notice``, source ``schedule``, linked to its schedule), after
the pre-send warnings, which are kept on the run.

Downtime: a due time found more than SCHEDULE_LATE_AFTER seconds late was missed
(no consumer ran at its time). ``on_missed`` says what then happens: ``run_late``
sends once, now, with a note; ``skip`` records the skip. Recurring due times missed
in between are counted in that one run, never sent one by one.

"Now" is :data:`clock` (naive UTC), replaced by the tests' controlled clock.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, has_request_context
from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError

from dashboard.auth import permissions
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.extensions import db
from dashboard.notifications.models import Send, utcnow
from dashboard.schedules import recurrence
from dashboard.schedules.models import (
    ACTIVE,
    CHANNELS,
    DEFAULT_TIMEZONE,
    DELETED,
    FAILED,
    FINISHED,
    KINDS,
    ON_MISSED,
    PAUSED,
    ROBOT,
    RUN_LATE,
    RUNNING,
    SENT,
    SKIP,
    SKIPPED,
    WORK_NOTICE,
    Schedule,
    ScheduleRun,
)
from dashboard.services.dingtalk import (
    NotConfigured,
    act_for_company,
    current_company,
    get_client,
    of_current_company,
)

audit = logging.getLogger("dashboard.audit.schedules")

#: "Now", naive UTC. Tests replace it (a controlled clock); nothing here reads the wall clock.
clock: Callable[[], datetime] = utcnow
#: `Send.source` of a schedule's runs.
SCHEDULE_SOURCE = "schedule"
#: The placeholders a schedule fills at each run (the template module names the same ones).
BUILTIN_PLACEHOLDERS = ("{date}", "{weekday}", "{time}")
_PLACEHOLDER = re.compile(r"\{(date|weekday|time)\}")


class ScheduleError(ValueError):
    """A schedule that cannot be saved; ``field`` names the culprit, ``message`` is for the admin."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


@dataclass
class ScheduleSpec:
    """What a schedule is, as the form or the API gave it.

    ``run_at`` (``once``) is aware, or naive in ``timezone``. ``weekdays`` are ISO
    (Monday = 1).
    """

    msg: dict[str, Any] | None
    kind: str
    userid_list: list[str] = field(default_factory=list)
    dept_id_list: list[int] = field(default_factory=list)
    to_all_user: bool = False
    group_ids: list[int] = field(default_factory=list)
    template_id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)
    run_at: datetime | None = None
    time_of_day: str | None = None
    weekdays: list[int] = field(default_factory=list)
    monthday: str | None = None
    cron: str | None = None
    timezone: str = DEFAULT_TIMEZONE
    on_missed: str = RUN_LATE
    #: ``work_notice`` or ``robot`` (``msg`` is then ``robot.channel.robot_msg``'s, 1:1 only).
    channel: str = WORK_NOTICE


def now() -> datetime:
    return clock()


def late_after() -> timedelta:
    """How late a due time may fire and still count as on time (the queue ticks each minute)."""
    return timedelta(seconds=int(current_app.config.get("SCHEDULE_LATE_AFTER") or 300))


def duplicate_window() -> timedelta:
    """Two identical sends this close together are taken as DingTalk's duplicate (143106)."""
    return timedelta(hours=float(current_app.config.get("SCHEDULE_DUPLICATE_WINDOW_HOURS") or 24))


def _hours(window: timedelta) -> str:
    return f"{window.total_seconds() / 3600:g}"


# --- saving -----------------------------------------------------------------------------


def _validate_msg(spec: ScheduleSpec) -> None:
    """The message as its channel takes it (ScheduleError otherwise)."""
    from dashboard.robot.channel import CID, validate

    if spec.channel == ROBOT and spec.msg.get(CID):
        raise ScheduleError(
            "open_conversation_id",
            _("A robot schedule sends to people (1:1); send to a group now instead."),
        )
    try:
        if spec.channel == ROBOT:
            validate(spec.msg)
        else:
            dtmsg.validate_msg(spec.msg)
    except InvalidMessage as exc:
        raise ScheduleError("msg", exc.reason) from None
    except ValueError as exc:
        raise ScheduleError("msg", str(exc)) from None


def _apply(schedule: Schedule, spec: ScheduleSpec, at: datetime) -> None:
    """Validate ``spec`` and write it into ``schedule`` (ScheduleError on bad input)."""
    if spec.channel not in CHANNELS:
        raise ScheduleError("channel", _("channel must be work_notice or robot."))
    if spec.channel == ROBOT and spec.template_id is not None:
        raise ScheduleError("template_id", _("Message templates are for work notifications."))
    if spec.kind not in KINDS:
        raise ScheduleError("kind", _("Unknown recurrence %(kind)s.", kind=spec.kind))
    if spec.on_missed not in ON_MISSED:
        raise ScheduleError("on_missed", _("on_missed must be run_late or skip."))
    try:
        tz = spec.timezone or DEFAULT_TIMEZONE
        recurrence.zone(tz)
    except recurrence.RecurrenceError as exc:
        raise ScheduleError("timezone", str(exc)) from None
    userids = parse_userids(spec.userid_list or [])
    try:
        dept_ids = parse_dept_ids(list(spec.dept_id_list or []))
    except ValueError as exc:
        raise ScheduleError("dept_id_list", str(exc)) from None
    if not (userids or dept_ids or spec.to_all_user or spec.group_ids):
        raise ScheduleError(
            "userid_list",
            _("At least one of userid_list, dept_id_list and to_all_user is required."),
        )
    # A sender limited to departments schedules only for people in them (403 in the API).
    permissions.check_send_scope(userids, dept_ids, bool(spec.to_all_user))
    template_msg = _check_template_and_groups(spec, at)
    if template_msg is not None:
        spec.msg = template_msg
    if not spec.msg:
        raise ScheduleError("msg", _("Give a message or choose a template."))
    _validate_msg(spec)

    if spec.kind == "once":
        if spec.run_at is None:
            raise ScheduleError("run_at", _("Give the date and time to send at."))
        run_at = recurrence.to_utc(spec.run_at, tz)
        cron = None
    else:
        run_at = None
        try:
            cron = recurrence.build_cron(
                spec.kind, spec.time_of_day, spec.weekdays, spec.monthday, spec.cron
            )
        except recurrence.RecurrenceError as exc:
            name = "cron" if spec.kind == "cron" else "time_of_day"
            if spec.kind == "weekly" and spec.time_of_day and ":" in spec.time_of_day:
                name = "weekdays"
            if spec.kind == "monthly" and spec.time_of_day and ":" in spec.time_of_day:
                name = "monthday"
            raise ScheduleError(name, str(exc)) from None

    schedule.channel = spec.channel
    schedule.userid_list = ",".join(userids)
    schedule.dept_id_list = ",".join(str(d) for d in dept_ids)
    schedule.to_all_user = bool(spec.to_all_user)
    schedule.group_ids = ",".join(str(g) for g in spec.group_ids)
    schedule.msgtype = spec.msg["msgtype"]
    schedule.msg_json = json.dumps(spec.msg, ensure_ascii=False)
    schedule.template_id = spec.template_id
    schedule.params_json = json.dumps(spec.params, ensure_ascii=False) if spec.params else None
    schedule.kind = spec.kind
    schedule.run_at = run_at
    schedule.time_of_day = (
        spec.time_of_day if spec.kind in ("daily", "workdays", "weekly", "monthly") else None
    )
    schedule.weekdays = (
        ",".join(str(d) for d in sorted(set(spec.weekdays))) if spec.kind == "weekly" else None
    )
    schedule.monthday = (spec.monthday or "").upper() if spec.kind == "monthly" else None
    schedule.cron = cron
    schedule.timezone = tz
    schedule.on_missed = spec.on_missed
    schedule.next_run_at = run_at if cron is None else recurrence.next_after(cron, tz, at)
    schedule.state = ACTIVE
    warning = repeat_warning(schedule, at)
    schedule.save_warning = warning


def create_schedule(
    spec: ScheduleSpec,
    *,
    author: str,
    source: str = "web",
    api_token_name: str | None = None,
) -> tuple[Schedule, list[str]]:
    """Validate and save a schedule; answers it and its warnings (it is saved anyway).

    Raises ScheduleError (nothing saved) on bad input, NotConfigured without a client.
    """
    at = now()
    get_client()  # no credentials (or no company chosen in ISV mode): nothing saved
    schedule = Schedule(
        created_by=author, corpid=current_company(), source=source, api_token_name=api_token_name
    )
    _apply(schedule, spec, at)
    db.session.add(schedule)
    db.session.commit()
    audit.info(
        "schedule %s created by %s (%s): %s", schedule.id, author, source, describe(schedule)
    )
    _record("schedule.create", schedule)
    warnings = saved_warnings(schedule, at)
    _fire_if_due(schedule, at)
    return db.session.get(Schedule, schedule.id), warnings


def update_schedule(schedule: Schedule, spec: ScheduleSpec, *, editor: str) -> list[str]:
    """Change a schedule (a paused one stays paused); answers its warnings."""
    at = now()
    paused = schedule.state == PAUSED
    _apply(schedule, spec, at)
    if paused:
        schedule.state = PAUSED
    schedule.updated_by = editor
    db.session.commit()
    audit.info("schedule %s changed by %s: %s", schedule.id, editor, describe(schedule))
    _record("schedule.update", schedule)
    warnings = saved_warnings(schedule, at)
    _fire_if_due(schedule, at)
    return warnings


def pause_schedule(schedule: Schedule, *, user: str) -> None:
    if schedule.state == ACTIVE:
        schedule.state = PAUSED
        schedule.updated_by = user
        db.session.commit()
        audit.info("schedule %s paused by %s", schedule.id, user)
        _record("schedule.pause", schedule)


def resume_schedule(schedule: Schedule, *, user: str) -> None:
    """Active again: a recurrence from its next due time after now (the times it was paused
    for are not "missed"); a one-off keeps its time (already past: ``on_missed`` decides)."""
    if schedule.state != PAUSED:
        return
    at = now()
    schedule.state = ACTIVE
    schedule.updated_by = user
    if schedule.recurring:
        schedule.next_run_at = recurrence.next_after(schedule.cron, schedule.timezone, at)
    db.session.commit()
    audit.info("schedule %s resumed by %s", schedule.id, user)
    _record("schedule.resume", schedule)
    _fire_if_due(schedule, at)


def delete_schedule(schedule: Schedule, *, user: str) -> None:
    """Deleted: it never fires again and leaves the list; its runs stay sends of the history."""
    schedule.state = DELETED
    schedule.next_run_at = None
    schedule.updated_by = user
    db.session.commit()
    audit.info("schedule %s deleted by %s", schedule.id, user)
    _record("schedule.delete", schedule)


def visible_schedules():
    """The current company's schedules, not deleted, the next to fire first."""
    return (
        db.select(Schedule)
        .where(Schedule.state != DELETED, of_current_company(Schedule.corpid))
        .order_by(Schedule.next_run_at.is_(None), Schedule.next_run_at, Schedule.id.desc())
    )


def find_schedule(schedule_id: int) -> Schedule | None:
    """A schedule of the current company (None when deleted, unknown or another company's)."""
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or schedule.state == DELETED or schedule.corpid != current_company():
        return None
    return schedule


def _record(action: str, schedule: Schedule) -> None:
    """The audit log's row (dashboard.audit): who did what to which schedule, and its time."""
    from dashboard.audit import record

    record(
        action,
        object_type="schedule",
        object_id=schedule.id,
        detail={"when": describe(schedule), "state": schedule.state},
    )


def _fire_if_due(schedule: Schedule, at: datetime) -> None:
    """A time already past (or now) fires on the queue at once, not at the next minute's tick."""
    if schedule.state == ACTIVE and schedule.next_run_at is not None and schedule.next_run_at <= at:
        from dashboard.delivery.tasks import fire_schedules

        fire_schedules.enqueue()
        db.session.expire_all()


def describe(schedule: Schedule) -> str:
    """For the audit log: when, in English (no message text, no recipients)."""
    when = schedule.cron or (schedule.run_at.isoformat() + "Z" if schedule.run_at else "-")
    return f"{schedule.kind} {when} {schedule.timezone} on_missed={schedule.on_missed}"


# --- the 143106 warning -----------------------------------------------------------------


def _message_text(schedule: Schedule) -> str:
    """The text whose placeholders decide whether two runs send the same content."""
    return schedule.msg_json + _template_text(schedule.template_id)


def _content_key(text: str, moment: datetime, tz: str) -> tuple:
    """What differs between two runs' contents: the values of the date placeholders used."""
    at = recurrence.local(moment, tz)
    used = set(_PLACEHOLDER.findall(text))
    return (
        at.date() if "date" in used else None,
        at.isoweekday() if "weekday" in used else None,
        at.strftime("%H:%M") if "time" in used else None,
    )


def repeat_warning(schedule: Schedule, at: datetime) -> str | None:
    """The 143106 warning of a recurrence whose runs send the same content too close together.

    Two consecutive due times whose contents are the same (no date placeholder tells
    them apart) within DingTalk's duplicate window, or on the same China day, are
    dropped by DingTalk for the recipients who had the first. A daily text with
    ``{date}`` is new content every day: no warning.
    """
    if not schedule.recurring or not schedule.cron or schedule.channel == ROBOT:
        return None  # 143106 is the work notice's rule (the robot's are checked at each run)
    text = _message_text(schedule)
    window = duplicate_window()
    times = []
    for moment in recurrence.occurrences(schedule.cron, schedule.timezone, at):
        times.append(moment)
        if len(times) >= 40:
            break
    for first, second in zip(times, times[1:], strict=False):
        same_day = (
            recurrence.local(first, "Asia/Shanghai").date()
            == recurrence.local(second, "Asia/Shanghai").date()
        )
        if (second - first <= window or same_day) and _content_key(
            text, first, schedule.timezone
        ) == _content_key(text, second, schedule.timezone):
            return _(
                "This schedule sends the same content to the same people again within "
                "%(hours)s hours: DingTalk drops such a repeat as a duplicate (143106). Put a "
                "{date} placeholder in the message (or send less often) so each run differs.",
                hours=_hours(window),
            )
    return None


def saved_warnings(schedule: Schedule, at: datetime) -> list[str]:
    """The warnings to show when a schedule is saved: the repeat, and a past time's policy."""
    warnings = [schedule.save_warning] if schedule.save_warning else []
    if schedule.next_run_at is not None and at - schedule.next_run_at > late_after():
        if schedule.on_missed == SKIP:
            warnings.append(_("The time to send is already past: it is recorded as skipped."))
        else:
            warnings.append(_("The time to send is already past: it is sent now, late."))
    return warnings


# --- templates and groups (dashboard.msgtemplates, dashboard.groups) ---------------------


def _ui_lang() -> str:
    return str(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh")


def _template_text(template_id: int | None) -> str:
    """The template's fields as text (where its placeholders are), "" without a template."""
    if template_id is None:
        return ""
    from dashboard.msgtemplates import service as templates

    try:
        return json.dumps(templates.get_template(template_id).fields, ensure_ascii=False)
    except templates.TemplateError:
        return ""


def _check_template_and_groups(spec: ScheduleSpec, at: datetime) -> dict[str, Any] | None:
    """A template's msg as the schedule shows it (placeholders as saved), after checking that
    every free placeholder has a value and every group exists; ScheduleError otherwise."""
    from dashboard.groups.service import GroupError, get_group
    from dashboard.msgtemplates import service as templates

    for group_id in spec.group_ids:
        try:
            get_group(group_id)
        except GroupError as exc:
            raise ScheduleError("group_ids", str(exc)) from None
    if spec.template_id is None:
        return None
    try:
        return templates.render_template_message(
            spec.template_id, spec.params, when=at, lang=_ui_lang(), keep_per_recipient=True
        )
    except templates.TemplateError as exc:
        raise ScheduleError("template_id", str(exc)) from None


def fill_builtins(msg: Any, when: datetime, tz: str) -> Any:
    """``{date}``, ``{weekday}``, ``{time}`` in every string of a saved msg, filled for ``when``
    (naive UTC) in zone ``tz``, in the UI's language (the templates' own values)."""
    from dashboard.msgtemplates.service import builtin_values, fill

    values = builtin_values(when, _ui_lang(), tz)

    def filled(value: Any) -> Any:
        if isinstance(value, str):
            return fill(value, values)[0] if _PLACEHOLDER.search(value) else value
        if isinstance(value, dict):
            return {k: filled(v) for k, v in value.items()}
        if isinstance(value, list):
            return [filled(v) for v in value]
        return value

    return filled(msg)


def prepare_run(schedule: Schedule, due_at: datetime):
    """What the run's send is given (``msgtemplates.sends.prepare_send``): the groups
    resolved now, the template rendered for the due time, else the saved msg with its
    built-in placeholders filled."""
    from dashboard.msgtemplates.sends import prepare_send

    return prepare_send(
        msg=None
        if schedule.template_id
        else fill_builtins(schedule.msg, due_at, schedule.timezone),
        template_id=schedule.template_id,
        params=schedule.params,
        userid_list=schedule.userids,
        dept_id_list=schedule.dept_ids,
        to_all_user=schedule.to_all_user,
        group_ids=schedule.group_id_list,
        when=due_at,
        lang=_ui_lang(),
    )


# --- firing -----------------------------------------------------------------------------


def fire_due(at: datetime | None = None) -> list[int]:
    """Fire every active schedule due at ``at`` (default: now); answers the runs made here.

    Called by every consumer each minute: what another consumer claimed first is left to it.
    """
    at = at or now()
    recover_interrupted(at)
    due = db.session.execute(
        db.select(Schedule.id)
        .where(Schedule.state == ACTIVE, Schedule.next_run_at <= at)
        .order_by(Schedule.next_run_at)
    ).scalars()
    runs = []
    for schedule_id in list(due):
        run = fire(schedule_id, at)
        if run is not None:
            runs.append(run.id)
    return runs


def recover_interrupted(at: datetime) -> list[int]:
    """Finish the runs a consumer claimed and then died with (still ``running`` after the
    claim time, DELIVERY_CLAIM_SECONDS): their send is made with the run's own nonce, so a
    send that was in fact recorded is found, never made twice."""
    limit = at - timedelta(seconds=float(current_app.config.get("DELIVERY_CLAIM_SECONDS") or 180))
    stuck = db.session.execute(
        db.select(ScheduleRun.id).where(
            ScheduleRun.outcome == RUNNING,
            ScheduleRun.send_id.is_(None),
            ScheduleRun.started_at < limit,
        )
    ).scalars()
    done = []
    for run_id in list(stuck):
        claimed = db.session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.id == run_id, ScheduleRun.outcome == RUNNING)
            .where(ScheduleRun.started_at < limit)
            .values(started_at=at)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if claimed.rowcount != 1:
            continue  # another consumer took it over first
        run = db.session.get(ScheduleRun, run_id)
        audit.info("schedule %s run %s interrupted: made again", run.schedule_id, run_id)
        if run.late_seconds is not None and run.schedule.on_missed == SKIP:
            run.outcome = SKIPPED
            db.session.commit()
        else:
            execute_run(run)
        done.append(run_id)
    return done


def claim_run(schedule_id: int, at: datetime) -> ScheduleRun | None:
    """Claim the schedule's due time: insert its run and move ``next_run_at`` on, atomically.

    None when there is nothing due or another process claimed it first.
    """
    schedule = db.session.get(Schedule, schedule_id)
    if schedule is None or schedule.state != ACTIVE or schedule.next_run_at is None:
        return None
    due_at = schedule.next_run_at
    if due_at > at:
        return None
    late = at - due_at
    missed = 1  # the due times this run stands for: more when the console was down
    if schedule.recurring:
        following = recurrence.next_after(schedule.cron, schedule.timezone, at)
        missed += recurrence.count_between(schedule.cron, schedule.timezone, due_at, at)
        values = {"next_run_at": following}
    else:
        values = {"next_run_at": None, "state": FINISHED}
    from dashboard.notifications.sending import worker_identity

    run = ScheduleRun(
        schedule_id=schedule_id,
        due_at=due_at,
        started_at=at,
        claimed_by=worker_identity(),
        late_seconds=int(late.total_seconds()) if late > late_after() else None,
        missed_count=missed,
    )
    try:
        db.session.add(run)
        db.session.flush()
        moved = db.session.execute(
            update(Schedule)
            .where(
                Schedule.id == schedule_id,
                Schedule.state == ACTIVE,
                Schedule.next_run_at == due_at,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            db.session.rollback()
            return None
        db.session.commit()
    except (IntegrityError, OperationalError):
        # The same due time was claimed by another consumer (or the database was busy:
        # the next tick tries again, the due time is unchanged).
        db.session.rollback()
        return None
    db.session.expire_all()
    return db.session.get(ScheduleRun, run.id)


def fire(schedule_id: int, at: datetime) -> ScheduleRun | None:
    """Claim the schedule's due time and run it (or record the skip of a missed one)."""
    run = claim_run(schedule_id, at)
    if run is None:
        return None
    schedule = run.schedule
    if run.late_seconds is not None and schedule.on_missed == SKIP:
        run.outcome = SKIPPED
        run.note = (
            f"missed at its time ({run.late_seconds} s ago, the console was not running): skipped"
        )
        db.session.commit()
        audit.info(
            "schedule %s run %s skipped (missed by %ss)", schedule.id, run.id, run.late_seconds
        )
        return run
    return execute_run(run)


def run_now(schedule: Schedule, *, user: str) -> ScheduleRun:
    """ "Run now": one run at once, outside the recurrence (its next due time is unchanged)."""
    at = now()
    run = ScheduleRun(
        schedule_id=schedule.id, due_at=at, started_at=at, manual=True, triggered_by=user
    )
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:  # the same instant was claimed already: that run is this one
        db.session.rollback()
        return db.session.execute(
            db.select(ScheduleRun).filter_by(schedule_id=schedule.id, due_at=at)
        ).scalar_one()
    audit.info("schedule %s run now by %s (run %s)", schedule.id, user, run.id)
    _record("schedule.run_now", schedule)
    return execute_run(run)


def execute_run(run: ScheduleRun) -> ScheduleRun:
    """Make the run's send (pre-send warnings kept on the run); never raises for DingTalk."""
    if has_request_context():
        return _execute(run)
    # A consumer has no request: act for the schedule's company as a request would.
    with current_app.test_request_context():
        return _execute(run)


def _execute(run: ScheduleRun) -> ScheduleRun:
    from dashboard.notifications.sending import content_hash, send_work_notice
    from dashboard.notifications.warnings import presend_warnings, robot_presend_warnings

    schedule = run.schedule
    run_id, schedule_id = run.id, schedule.id
    act_for_company(schedule.corpid)
    try:
        prepared = prepare_run(schedule, run.due_at)
        msg, userids = prepared.msg, prepared.userid_list
        dept_ids, everyone = prepared.dept_id_list, prepared.to_all_user
        robot = schedule.channel == ROBOT
        if robot:
            warnings = robot_presend_warnings(msg=msg, userid_list=userids, dept_id_list=dept_ids)
        else:
            warnings = presend_warnings(
                msg=msg, userid_list=userids, dept_id_list=dept_ids, to_all_user=everyone
            )
        _check_author_scope(schedule, userids, dept_ids, everyone)
        repeat = None
        if not robot:
            digest = content_hash(msg)
            repeat = _repeat_of_last_run(schedule, run, digest, userids, dept_ids, everyone)
        if repeat:
            warnings.append(repeat)
        run.warnings_json = json.dumps(warnings, ensure_ascii=False) if warnings else None
        db.session.commit()
        kwargs = prepared.send_kwargs()
        if robot:
            kwargs.pop("personal_msgs", None)  # no per-recipient templates on the robot
        send = send_work_notice(
            **kwargs,
            channel=schedule.channel or WORK_NOTICE,
            sender=schedule.created_by,
            source=SCHEDULE_SOURCE,
            api_token_name=schedule.api_token_name,
            nonce=f"schedule-run-{run_id}",
        )
    except (InvalidMessage, NotConfigured, DingTalkError, LookupError, ValueError) as exc:
        db.session.rollback()
        run = db.session.get(ScheduleRun, run_id)
        run.outcome = FAILED
        run.note = str(exc)[:500] or type(exc).__name__
        db.session.commit()
        audit.warning("schedule %s run %s failed: %s", schedule_id, run_id, type(exc).__name__)
        return run
    send_id = send.id
    db.session.execute(update(Send).where(Send.id == send_id).values(schedule_id=schedule_id))
    run = db.session.get(ScheduleRun, run_id)
    run.send_id = send_id
    run.outcome = SENT
    if run.late_seconds is not None:
        run.note = f"sent {run.late_seconds} s late: the console was not running at its time"
    db.session.commit()
    audit.info("schedule %s run %s: send %s", schedule_id, run_id, send_id)
    return run


def author_scope(schedule: Schedule) -> tuple[int, ...]:
    """The department scope of whoever made the schedule (its token, for the API), now."""
    if schedule.source == "api" and schedule.api_token_name:
        from dashboard.api.models import ApiToken

        token = db.session.execute(
            db.select(ApiToken)
            .where(ApiToken.name == schedule.api_token_name, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return tuple((token.dept_scope if token else None) or ())
    from dashboard.auth.models import find_user

    user = find_user(schedule.created_by)
    return tuple((user.dept_scope if user else None) or ())


def _check_author_scope(schedule, userids, dept_ids, everyone) -> None:
    """A run reaches only the author's departments, as the author's own send would (groups
    are resolved at each run, so this is checked at each run too); OutOfScope otherwise."""
    scope = author_scope(schedule)
    if scope:
        out = permissions.outside_scope(scope, userids, dept_ids, everyone)
        if any(out):
            raise permissions.OutOfScope(*out)


def _repeat_of_last_run(
    schedule: Schedule,
    run: ScheduleRun,
    digest: str,
    userids: list[str],
    dept_ids: list[int],
    everyone: bool,
) -> str | None:
    """The 143106 warning of a run: this schedule sent the same content to them within the window."""
    since = utcnow() - duplicate_window()
    earlier = db.session.execute(
        db.select(Send)
        .where(
            Send.schedule_id == schedule.id,
            Send.content_hash == digest,
            Send.created_at >= since,
        )
        .order_by(Send.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if earlier is None:
        return None
    overlap = (
        (everyone or earlier.to_all_user)
        or set(userids) & set(earlier.userids)
        or set(dept_ids) & set(earlier.dept_ids)
    )
    if not overlap:
        return None
    return _(
        "The same content went to these people from this schedule less than %(hours)s hours "
        "ago (send #%(id)s): DingTalk may drop it as a duplicate (143106).",
        hours=_hours(duplicate_window()),
        id=earlier.id,
    )
