"""Sign-in, users and their roles: the login page, the users page, the CLI, the checks.

Who may do what is one table in :mod:`dashboard.auth.permissions`, enforced before
every request; sessions end by :mod:`dashboard.auth.sessions` (idle timeout, session
version).
"""

from flask import Blueprint

bp = Blueprint("auth", __name__, cli_group="users")


def init_app(app) -> None:
    from dashboard.auth import permissions, sessions
    from dashboard.auth.users import bp as users_bp

    app.before_request(_fresh_request)
    sessions.init_app(app)  # before the permission check: an idle session is signed out first
    permissions.init_app(app)
    app.register_blueprint(users_bp, url_prefix="/accounts")


def _fresh_request() -> None:
    """No actor or audit mark of an earlier request (tests share one app context)."""
    from flask import g

    g.pop("api_principal", None)
    g.audit_recorded = False


from dashboard.auth import commands, dingtalk_login, views  # noqa: E402,F401
