"""Placeholder routes; replaced by the chats work."""

from flask import render_template
from flask_login import login_required

from dashboard.chats import bp


@bp.route("/")
@login_required
def index():
    return render_template("placeholder.html")


@bp.route("/new")
@login_required
def new():
    return render_template("placeholder.html")
