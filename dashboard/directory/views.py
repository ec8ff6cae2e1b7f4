"""Placeholder routes; replaced by the directory work."""

from flask import render_template
from flask_login import login_required

from dashboard.directory import bp


@bp.route("/org/")
@login_required
def overview():
    return render_template("placeholder.html")


@bp.route("/departments/")
@login_required
def departments():
    return render_template("placeholder.html")


@bp.route("/users/lookup")
@login_required
def user_lookup():
    return render_template("placeholder.html")
