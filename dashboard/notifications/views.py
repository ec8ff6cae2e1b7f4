"""Placeholder routes; replaced by the notifications work."""

from flask import render_template
from flask_login import login_required

from dashboard.notifications import bp


@bp.route("/new")
@login_required
def compose():
    return render_template("placeholder.html")


@bp.route("/")
@login_required
def history():
    return render_template("placeholder.html")
