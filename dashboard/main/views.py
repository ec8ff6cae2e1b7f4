"""The home page (what the console can do) and the language switch."""

from __future__ import annotations

from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import login_required

from dashboard.main import bp


@bp.route("/")
@login_required
def index():
    return render_template("main/index.html")


@bp.route("/lang/<code>", methods=["POST"])
def set_language(code: str):
    """Remember the chosen UI language in the session and go back."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    target = request.form.get("next") or url_for("main.index")
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("main.index")
    return redirect(target)
