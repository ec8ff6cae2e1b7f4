"""JSON API compatible with the original Koa service, and API tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from dashboard.api import views  # noqa: E402,F401
