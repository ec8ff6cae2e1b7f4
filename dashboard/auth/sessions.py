"""When sessions end: after SESSION_IDLE_MINUTES without a request, and everywhere at once
when the user's session version changes (password, role, scope, disabled).

The version is part of the id Flask-Login keeps in the session and in the remember-me
cookie (``User.get_id``), and :func:`dashboard.auth.models.load_session_user` accepts
only the current one, so a change ends the sessions of every device.
"""

from __future__ import annotations

import time

from flask import current_app, flash, request, session
from flask_babel import gettext as _
from flask_login import current_user, logout_user

#: The clock of the idle timeout (tests replace it).
clock = time.time
SEEN_KEY = "_seen"
#: The session's last-seen time is written at most this often (seconds).
SEEN_RESOLUTION = 30


def idle_limit_seconds() -> float:
    minutes = current_app.config.get("SESSION_IDLE_MINUTES") or 0
    return float(minutes) * 60


def check_idle():
    """``before_request``: sign out a session idle for longer than the setting."""
    if request.endpoint in (None, "static") or not current_user.is_authenticated:
        return None
    now = clock()
    last = session.get(SEEN_KEY)
    limit = idle_limit_seconds()
    if limit and isinstance(last, int | float) and now - last > limit:
        from dashboard.audit import record

        record("signout", object_type="user", object_id=current_user.id,
               detail={"reason": "idle"})  # fmt: skip
        logout_user()
        session.pop(SEEN_KEY, None)
        flash(_("You were signed out after a while without activity."), "info")
        from dashboard.auth.permissions import PUBLIC, rule_for
        from dashboard.extensions import login_manager

        if rule_for(request.endpoint, request.method).role == PUBLIC:
            return None
        return login_manager.unauthorized()
    if not isinstance(last, int | float) or now - last >= SEEN_RESOLUTION:
        session[SEEN_KEY] = now
    return None


def mark_seen() -> None:
    """A fresh sign-in starts its idle clock now."""
    session[SEEN_KEY] = clock()


def init_app(app) -> None:
    app.before_request(check_idle)
