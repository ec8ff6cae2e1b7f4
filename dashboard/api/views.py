"""Placeholder routes; replaced by the API work."""

from flask import render_template
from flask_login import login_required

from dashboard.api import bp


@bp.route("/docs")
@login_required
def docs():
    return render_template("placeholder.html")
