"""The home page (what the console can do) and the language switch."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session
from flask_login import login_required

from dashboard.main import bp
from dashboard.redirects import safe_next


@bp.route("/")
@login_required
def index():
    return render_template("main/index.html")


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the chosen UI language in the session and go back."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.form.get("next")))
