"""Operational endpoints: liveness and readiness probes (no sign-in, nothing secret)."""

from flask import Blueprint

bp = Blueprint("ops", __name__)

from dashboard.ops import views  # noqa: E402,F401
