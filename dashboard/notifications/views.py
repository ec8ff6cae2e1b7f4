"""Composer, send history and the follow-up of one send (progress, result, recall)."""

from __future__ import annotations

import secrets
from functools import partial

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func

from dashboard.attempts import DONE
from dashboard.composer.fields import MSGTYPE_CHOICES
from dashboard.composer.message import build_msg
from dashboard.composer.preview import pretty_json, preview_message, work_notice_requests
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk.errors import InvalidMessage
from dashboard.directory import audience as audiences
from dashboard.directory.names import warm_names
from dashboard.extensions import db
from dashboard.msgtemplates.composer import (
    composed_send,
    cost_warnings,
    filled_preview,
    prefill_template,
)
from dashboard.notifications import bp, pace, results, sending
from dashboard.notifications import history as sends_history
from dashboard.notifications.batches import batch_limits, plan_batches
from dashboard.notifications.forms import ComposeForm
from dashboard.notifications.models import SEND_STATES, UNSETTLED_STATES, Send, SendTask
from dashboard.notifications.warnings import presend_warnings
from dashboard.services.dingtalk import NoCompanySelected

STATE_LABELS = {
    "queued": _l("Queued"),
    "sending": _l("Sending"),
    "paused": _l("Paused"),
    "cancelled": _l("Cancelled"),
    "submitting": _l("Submitting"),
    "submitted": _l("Submitted"),
    "partial": _l("Partly failed"),
    "failed": _l("Failed"),
    "unknown": _l("Outcome unknown"),
    "completed": _l("Completed"),
    "recalled": _l("Recalled"),
}
STATE_COLOURS = {
    "queued": "secondary",
    "sending": "info",
    "paused": "secondary",
    "cancelled": "dark",
    "submitting": "secondary",
    "submitted": "primary",
    "partial": "warning",
    "failed": "danger",
    "unknown": "warning",
    "completed": "success",
    "recalled": "dark",
}
#: getsendprogress `status` (0, 1, 2) of an accepted task.
TASK_STATUS_LABELS = {0: _l("Queued"), 1: _l("Sending"), 2: _l("Completed")}


#: A batch's attempt state (dashboard.attempts) in the send's words.
TASK_STATES = {
    "pending": "submitting",
    "done": "submitted",
    "failed": "failed",
    "unknown": "unknown",
    "cancelled": "cancelled",
}


def task_send_state(task) -> str:
    """A task's state in the send's vocabulary (submitting, submitted, recalled, ...)."""
    if task.recalled_at is not None:
        return "recalled"
    return TASK_STATES.get(task.state, task.state)


def task_state_label(task) -> str:
    """A task's state in words: DingTalk's progress once accepted, else our own state."""
    state = task_send_state(task)
    if state == "submitted":
        return str(TASK_STATUS_LABELS.get(task.status or 0, TASK_STATUS_LABELS[0]))
    return str(STATE_LABELS.get(state, state))


def failure_text(send: Send) -> str:
    """Why a send (or its first failed batch) failed, in words, never "errcode None"."""
    if send.errcode is not None:
        return _(
            "DingTalk refused the notification: %(error)s (errcode %(code)s)",
            error=send.errmsg,
            code=send.errcode,
        )
    if send.reason == "invalid":
        return _("The notification was not sent: %(error)s", error=send.errmsg)
    return _(
        "DingTalk did not answer with a result: the send failed (%(error)s).", error=send.errmsg
    )


PREFILL_FIELDS = (
    "userid_list",
    "dept_id_list",
    "msgtype",
    "msg",
    "markdown_title",
    "markdown_text",
)


@bp.context_processor
def notification_labels():
    return {
        "state_labels": STATE_LABELS,
        "state_colours": STATE_COLOURS,
        "task_state_label": task_state_label,
        "failure_text": failure_text,
        "reach_text": results.reach_text,
        "msgtype_labels": dict(MSGTYPE_CHOICES),
    }


def _recipients(form: ComposeForm) -> dict:
    return {
        "userid_list": parse_userids(form.userid_list.data),
        "dept_id_list": parse_dept_ids(form.dept_id_list.data),
        "to_all_user": bool(form.to_all_user.data),
    }


