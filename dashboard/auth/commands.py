"""`flask users add|list` for managing dashboard users from the shell."""

from __future__ import annotations

import click
from flask import current_app

from dashboard.auth import bp
from dashboard.auth.models import User, upsert_user
from dashboard.extensions import db

bp.cli.short_help = "Manage dashboard users."


@bp.cli.command("add")
@click.argument("username")
@click.password_option(help="The new user's password (asked for when omitted).")
def add_user(username: str, password: str) -> None:
    """Create a user, or reset an existing user's password."""
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    upsert_user(username, password)
    click.echo(f"User {username} saved.")


@bp.cli.command("list")
def list_users() -> None:
    """List dashboard users."""
    for user in db.session.execute(db.select(User).order_by(User.username)).scalars():
        click.echo(f"{user.username}\tcreated {user.created_at:%Y-%m-%d}")


def ensure_admin_from_env() -> None:
    """Create or update the first admin from DASHBOARD_ADMIN_USERNAME/PASSWORD."""
    username = current_app.config.get("DASHBOARD_ADMIN_USERNAME")
    password = current_app.config.get("DASHBOARD_ADMIN_PASSWORD")
    if username and password:
        user = db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()
        if user is None or not user.check_password(password):
            upsert_user(username, password)
