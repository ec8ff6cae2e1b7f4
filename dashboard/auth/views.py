"""Login and logout (every other page requires a signed-in user), written to the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from dashboard.audit import record
from dashboard.auth import bp, sessions
from dashboard.auth.forms import LoginForm
from dashboard.auth.models import User, find_user, utcnow
from dashboard.extensions import db, limiter
from dashboard.redirects import safe_next


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        user = find_user(username)
        if user is None or not user.check_password(form.password.data):
            form.password.errors.append(_("Wrong username or password."))
            record("signin.failure", object_type="user", outcome="failure",
                   actor=username[:80], actor_kind="anonymous",
                   detail={"method": "password"})  # fmt: skip
        elif user.disabled:
            form.password.errors.append(_("This account is disabled; ask an admin."))
            record("signin.failure", object_type="user", object_id=user.id, outcome="failure",
                   actor=username, actor_kind="anonymous",
                   detail={"method": "password", "reason": "disabled"})  # fmt: skip
        else:
            return complete_sign_in(user, remember=form.remember.data, method="password")
    return render_template("auth/login.html", form=form, dingtalk=dingtalk_sign_in_enabled())


def complete_sign_in(user: User, *, remember: bool, method: str, next_url: str | None = None):
    """Sign the user in, start the idle clock, record it, and go where they were going."""
    login_user(user, remember=remember)
    sessions.mark_seen()
    user.last_login_at = utcnow()
    db.session.commit()
    record("signin.success", object_type="user", object_id=user.id, detail={"method": method})
    return redirect(safe_next(next_url or request.args.get("next")))


def dingtalk_sign_in_enabled() -> bool:
    from flask import current_app

    return bool(current_app.config.get("DINGTALK_OAUTH_ENABLED"))


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    record("signout", object_type="user", object_id=current_user.id)
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))
