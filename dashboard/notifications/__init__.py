"""Work notifications (工作通知): compose, send, follow, history."""

from flask import Blueprint

bp = Blueprint("notifications", __name__)

from dashboard.notifications import views  # noqa: E402,F401
