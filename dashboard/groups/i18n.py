"""gettext for code that also runs outside a request (the schedules' worker, the queue).

The locale selector reads the session, which only a request has; outside one these
messages are given in the default locale (Chinese) through a request-free
translation context, never a RuntimeError.
"""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _gettext


def gettext(message: str, **variables) -> str:
    if has_request_context() or not has_app_context():
        return _gettext(message, **variables) if has_app_context() else message % variables
    with (
        current_app.test_request_context(),
        force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")),
    ):
        return _gettext(message, **variables)
