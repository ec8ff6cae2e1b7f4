"""Third-party (ISV) suites: suite ticket callback, company switcher, signatures."""

from flask import Blueprint

bp = Blueprint("isv", __name__)

from dashboard.isv import views  # noqa: E402,F401
