"""Placeholder routes; replaced by the ISV work."""

from flask import render_template
from flask_login import login_required

from dashboard.isv import bp


@bp.route("/")
@login_required
def index():
    return render_template("placeholder.html")