@bp.route("/new", methods=["GET", "POST"])
@login_required
def compose():
    if request.method == "GET":
        prefill = {k: request.args[k] for k in PREFILL_FIELDS if request.args.get(k)}
        form = ComposeForm(**prefill, to_all_user=request.args.get("to_all_user") == "true")
        prefill_template(form, request.args)
        if request.args.get("when") == "later":
            form.when.data = "later"
        form.nonce.data = secrets.token_urlsafe(24)
        return render_template("notifications/compose.html", form=form, warnings=[])
    form = ComposeForm()
    warnings: list[str] = []
    to_confirm = None  # the audience to confirm (dashboard.directory.audience)
    valid = form.validate()
    if valid and form.scheduling:  # "Schedule": saved (dashboard.schedules), not sent now
        from dashboard.schedules.views import schedule_from_composer

        saved = schedule_from_composer(form)  # None: the errors are on the form
        if saved is not None:
            return saved
    elif valid:
        nonce = form.nonce.data
        already = sending.find_by_nonce(nonce, current_user.username) if nonce else None
        if already is not None:
            flash(_("This form was already sent; it was not sent again."), "info")
            return redirect(url_for(".detail", send_id=already.id))
        msg, recipients = build_msg(form), _recipients(form)
        # A template's message and the groups' people (dashboard.msgtemplates.composer).
        msg, recipients, extra = composed_send(form, msg, recipients)
        warnings = presend_warnings(msg=msg, **recipients) + cost_warnings(extra)
        audience = audiences.resolve(**recipients)
        warnings += audiences.unknown_warnings(audience)
        # Everyone or many people: the page shows how many and asks once more.
        token = audiences.confirmation_token(audience)
        if audiences.needs_confirmation(audience) and request.form.get("confirm_audience") != token:
            to_confirm = audience
        if warnings and not form.confirm.data and request.form.get("send_anyway"):
            form.confirm.errors.append(_("Tick this box to send despite the warnings."))
        if (not warnings or form.confirm.data) and to_confirm is None:
            try:
                send = sending.send_work_notice(
                    msg=msg,
                    **recipients,
                    **extra,
                    sender=current_user.username,
                    nonce=form.nonce.data or None,
                )
            except NoCompanySelected:  # nothing recorded, nothing sent: keep what was typed
                form.form_errors.append(_("Choose a company in the switcher first."))
            else:
                _flash_send(send)
                return redirect(url_for(".detail", send_id=send.id))
    return render_template(
        "notifications/compose.html", form=form, warnings=warnings, audience=to_confirm
    )


def _flash_send(send: Send) -> None:
    # Counted in SQL: a send to 100,000 people has 1,000 batches of 100 userids each,
    # not worth loading to say how many there are.
    calls = db.session.scalar(
        db.select(func.count()).select_from(SendTask).where(SendTask.send_id == send.id)
    )
    if send.state in ("queued", "sending"):
        flash(
            _(
                "Queued as %(count)d calls to DingTalk: they go out in the background, follow them below.",
                count=calls,
            ),
            "success",
        )
    elif send.state == "submitted":
        flash(
            _(
                "Sent to DingTalk as %(count)d tasks. Delivery is followed below.",
                count=calls,
            ),
            "success",
        )
    elif send.state == "partial":
        flash(
            _("Some batches were not sent: %(error)s", error=failure_text(send)),
            "warning",
        )
    elif send.state == "unknown":
        flash(
            _(
                "DingTalk did not answer in time: the notification may or may not have been delivered. It was not sent again."
            ),
            "warning",
        )
    else:
        flash(failure_text(send), "danger")


@bp.route("/preview", methods=["POST"])
@login_required
def preview():
    """JSON for the composer's live preview: msg, size, errors, warnings, the exact requests."""
    form = ComposeForm()
    data = preview_message(form)
    filled_preview(form, data)  # a template's values filled in (dashboard.msgtemplates)
    try:
        recipients = _recipients(form)
    except ValueError:
        recipients = {
            "userid_list": parse_userids(form.userid_list.data),
            "dept_id_list": [],
            "to_all_user": False,
        }
    batches = plan_batches(
        recipients["userid_list"],
        recipients["dept_id_list"],
        recipients["to_all_user"],
        *batch_limits(),
    )
    data.update(work_notice_requests(data["msg"], batches))
    has_recipients = any(recipients.values())
    data["warnings"] = (
        presend_warnings(msg=data["msg"], **recipients) if data["valid"] and has_recipients else []
    )
    if has_recipients:
        data["warnings"] += audiences.unknown_warnings(audiences.resolve(**recipients))
    return jsonify(data)


@bp.route("/")
@login_required
def history():
    filters = sends_history.HistoryFilter(
        **{
            k: (request.args.get(k) or "").strip() or None
            for k in ("state", "msgtype", "sender", "source", "q", "day")
        }
    )
    try:
        query = sends_history.history_query(filters)
    except InvalidMessage as exc:
        flash(exc.reason, "warning")
        filters.day = None
        query = sends_history.history_query(filters)
    number = request.args.get("page", 1, type=int)
    number = number if 1 <= number <= 10**6 else 1  # a huge page would overflow the SQL offset
    page = db.paginate(query, page=number, per_page=20, error_out=False)
    return render_template(
        "notifications/history.html",
        page=page,
        filters=filters,
        states=SEND_STATES,
        msgtypes=MSGTYPE_CHOICES,
        unsettled_states=(*UNSETTLED_STATES, "submitted"),
    )


