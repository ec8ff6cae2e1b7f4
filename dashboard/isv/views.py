"""ISV pages: the suite callback, the company switcher and the ISV status page."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.dingtalk.errors import DingTalkError
from dashboard.extensions import csrf
from dashboard.isv import callback as suite_callback
from dashboard.isv import service
from dashboard.isv.forms import AddCompanyForm, SelectCompanyForm, SignatureDebugForm
from dashboard.redirects import safe_next
from dashboard.services.dingtalk import (
    NoCompanySelected,
    UnknownCompany,
    authorised_companies,
    isv_mode,
    selected_corpid,
    use_ticket_provider,
)

bp = Blueprint("isv", __name__)


def init_app(app: Flask) -> None:
    """Check the ISV settings at start-up, feed the switcher, explain a missing company."""
    from dashboard import wants_json

    service.check_config(app)
    use_ticket_provider(app, service.current_ticket)

    @app.context_processor
    def company_switcher():
        if not isv_mode(app) or not current_user.is_authenticated:
            return {}
        return {
            "isv_companies": authorised_companies(),
            "isv_selected": selected_corpid(),
            "isv_auth_level": service.auth_level_label,
        }

    @app.errorhandler(NoCompanySelected)
    @app.errorhandler(UnknownCompany)
    def no_company(exc):
        if isinstance(exc, NoCompanySelected):
            message = _("Choose a company in the switcher first.")
        elif exc.message:
            message = _(
                "That company has not authorised the suite (DingTalk answered: %(message)s).",
                message=exc.message,
            )
        else:
            message = _("That company has not authorised the suite.")
        if wants_json():
            return jsonify(success=False, msg=message), 400
        flash(message, "error")
        return redirect(url_for("isv.index"))


@bp.before_request
def require_isv_mode():
    if not isv_mode():
        abort(404)


@bp.route("/callback", methods=["POST"])
@csrf.exempt
def callback():
    """DingTalk's encrypted push: verify, decrypt, act, answer the encrypted "success"."""
    answer = suite_callback.receive(
        request.get_json(silent=True),
        request.args.get("msg_signature") or request.args.get("signature"),
        request.args.get("timestamp"),
        request.args.get("nonce"),
        remote_addr=request.remote_addr,
    )
    return jsonify(answer.body), answer.status


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
        selected=selected_corpid(),
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
