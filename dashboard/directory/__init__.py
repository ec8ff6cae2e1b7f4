"""The organisation: departments, people, head count, contact scope, snapshot."""

from flask import Blueprint

bp = Blueprint("directory", __name__)

from dashboard.directory import views  # noqa: E402,F401