def _get_send(send_id: int) -> Send:
    send = db.session.get(Send, send_id)
    if send is None:
        abort(404)
    return send


@bp.route("/<int:send_id>")
@login_required
def detail(send_id: int):
    send = _get_send(send_id)
    results.refresh_progress(send)
    unsettled = sending.is_unsettled(send)
    in_progress = unsettled or results.is_in_progress(send)
    if not in_progress:
        results.refresh_result(send)
        warm_names()
    return render_template(
        "notifications/detail.html",
        send=send,
        msg_text=pretty_json(send.msg),
        outcome=results.outcome(send),
        percent=results.overall_percent(send),
        in_progress=in_progress,
        unsettled=unsettled,
        counts=pace.delivery_counts(send),
        delivery_text=partial(delivery_text, send=send),
    )


def delivery_text(counts: dict, send: Send | None = None) -> str:
    """Batches out of total and recipients reached, in words (the page and its poller).

    With the send, "reached" is honest: the users of the batches made, minus those
    DingTalk's result names invalid, refused or failed; where no result is in yet,
    the text says it is not yet known rather than counting them as reached.
    """
    calls = ngettext(
        "%(done)d of %(num)d call made",
        "%(done)d of %(num)d calls made",
        counts["batches_total"],
        done=counts["batches_done"],
    )
    total = counts["recipients_total"]
    reached, unknown = counts["recipients_reached"], 0
    if send is not None:
        made = [t for t in send.tasks if t.state == DONE]
        known = [
            t
            for t in made
            if t.result is not None and (t.status == 2 or send.channel != "work_notice")
        ]
        delivered: set[str] = set()
        missed: set[str] = set()
        for task in known:
            result = task.result
            delivered.update(result.get("read_user_id_list") or [])
            delivered.update(result.get("unread_user_id_list") or [])
            for key in ("invalid_user_id_list", "forbidden_user_id_list", "failed_user_id_list"):
                missed.update(str(u) for u in result.get(key) or [])
            missed.update(str(i.get("userid")) for i in result.get("forbidden_list") or [])
        missed -= delivered
        reached = sum(1 for t in known for u in t.userids if u not in missed)
        unknown = sum(len(t.userids) for t in made) - sum(len(t.userids) for t in known)
    if unknown and reached == 0:
        users = ngettext(
            "%(sent)d of %(num)d user sent to, not yet known who received it",
            "%(sent)d of %(num)d users sent to, not yet known who received it",
            total,
            sent=unknown,
        )
    else:
        users = ngettext(
            "%(reached)d of %(num)d user reached",
            "%(reached)d of %(num)d users reached",
            total,
            reached=reached,
        )
        if unknown:
            users += " · " + ngettext(
                "not yet known for %(num)d more user",
                "not yet known for %(num)d more users",
                unknown,
            )
    text = _("%(calls)s, %(users)s", calls=calls, users=users)
    if counts["eta_s"] is not None:
        text += " · " + _("about %(seconds)d s left", seconds=round(counts["eta_s"]))
    if counts.get("budget_wait_s"):
        text += " · " + _(
            "waiting for DingTalk's budget: %(seconds)s s in all",
            seconds=format_decimal(counts["budget_wait_s"], "0.#"),
        )
    if counts["batches_cancelled"]:
        text += " · " + _(
            "cancelled: %(users)d users and %(depts)d departments in %(calls)d calls were not reached",
            users=counts["recipients_not_reached"],
            depts=counts["departments_not_reached"],
            calls=counts["batches_cancelled"],
        )
    if counts["control"] == "cancel":
        text += " · " + _("cancelling after the current call")
    elif counts["control"] == "pause":
        text += " · " + _("pausing after the current call")
    return text


@bp.route("/<int:send_id>/status")
@login_required
def status(send_id: int):
    """Progress of a send for the detail page's and the history's pollers."""
    send = results.progress_for_poll(_get_send(send_id))
    unsettled = sending.is_unsettled(send)
    counts = pace.delivery_counts(send)
    return jsonify(
        id=send.id,
        state=send.state,
        state_label=str(STATE_LABELS[send.state]),
        state_colour=STATE_COLOURS[send.state],
        percent=results.overall_percent(send),
        in_progress=unsettled or results.is_in_progress(send),
        unsettled=unsettled,
        delivery=counts,
        delivery_text=delivery_text(counts, send),
        tasks=[
            {
                "batch_no": t.batch_no,
                "task_id": t.task_id or t.out_key,
                "state": task_send_state(t),
                "state_label": task_state_label(t),
                "progress": t.progress,
                "status": t.status,
            }
            for t in send.tasks
        ],
        result_url=url_for(".result", send_id=send.id),
    )


