"""`flask users add|list|disable` for managing dashboard users from the shell."""

from __future__ import annotations

import click
from flask import current_app

from dashboard.auth import bp
from dashboard.auth.models import ROLE_OWNER, ROLES, User, find_user, upsert_user
from dashboard.extensions import db

bp.cli.short_help = "Manage dashboard users."


@bp.cli.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), help="viewer, sender, admin or owner.")
@click.option(
    "--dept",
    "depts",
    multiple=True,
    type=click.IntRange(1, 2**63 - 1),
    help="A department the user may send to (with its sub-departments); repeat for more.",
)
@click.option("--whole-company", is_flag=True, help="Remove the department scope.")
@click.option("--password", help="The password (asked for when a new user has none).")
def add_user(username, role, depts, whole_company, password) -> None:
    """Create a user, or update an existing one's role, departments or password.

    A new user without --role is an owner when there is no owner yet, else a viewer.
    A change of password, role or departments signs the user out everywhere.
    """
    existing = find_user(username)
    if existing is None and password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if password is not None and len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="password")
    if existing is None and role is None:
        has_owner = db.session.execute(db.select(User).filter_by(role=ROLE_OWNER)).first()
        role = "viewer" if has_owner else ROLE_OWNER
    scope = [] if whole_company else (list(depts) if depts else None)
    user = upsert_user(username, password, role=role, dept_scope=scope)
    scope_text = ",".join(str(d) for d in user.dept_scope or ()) or "whole company"
    verb = "created" if existing is None else "updated"
    click.echo(f"User {username} {verb}: {user.role}, departments: {scope_text}.")


@bp.cli.command("list")
def list_users() -> None:
    """List dashboard users with their role and departments."""
    for user in db.session.execute(db.select(User).order_by(User.username)).scalars():
        scope = ",".join(str(d) for d in user.dept_scope or ()) or "-"
        state = "disabled" if user.disabled else "active"
        click.echo(
            f"{user.username}\t{user.role}\t{scope}\t{state}\tcreated {user.created_at:%Y-%m-%d}"
        )


@bp.cli.command("disable")
@click.argument("username")
@click.option("--enable", is_flag=True, help="Enable the account again.")
def disable_user(username, enable) -> None:
    """Disable a user (signed out everywhere), or enable them again."""
    user = find_user(username)
    if user is None:
        raise click.ClickException(f"no user {username}")
    user.disabled = not enable
    user.end_sessions()
    db.session.commit()
    click.echo(f"User {username} {'enabled' if enable else 'disabled'}.")


def ensure_admin_from_env() -> None:
    """Create or update the first owner from DASHBOARD_ADMIN_USERNAME/PASSWORD."""
    username = current_app.config.get("DASHBOARD_ADMIN_USERNAME")
    password = current_app.config.get("DASHBOARD_ADMIN_PASSWORD")
    if username and password:
        user = find_user(username)
        if user is None or not user.check_password(password) or user.role != ROLE_OWNER:
            upsert_user(username, password, role=ROLE_OWNER)
