"""Robot pages: compose a robot message (to people or a group), the robot's groups."""

from __future__ import annotations

import secrets

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.dingtalk.v1.msgkeys import MSG_KEYS
from dashboard.extensions import db
from dashboard.groups.service import GroupError
from dashboard.msgtemplates.sends import prepare_send
from dashboard.notifications.models import Send, utcnow
from dashboard.notifications.sending import send_work_notice
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


def send_robot(form: RobotComposeForm, params: dict[str, str]) -> Send:
    """The form's robot send through the pipeline (raises InvalidMessage)."""
    spec = MSG_KEYS.get(form.msg_key.data)
    missing = [k for k in spec.required if not params.get(k)] if spec else []
    if missing:
        raise InvalidMessage("msgParam", _("Fill in: %(keys)s.", keys=", ".join(missing)))
    return send_work_notice(
        **robot_recipients(form, params),
        sender=current_user.username,
        nonce=form.nonce.data or None,
        channel="robot",
    )


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
    if form.validate_on_submit():
        try:
            send = send_robot(form, params)
        except InvalidMessage as exc:
            target = getattr(form, _FIELDS.get(exc.field, ""), None)
            if target is not None:
                target.errors = [*target.errors, exc.reason]
            else:
                error = exc.reason
        except (NotConfigured, DingTalkError) as exc:
            error = str(exc)
        else:
            flash(_("Robot message #%(id)s queued.", id=send.id), "success")
            return redirect(url_for("notifications.detail", send_id=send.id))
    return render_template(
        "robot/compose.html",
        form=form,
        params=params,
        param_keys=[(k, keys_using(k), k in LONG_KEYS) for k in PARAM_KEYS],
        error=error,
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
