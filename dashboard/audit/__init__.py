"""The audit log: who did what, when, from where, to what (append-only), and its page.

Other areas call :func:`record` for what only they know; the rest is recorded by the
hook after each request (:mod:`dashboard.audit.service`).
"""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from dashboard.audit.service import record  # noqa: E402


def init_app(app) -> None:
    from dashboard.audit import service

    app.after_request(service.after_request)


from dashboard.audit import views  # noqa: E402,F401

__all__ = ["bp", "init_app", "record"]
