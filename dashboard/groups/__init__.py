"""Recipient groups (收件人组): named people and departments, resolved at send time.

``service.resolve_group`` / ``resolve_groups`` work out whom a group reaches from
the directory snapshot; ``models`` keeps the groups and their history.
"""

from flask import Blueprint

bp = Blueprint("groups", __name__)

from dashboard.groups import views  # noqa: E402,F401
