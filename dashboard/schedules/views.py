"""The schedules page: list, detail with its runs, edit, pause, resume, run now, delete.

A schedule is made from the composer ("Schedule" instead of "Send now"):
``notifications.compose`` hands its valid form to :func:`schedule_from_composer`.
"""

from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from dashboard.auth.permissions import OutOfScope
from dashboard.composer.message import build_msg
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.extensions import db
from dashboard.schedules import recurrence, service
from dashboard.schedules.fields import KIND_LABELS, LATER, WEEKDAY_CHOICES
from dashboard.schedules.forms import ScheduleActionForm, ScheduleForm, msg_form_values
from dashboard.schedules.models import (
    ACTIVE,
    FAILED,
    FINISHED,
    PAUSED,
    RUNNING,
    SENT,
    SKIPPED,
    Schedule,
    ScheduleRun,
)
from dashboard.services.dingtalk import NoCompanySelected

bp = Blueprint("schedules", __name__)

STATE_LABELS = {ACTIVE: _l("Active"), PAUSED: _l("Paused"), FINISHED: _l("Finished")}
STATE_COLOURS = {ACTIVE: "success", PAUSED: "secondary", FINISHED: "dark"}
OUTCOME_LABELS = {
    SENT: _l("Sent"),
    SKIPPED: _l("Skipped"),
    FAILED: _l("Failed"),
    RUNNING: _l("Running"),
}
OUTCOME_COLOURS = {SENT: "success", SKIPPED: "secondary", FAILED: "danger", RUNNING: "info"}
WEEKDAY_LABELS = dict(WEEKDAY_CHOICES)


def zoned(moment, tz: str) -> str:
    """A naive-UTC time as the schedule's zone shows it: ``2026-12-03 09:00``."""
    at = recurrence.local(moment, tz)
    return at.strftime("%Y-%m-%d %H:%M") if at else "–"


def describe_when(schedule: Schedule) -> str:
    """The recurrence in the admin's words."""
    tod = schedule.time_of_day or ""
    if schedule.kind == "once":
        return _("Once, at %(time)s", time=zoned(schedule.run_at, schedule.timezone))
    if schedule.kind == "daily":
        return _("Every day at %(time)s", time=tod)
    if schedule.kind == "workdays":
        return _("Monday to Friday at %(time)s", time=tod)
    if schedule.kind == "weekly":
        days = [str(WEEKDAY_LABELS[int(d)]) for d in (schedule.weekdays or "").split(",") if d]
        return _("Every %(days)s at %(time)s", days=", ".join(days), time=tod)
    if schedule.kind == "monthly":
        if schedule.monthday == "L":
            return _("On the last day of every month at %(time)s", time=tod)
        return _(
            "On day %(day)s of every month at %(time)s (months without it are skipped)",
            day=schedule.monthday,
            time=tod,
        )
    return _("Cron: %(cron)s", cron=schedule.cron)


def run_note(run: ScheduleRun) -> str:
    """What happened to a run beyond its outcome: late, skipped, missed, by hand, why it failed."""
    parts = []
    minutes = max(1, round((run.late_seconds or 0) / 60))
    if run.manual:
        parts.append(_("Run by hand by %(user)s.", user=run.triggered_by or "–"))
    if run.outcome == SKIPPED:
        parts.append(
            ngettext(
                "Missed: the console was not running at its time (%(num)d minute ago); skipped as the schedule says.",
                "Missed: the console was not running at its time (%(num)d minutes ago); skipped as the schedule says.",
                minutes,
            )
        )
    elif run.late_seconds is not None:
        parts.append(
            ngettext(
                "Sent %(num)d minute late: the console was not running at its time.",
                "Sent %(num)d minutes late: the console was not running at its time.",
                minutes,
            )
        )
    if run.missed_count > 1:
        parts.append(
            ngettext(
                "%(num)d due time was missed in all; it ran once.",
                "%(num)d due times were missed in all; they ran once.",
                run.missed_count,
            )
        )
    if run.outcome == FAILED and run.note:
        parts.append(_("Not sent: %(reason)s", reason=run.note))
    return " ".join(parts)


def schedule_labels() -> dict:
    return {
        "state_labels": STATE_LABELS,
        "state_colours": STATE_COLOURS,
        "outcome_labels": OUTCOME_LABELS,
        "outcome_colours": OUTCOME_COLOURS,
        "kind_labels": KIND_LABELS,
        "zoned": zoned,
        "describe_when": describe_when,
        "run_note": run_note,
        "action_form": ScheduleActionForm(),
    }


