"""Robot pages: compose a robot message (to people or a group), the robot's groups."""

from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.dingtalk.v1.msgkeys import MSG_KEYS
from dashboard.directory import audience as audiences
from dashboard.extensions import db
from dashboard.groups.service import GroupError
from dashboard.msgtemplates.sends import prepare_send
from dashboard.notifications.models import Send, utcnow
from dashboard.notifications.sending import find_by_nonce, send_work_notice
from dashboard.notifications.warnings import robot_presend_warnings
from dashboard.robot import bp
from dashboard.robot.channel import robot_msg
from dashboard.robot.forms import LONG_KEYS, PARAM_KEYS, RobotComposeForm, keys_using
from dashboard.services.dingtalk import NotConfigured, get_v1_client

#: InvalidMessage fields that belong to a form field (the others go to the msgParam).
_FIELDS = {
    "userid_list": "userid_list",
    "userIds": "userid_list",
    "dept_id_list": "dept_id_list",
    "openConversationId": "open_conversation_id",
    "group_ids": "group_ids",
}


class _NotSaved(Exception):
    """The schedule was not saved: the reasons are on the form."""


def check_params(form: RobotComposeForm, params: dict[str, str]) -> None:
    """Raise InvalidMessage when a required msgParam field is empty."""
    spec = MSG_KEYS.get(form.msg_key.data)
    missing = [k for k in spec.required if not params.get(k)] if spec else []
    if missing:
        raise InvalidMessage("msgParam", _("Fill in: %(keys)s.", keys=", ".join(missing)))


def before_sending(recipients: dict) -> tuple[list[str], audiences.Audience | None]:
    """The pre-send warnings that apply to the robot and the audience to confirm
    (everyone or many people), as the work-notice composer asks them."""
    warnings = robot_presend_warnings(
        msg=recipients["msg"],
        userid_list=recipients["userid_list"],
        dept_id_list=recipients["dept_id_list"],
    )
    if recipients["msg"].get("openConversationId"):
        return warnings, None  # one group chat: no people to look up
    audience = audiences.resolve(
        recipients["userid_list"], recipients["dept_id_list"], recipients["to_all_user"]
    )
    warnings += audiences.unknown_warnings(audience)
    token = audiences.confirmation_token(audience)
    if audiences.needs_confirmation(audience) and request.form.get("confirm_audience") != token:
        return warnings, audience
    return warnings, None


def robot_recipients(form: RobotComposeForm, params: dict[str, str]) -> dict:
    """The msg and recipients of the form's send: the recipient groups resolved now (the
    send's origin keeps whom they reached, as a work notice's does); a group chat alone."""
    cid = (form.open_conversation_id.data or "").strip() or None
    msg = robot_msg(form.msg_key.data, params, cid)
    if cid:
        return {"msg": msg, "userid_list": [], "dept_id_list": [], "to_all_user": False}
    try:
        dept_ids = parse_dept_ids(form.dept_id_list.data)
    except ValueError as exc:
        raise InvalidMessage("dept_id_list", str(exc)) from exc
    try:
        prepared = prepare_send(
            msg=msg,
            userid_list=parse_userids(form.userid_list.data),
            dept_id_list=dept_ids,
            group_ids=form.group_ids.data or [],
            when=utcnow(),
        )
    except GroupError as exc:
        raise InvalidMessage("group_ids", str(exc)) from exc
    kwargs = prepared.send_kwargs()
    kwargs.pop("personal_msgs", None)
    return kwargs


@bp.route("/compose", methods=["GET", "POST"])
@login_required
def compose():
    form = RobotComposeForm()
    if request.method == "GET":
        form.open_conversation_id.data = request.args.get("group", "")
        form.nonce.data = secrets.token_urlsafe(16)
    params = form.params(request.form) if request.method == "POST" else {}
    error = None
    warnings: list[str] = []
    to_confirm = None
    if form.validate_on_submit():
        nonce = form.nonce.data
        already = find_by_nonce(nonce, current_user.username) if nonce else None
        if already is not None:
            flash(_("This form was already sent; it was not sent again."), "info")
            return redirect(url_for("notifications.detail", send_id=already.id))
        try:
            check_params(form, params)
            if form.scheduling:  # "Schedule": saved (dashboard.schedules), not sent now
                from dashboard.schedules.views import schedule_from_robot

                cid = (form.open_conversation_id.data or "").strip() or None
                saved = schedule_from_robot(form, robot_msg(form.msg_key.data, params, cid))
                if saved is not None:
                    return saved
                raise _NotSaved
            recipients = robot_recipients(form, params)
            warnings, to_confirm = before_sending(recipients)
            if warnings and not form.confirm.data and request.form.get("send_anyway"):
                form.confirm.errors.append(_("Tick this box to send despite the warnings."))
            send = None
            if (not warnings or form.confirm.data) and to_confirm is None:
                send = send_work_notice(
                    **recipients,
                    sender=current_user.username,
                    nonce=form.nonce.data or None,
                    channel="robot",
                )
        except InvalidMessage as exc:
            target = getattr(form, _FIELDS.get(exc.field, ""), None)
            if target is not None:
                target.errors = [*target.errors, exc.reason]
            else:
                error = exc.reason
        except (NotConfigured, DingTalkError) as exc:
            error = str(exc)
        except _NotSaved:
            error = " ".join(form.form_errors) or None
        else:
            if send is not None:
                flash(_("Robot message #%(id)s queued.", id=send.id), "success")
                return redirect(url_for("notifications.detail", send_id=send.id))
    return render_template(
        "robot/compose.html",
        form=form,
        params=params,
        param_keys=[(k, keys_using(k), k in LONG_KEYS) for k in PARAM_KEYS],
        error=error,
        warnings=warnings,
        audience=to_confirm,
        robot_schedule=True,
    )


def robot_groups() -> tuple[list[str], str | None]:
    """The groups the app's robot is in (openConversationIds), or the reason there are none."""
    try:
        return get_v1_client().group_messages.list_installed_groups(), None
    except (NotConfigured, DingTalkError) as exc:
        return [], str(exc)


@bp.route("/groups")
@login_required
def groups():
    cids, error = robot_groups()
    sends = [
        s
        for s in db.session.execute(
            db.select(Send).filter_by(channel="robot").order_by(Send.id.desc()).limit(200)
        ).scalars()
        if s.msg.get("openConversationId")
    ][:50]
    return render_template("robot/groups.html", cids=cids, error=error, sends=sends)
