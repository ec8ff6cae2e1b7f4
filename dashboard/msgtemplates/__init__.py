"""Message templates (消息模板): saved messages of any msgtype with named placeholders.

``service`` renders them (built-ins, free fields, per-recipient placeholders) for the
composer, the schedules and the JSON API; ``models`` keeps them and their history.
"""

from flask import Blueprint

bp = Blueprint("msgtemplates", __name__)

from dashboard.msgtemplates import composer, views  # noqa: E402,F401

bp.app_context_processor(composer.composer_helpers)