@bp.route("/<int:send_id>/result")
@login_required
def result(send_id: int):
    """The per-recipient result as an HTML fragment (fetched once progress reaches 100 %)."""
    send = results.refresh_result(_get_send(send_id))
    warm_names()
    return render_template("notifications/_result.html", send=send, outcome=results.outcome(send))


@bp.route("/<int:send_id>/cancel", methods=["POST"])
@login_required
def cancel(send_id: int):
    """Batches not yet out are not sent (at once, or after the call on the wire)."""
    send = _get_send(send_id)
    try:
        sending.request_cancel(send)
    except InvalidMessage as exc:
        flash(exc.reason, "warning")
    else:
        if send.state == "cancelled":
            counts = sending.delivery_counts(send)
            flash(
                _(
                    "Cancelled: %(users)d users and %(depts)d departments were not reached.",
                    users=counts["recipients_not_reached"],
                    depts=counts["departments_not_reached"],
                ),
                "info",
            )
        else:
            flash(_("The send stops after the call now on the wire."), "info")
    return redirect(url_for(".detail", send_id=send.id))


@bp.route("/<int:send_id>/pause", methods=["POST"])
@login_required
def pause(send_id: int):
    send = _get_send(send_id)
    try:
        sending.request_pause(send)
    except InvalidMessage as exc:
        flash(exc.reason, "warning")
    else:
        flash(
            _("Paused.") if send.state == "paused" else _("Pausing after the current call."),
            "info",
        )
    return redirect(url_for(".detail", send_id=send.id))


@bp.route("/<int:send_id>/resume", methods=["POST"])
@login_required
def resume(send_id: int):
    send = sending.resume(_get_send(send_id))
    flash(_("Resumed: the remaining calls go out in the background."), "info")
    return redirect(url_for(".detail", send_id=send.id))


@bp.route("/<int:send_id>/resend-unknown", methods=["GET", "POST"])
@login_required
def resend_unknown(send_id: int):
    """Send the same message again to the recipients whose delivery is unknown: a new send,
    behind the pre-send warnings (the same content to the same people today, mainly)."""
    send = _get_send(send_id)
    # ISV: the new send (its warnings, its client, its record) is the send's own company's,
    # whichever company the switcher shows now.
    from dashboard.services.dingtalk import act_for_company

    act_for_company(send.corpid)
    recipients = sending.unknown_recipients(send)
    if not any(recipients.values()):
        flash(_("No recipient of this notification has an unknown delivery."), "info")
        return redirect(url_for(".detail", send_id=send.id))
    warnings = presend_warnings(msg=send.msg, **recipients)
    confirm_missing = False
    if request.method == "POST":
        if warnings and not request.form.get("confirm"):
            confirm_missing = True
        else:
            nonce = request.form.get("nonce") or None
            try:
                again = sending.send_work_notice(
                    msg=send.msg,
                    **recipients,
                    sender=current_user.username,
                    nonce=nonce,
                )
            except NoCompanySelected:
                flash(_("Choose a company in the switcher first."), "warning")
            except InvalidMessage as exc:
                flash(exc.reason, "warning")
            else:
                _flash_send(again)
                return redirect(url_for(".detail", send_id=again.id))
    return render_template(
        "notifications/resend.html",
        send=send,
        recipients=recipients,
        warnings=warnings,
        confirm_missing=confirm_missing,
        nonce=request.form.get("nonce") or secrets.token_urlsafe(24),
    )


@bp.route("/<int:send_id>/recall", methods=["POST"])
@login_required
def recall(send_id: int):
    send = _get_send(send_id)
    results.refresh_result(send)  # who had received and read it stays on the page
    try:
        attempts = sending.recall(send, current_user.username)
    except InvalidMessage as exc:
        flash(exc.reason, "warning")
        return redirect(url_for(".detail", send_id=send.id))
    failed = [a for a in attempts if not a.ok]
    if any(a.state == "pending" for a in attempts):
        flash(_("The recall is queued: it is made in the background."), "info")
    elif failed:
        flash(
            _(
                "%(ok)d of %(total)d tasks recalled; DingTalk refused the rest: %(error)s",
                ok=len(attempts) - len(failed),
                total=len(attempts),
                error=failed[0].errmsg,
            ),
            "warning",
        )
    else:
        flash(_("The notification was recalled."), "success")
    return redirect(url_for(".detail", send_id=send.id))
