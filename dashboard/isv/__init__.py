"""Third-party (ISV) suites: suite ticket callback, company switcher, signatures."""

from flask import Blueprint, Flask, flash, jsonify, redirect, url_for
from flask_babel import gettext as _

bp = Blueprint("isv", __name__)

from dashboard.isv import views  # noqa: E402,F401


def init_app(app: Flask) -> None:
    """Check the ISV settings at start-up, feed the switcher, explain a missing company."""
    from flask_login import current_user

    from dashboard import wants_json
    from dashboard.isv import service
    from dashboard.services.dingtalk import NoCompanySelected, UnknownCompany

    service.check_config(app)

    @app.context_processor
    def company_switcher():
        if not service.isv_mode(app) or not current_user.is_authenticated:
            return {}
        return {
            "isv_companies": service.companies(),
            "isv_selected": service.selected_corpid(),
            "isv_auth_level": service.auth_level_label,
        }

    @app.errorhandler(NoCompanySelected)
    @app.errorhandler(UnknownCompany)
    def no_company(exc):
        message = (
            _("Choose a company in the switcher first.")
            if isinstance(exc, NoCompanySelected)
            else _("That company has not authorised the suite.")
        )
        if wants_json():
            return jsonify(success=False, msg=message), 400
        flash(message, "error")
        return redirect(url_for("isv.index"))