def _get(schedule_id: int) -> Schedule:
    schedule = service.find_schedule(schedule_id)
    if schedule is None:
        abort(404)
    return schedule


def spec_from_form(form) -> service.ScheduleSpec | None:
    """The form's schedule, or None with the errors on the form's fields."""
    values = form.schedule_values()
    if values is None:
        return None
    return service.ScheduleSpec(
        msg=build_msg(form),
        userid_list=parse_userids(form.userid_list.data),
        dept_id_list=parse_dept_ids(form.dept_id_list.data),
        to_all_user=bool(form.to_all_user.data),
        **composer_choices(form),
        **values,
    )


def composer_choices(form) -> dict:
    """The composer's template (``template_id``, its ``param.<name>`` values) and recipient
    groups, when the form offers them (dashboard.msgtemplates.composer): a schedule keeps
    the template and the groups themselves, rendered and resolved again at each run."""
    group_field = getattr(form, "group_ids", None)
    template_field = getattr(form, "template_id", None)
    raw = str((template_field.data if template_field is not None else "") or "").strip()
    return {
        "group_ids": [
            int(g) for g in (group_field.data if group_field is not None else None) or []
        ],
        "template_id": int(raw) if raw.isdigit() else None,
        "params": {
            k.removeprefix("param."): v for k, v in request.form.items() if k.startswith("param.")
        },
    }


def _error_on_form(form, exc: service.ScheduleError) -> None:
    field = form.field_for(exc.field)
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        form.form_errors.append(exc.message)


def _flash_saved(schedule: Schedule, warnings: list[str], created: bool) -> None:
    if schedule.next_run_at is not None and schedule.state == ACTIVE:
        message = _(
            "Schedule saved. Next run: %(time)s (%(zone)s).",
            time=zoned(schedule.next_run_at, schedule.timezone),
            zone=schedule.timezone,
        )
    else:
        message = _("Schedule saved.")
    flash(message, "success")
    for warning in warnings:
        flash(warning, "warning")


def schedule_from_composer(form):
    """The composer's "Schedule": save it and redirect to it, or None (errors on the form)."""
    spec = spec_from_form(form)
    if spec is None:
        return None
    try:
        schedule, warnings = service.create_schedule(spec, author=current_user.username)
    except service.ScheduleError as exc:
        _error_on_form(form, exc)
        return None
    except NoCompanySelected:
        form.form_errors.append(_("Choose a company in the switcher first."))
        return None
    except OutOfScope as exc:
        form.form_errors.append(exc.message)
        return None
    _flash_saved(schedule, warnings, created=True)
    return redirect(url_for("schedules.detail", schedule_id=schedule.id))


def schedule_from_robot(form, msg: dict):
    """The robot composer's "Schedule" (1:1 only): save it and redirect to it, or None
    (the errors are on the form, or in ``form.form_errors``)."""
    values = form.schedule_values()
    if values is None:
        return None
    try:
        spec = service.ScheduleSpec(
            msg=msg,
            channel="robot",
            userid_list=parse_userids(form.userid_list.data),
            dept_id_list=parse_dept_ids(form.dept_id_list.data),
            group_ids=[int(g) for g in form.group_ids.data or []],
            **values,
        )
    except ValueError as exc:
        form.dept_id_list.errors = [*form.dept_id_list.errors, str(exc)]
        return None
    try:
        schedule, warnings = service.create_schedule(spec, author=current_user.username)
    except service.ScheduleError as exc:
        _error_on_form(form, exc)
        return None
    except NoCompanySelected:
        form.form_errors.append(_("Choose a company in the switcher first."))
        return None
    except OutOfScope as exc:
        form.form_errors.append(exc.message)
        return None
    _flash_saved(schedule, warnings, created=True)
    return redirect(url_for("schedules.detail", schedule_id=schedule.id))


@bp.route("/")
@login_required
def index():
    schedules = db.session.execute(service.visible_schedules()).scalars().all()
    return render_template("schedules/index.html", schedules=schedules, **schedule_labels())


@bp.route("/<int:schedule_id>")
@login_required
def detail(schedule_id: int):
    schedule = _get(schedule_id)
    page = request.args.get("page", 1, type=int)
    runs = db.paginate(
        db.select(ScheduleRun)
        .where(ScheduleRun.schedule_id == schedule.id)
        .order_by(ScheduleRun.id.desc()),
        page=max(page, 1),
        per_page=25,
        error_out=False,
    )
    return render_template(
        "schedules/detail.html", schedule=schedule, runs=runs, **schedule_labels()
    )


