"""Card pages: compose, update, the responses; the callback DingTalk posts presses to."""

from __future__ import annotations

import secrets

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.cards import bp, service
from dashboard.cards.channel import card_msg
from dashboard.cards.forms import CardComposeForm, CardUpdateForm
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.dingtalk.v1.card_callbacks import CardCallbackError, parse_callback
from dashboard.extensions import csrf, db
from dashboard.notifications.models import Send
from dashboard.notifications.sending import send_work_notice
from dashboard.services.dingtalk import NotConfigured

_FIELDS = {
    "userIds": "userid_list",
    "userid_list": "userid_list",
    "dept_id_list": "dept_id_list",
    "cardTemplateId": "card_template_id",
    "cardParamMap": "card_params",
    "openConversationId": "open_conversation_id",
}


def _field_error(form, exc: InvalidMessage) -> str | None:
    target = getattr(form, _FIELDS.get(exc.field, ""), None)
    if target is None:
        return exc.reason
    target.errors = [*target.errors, exc.reason]
    return None


@bp.route("/compose", methods=["GET", "POST"])
@login_required
def compose():
    form = CardComposeForm()
    if request.method == "GET":
        form.open_conversation_id.data = request.args.get("group", "")
        form.nonce.data = secrets.token_urlsafe(16)
    error = None
    if form.validate_on_submit():
        cid = (form.open_conversation_id.data or "").strip() or None
        try:
            send = send_work_notice(
                msg=card_msg(form.card_template_id.data.strip(), form.card_params.params, cid),
                userid_list=[] if cid else form.userid_list.data or "",
                dept_id_list=[] if cid else form.dept_id_list.data or "",
                to_all_user=False,
                sender=current_user.username,
                nonce=form.nonce.data or None,
                channel="card",
            )
        except InvalidMessage as exc:
            error = _field_error(form, exc)
        except (NotConfigured, DingTalkError) as exc:
            error = str(exc)
        else:
            flash(_("Card #%(id)s queued.", id=send.id), "success")
            return redirect(url_for("notifications.detail", send_id=send.id))
    return render_template("cards/compose.html", form=form, error=error)


@bp.route("/<int:send_id>/update", methods=["POST"])
@login_required
def update(send_id: int):
    send = db.session.get(Send, send_id)
    if send is None or send.channel != "card":
        abort(404)
    form = CardUpdateForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "danger")
        _audit_failed(send_id, "invalid form")
        return redirect(url_for("notifications.detail", send_id=send_id))
    keys = {t.out_key for t in send.tasks if t.out_key}
    if form.out_track_id.data not in keys:
        abort(404)
    try:
        service.update_card(
            form.out_track_id.data, form.card_params.params, user=current_user.username
        )
    except InvalidMessage as exc:
        flash(exc.reason, "danger")
        _audit_failed(send_id, str(exc.reason))
    except (NotConfigured, DingTalkError) as exc:
        flash(_("DingTalk did not update the card: %(error)s", error=exc), "danger")
        _audit_failed(send_id, type(exc).__name__)
    else:
        flash(_("The card was updated."), "success")
    return redirect(url_for("notifications.detail", send_id=send_id))


def _audit_failed(send_id: int, why: str) -> None:
    """A card update that changed nothing: its row says so (the redirect looks like success)."""
    from dashboard.audit import record

    record("card.update", object_type="send", object_id=send_id, outcome="failure",
           detail={"message": why})  # fmt: skip


@bp.route("/callback", methods=["POST"])
@csrf.exempt
def callback():
    """A button press DingTalk posts (HTTP mode, §6.4): verified, then recorded.

    Unsigned, forged or stale presses get 401 and are never recorded; a malformed
    body 400. The reply is empty: the card is not changed by the press itself.
    """
    try:
        service.verify_press(request.headers)
    except CardCallbackError as exc:
        return jsonify(success=False, message=str(exc)), 401
    try:
        service.record_press(parse_callback(request.get_data()))
    except CardCallbackError as exc:
        return jsonify(success=False, message=str(exc)), 400
    return jsonify({})
