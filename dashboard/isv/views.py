"""ISV pages: the suite callback, the company switcher and the ISV status page."""

from __future__ import annotations

import json
import logging
import time

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from dashboard.dingtalk.callback_crypto import (
    CREATE_SUITE_KEY,
    CallbackCryptoError,
    ReceiveIdMismatch,
    SignatureMismatch,
)
from dashboard.dingtalk.errors import DingTalkError
from dashboard.extensions import csrf
from dashboard.isv import bp, service
from dashboard.isv.forms import AddCompanyForm, SelectCompanyForm, SignatureDebugForm
from dashboard.redirects import safe_next
from dashboard.services.dingtalk import NotConfigured, UnknownCompany

log = logging.getLogger(__name__)


@bp.before_request
def require_isv_mode():
    if not service.isv_mode():
        abort(404)


@bp.route("/callback", methods=["POST"])
@csrf.exempt
def callback():
    """DingTalk's encrypted push: verify, decrypt, act, answer the encrypted "success"."""
    try:
        crypto = service.callback_crypto()
    except NotConfigured as exc:
        log.error("isv callback refused: %s", exc)
        return jsonify(errcode=503, errmsg="callback not configured"), 503
    body = request.get_json(silent=True)
    encrypt = body.get("encrypt") if isinstance(body, dict) else None
    signature = request.args.get("msg_signature") or request.args.get("signature")
    timestamp, nonce = request.args.get("timestamp"), request.args.get("nonce")
    if not (isinstance(encrypt, str) and signature and timestamp and nonce):
        return jsonify(
            errcode=400, errmsg="signature, timestamp, nonce and encrypt are required"
        ), 400
    try:
        # The signature is checked first, over the ciphertext, before any decryption.
        event = json.loads(crypto.decrypt(encrypt, signature, timestamp, nonce))
    except SignatureMismatch:
        log.warning("isv callback with a bad signature from %s", request.remote_addr)
        return jsonify(errcode=403, errmsg="signature mismatch"), 403
    except ReceiveIdMismatch:
        # A suite being created has no suiteKey yet: DingTalk encrypts its
        # check_create_suite_url for the placeholder key, and expects the reply so too.
        crypto = service.callback_crypto(CREATE_SUITE_KEY)
        try:
            event = json.loads(crypto.decrypt(encrypt, signature, timestamp, nonce))
        except (CallbackCryptoError, ValueError):
            event = None
        if not isinstance(event, dict) or service.event_type_of(event) != "check_create_suite_url":
            log.warning("isv callback encrypted for another receiver")
            return jsonify(errcode=403, errmsg="callback is for another suite"), 403
    except (CallbackCryptoError, ValueError) as exc:
        log.warning("isv callback could not be decrypted: %s", type(exc).__name__)
        return jsonify(errcode=400, errmsg="payload could not be decrypted"), 400
    if not isinstance(event, dict):
        return jsonify(errcode=400, errmsg="payload is not an event"), 400
    if service.event_type_of(event) not in service.CHECK_EVENTS:
        # Events that change state must be recent and delivered once.
        problem = service.callback_timestamp_problem(timestamp, time.time())
        if problem:
            log.warning("isv callback refused: %s", problem)
            return jsonify(errcode=403, errmsg=problem), 403
        if not service.first_delivery(signature):
            log.warning("isv callback refused: replayed")
            return jsonify(errcode=409, errmsg="callback already received"), 409
    try:
        service.handle_event(event)
    except Exception:
        # Not handled: let DingTalk's retry of this very push through.
        service.forget_delivery(signature)
        raise
    return jsonify(crypto.encrypt_reply(service.reply_for(event)))


@bp.route("/")
@login_required
def index():
    return render_index()


def render_index(add_form=None, debug_form=None, debug=None, status=200):
    return render_template(
        "isv/index.html",
        ticket=service.latest_ticket(),
        fresh_minutes=service.TICKET_FRESH_SECONDS // 60,
        token_states=service.token_states(),
        selected=service.selected_corpid(),
        add_form=add_form or AddCompanyForm(formdata=None),
        debug_form=debug_form or SignatureDebugForm(formdata=None),
        debug=debug,
        callback_url=url_for("isv.callback", _external=True),
        suite_key=current_app.config["DINGTALK_SUITE_KEY"],
    ), status


@bp.route("/select", methods=["POST"])
@login_required
def select():
    form = SelectCompanyForm()
    target = safe_next(form.next.data)
    if not form.validate():
        flash(_("Choose a company from the list."), "error")
        return redirect(target)
    try:
        company = service.select_company(form.corpid.data)
    except UnknownCompany:
        flash(_("That company has not authorised the suite."), "error")
        return redirect(target)
    flash(_("Now acting for %(name)s.", name=company.display_name), "success")
    return redirect(target)


@bp.route("/companies", methods=["POST"])
@login_required
def add_company():
    form = AddCompanyForm()
    if not form.validate():
        return render_index(add_form=form, status=400)
    return _refresh(form.corpid.data.strip())


@bp.route("/companies/<corpid>/refresh", methods=["POST"])
@login_required
def refresh_company(corpid: str):
    return _refresh(corpid)


def _refresh(corpid: str):
    try:
        company = service.refresh_company(corpid)
    except DingTalkError as exc:
        flash(_("DingTalk refused %(corpid)s: %(error)s", corpid=corpid, error=str(exc)), "error")
    else:
        flash(
            _("%(name)s (%(corpid)s) is up to date.", name=company.display_name, corpid=corpid),
            "success",
        )
    return redirect(url_for("isv.index"))


@bp.route("/signature", methods=["POST"])
@login_required
def debug_signature():
    form = SignatureDebugForm()
    if not form.validate():
        return render_index(debug_form=form, status=400)
    result = service.debug_signature(form.timestamp.data, form.ticket.data)
    return render_index(debug_form=form, debug=result)