def _form_data(schedule: Schedule) -> dict:
    """The edit form's values from a saved schedule."""
    local_run = recurrence.local(schedule.run_at, schedule.timezone)
    tod = recurrence.parse_time_of_day(schedule.time_of_day) if schedule.time_of_day else None
    return {
        **msg_form_values(schedule.msg),
        "userid_list": ", ".join(schedule.userids),
        "dept_id_list": ", ".join(str(d) for d in schedule.dept_ids),
        "to_all_user": schedule.to_all_user,
        "when": LATER,
        "kind": schedule.kind,
        "run_date": local_run.date() if local_run else None,
        "run_time": local_run.time().replace(tzinfo=None) if local_run else None,
        "time_of_day": time(*tod) if tod else None,
        "weekdays": [int(d) for d in (schedule.weekdays or "").split(",") if d],
        "monthday": schedule.monthday or "1",
        "cron": schedule.cron if schedule.kind == "cron" else "",
        "timezone": schedule.timezone,
        "on_missed": schedule.on_missed,
        "group_ids": schedule.group_id_list,
        "template_id": str(schedule.template_id or ""),
    }


@bp.route("/<int:schedule_id>/edit", methods=["GET", "POST"])
@login_required
def edit(schedule_id: int):
    schedule = _get(schedule_id)
    if schedule.channel == "robot":  # its message is the robot composer's, not this form's
        flash(
            _(
                "A robot schedule is not edited here: pause or delete it, and schedule "
                "the changed message from the robot composer."
            ),
            "info",
        )
        return redirect(url_for(".detail", schedule_id=schedule.id))
    if request.method == "GET":
        form = ScheduleForm(data=_form_data(schedule))
        return render_template("schedules/edit.html", form=form, schedule=schedule)
    form = ScheduleForm()
    if form.validate():
        spec = spec_from_form(form)
        if spec is not None and spec.template_id == schedule.template_id and not spec.params:
            spec.params = schedule.params  # the template's values, unless typed again
        if spec is not None:
            try:
                warnings = service.update_schedule(schedule, spec, editor=current_user.username)
            except service.ScheduleError as exc:
                db.session.rollback()
                _error_on_form(form, exc)
            except OutOfScope as exc:
                db.session.rollback()
                form.form_errors.append(exc.message)
            else:
                _flash_saved(schedule, warnings, created=False)
                return redirect(url_for(".detail", schedule_id=schedule.id))
    return render_template("schedules/edit.html", form=form, schedule=schedule)


def _back(schedule_id: int):
    """Back to the list or to the schedule, whichever page the button was on."""
    if request.form.get("back") == "index":
        return redirect(url_for(".index"))
    return redirect(url_for(".detail", schedule_id=schedule_id))


def _action(schedule_id: int) -> Schedule:
    if not ScheduleActionForm().validate_on_submit():
        abort(400)
    return _get(schedule_id)


@bp.route("/<int:schedule_id>/pause", methods=["POST"])
@login_required
def pause(schedule_id: int):
    schedule = _action(schedule_id)
    service.pause_schedule(schedule, user=current_user.username)
    flash(_("Paused: it does not run until it is resumed."), "info")
    return _back(schedule_id)


@bp.route("/<int:schedule_id>/resume", methods=["POST"])
@login_required
def resume(schedule_id: int):
    schedule = _action(schedule_id)
    service.resume_schedule(schedule, user=current_user.username)
    if schedule.next_run_at is not None and schedule.state == ACTIVE:
        flash(
            _(
                "Resumed. Next run: %(time)s (%(zone)s).",
                time=zoned(schedule.next_run_at, schedule.timezone),
                zone=schedule.timezone,
            ),
            "success",
        )
    else:
        flash(_("Resumed."), "success")
    return _back(schedule_id)


@bp.route("/<int:schedule_id>/run", methods=["POST"])
@login_required
def run_now(schedule_id: int):
    schedule = _action(schedule_id)
    run = service.run_now(schedule, user=current_user.username)
    if run.outcome == SENT and run.send_id:
        for warning in run.warnings:
            flash(warning, "warning")
        flash(_("Run now: queued as send #%(id)s.", id=run.send_id), "success")
        return redirect(url_for("notifications.detail", send_id=run.send_id))
    flash(run_note(run) or _("Not sent."), "danger")
    return redirect(url_for(".detail", schedule_id=schedule_id))


@bp.route("/<int:schedule_id>/delete", methods=["POST"])
@login_required
def delete(schedule_id: int):
    schedule = _action(schedule_id)
    service.delete_schedule(schedule, user=current_user.username)
    flash(_("Schedule deleted. Its earlier runs stay in the send history."), "info")
    return redirect(url_for(".index"))
