"""Sign-in: dashboard users, their passwords, the login page and the CLI."""

from flask import Blueprint

bp = Blueprint("auth", __name__, cli_group="users")

from dashboard.auth import commands, views  # noqa: E402,F401
