"""The recipient groups' JSON API: ``groupList``, ``groupGet``, and the ``group_ids`` field.

``GROUP_IDS`` is the field every operation with recipients takes (``asyncsend_v2``,
``scheduleCreate``): the groups are resolved from the directory when the send is made.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api.fields import INT64_MAX, Field
from dashboard.api.models import SCOPE_READ
from dashboard.api.operation import CallContext, Operation
from dashboard.api.replies import ApiReply, failure
from dashboard.groups.service import (
    GroupError,
    get_group,
    group_summary,
    list_groups,
    resolution_summary,
    resolve_group,
)

GROUP_IDS = Field(
    "group_ids",
    "idlist",
    None,
    _l(
        "Recipient group ids (groupList): an array or a comma-separated string; each is "
        "resolved from the directory when the send is made."
    ),
    numeric_items=True,
)


def _group_list(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    return {"groups": [group_summary(g) for g in list_groups()]}


def _group_get(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any] | ApiReply:
    try:
        group = get_group(a["group_id"])
    except GroupError:
        return failure(404, _("There is no recipient group %(id)s.", id=a["group_id"]))
    return group_summary(group) | {"resolved": resolution_summary(resolve_group(group))}


_GROUP = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string"},
        "userids": {"type": "array", "items": {"type": "string"}},
        "dept_ids": {"type": "array", "items": {"type": "integer"}},
        "include_sub_departments": {"type": "boolean"},
    },
}
GROUP_GET_SCHEMA: dict[str, Any] = {
    **_GROUP,
    "properties": {
        **_GROUP["properties"],
        "resolved": {
            "type": "object",
            "description": "whom the group reaches now: what a send is given, and the people",
            "properties": {
                "userid_list": {"type": "array", "items": {"type": "string"}},
                "dept_id_list": {"type": "array", "items": {"type": "integer"}},
                "people": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"},
                "unknown_userids": {"type": "array", "items": {"type": "string"}},
                "unknown_dept_ids": {"type": "array", "items": {"type": "integer"}},
            },
        },
    },
}

OPERATIONS = (
    Operation(
        "groupList",
        _l("The saved recipient groups (their people and departments as saved)."),
        "(the console's recipient groups; no DingTalk call)",
        SCOPE_READ,
        _group_list,
        replies={
            "200": (
                "Every group, by name.",
                {"type": "object", "properties": {"groups": {"type": "array", "items": _GROUP}}},
            )
        },
    ),
    Operation(
        "groupGet",
        _l("One recipient group and whom it reaches now (from the directory)."),
        "(the console's recipient groups, resolved from the directory snapshot)",
        SCOPE_READ,
        _group_get,
        (
            Field(
                "group_id",
                "integer",
                "group_id不能为空",
                _l("The group's id (groupList)."),
                minimum=1,
                maximum=INT64_MAX,
                example=1,
            ),
        ),
        example={"group_id": 1},
        replies={"200": ("The group and its resolution.", GROUP_GET_SCHEMA)},
    ),
)
