"""The audit log's JSON API operation: ``auditList`` (owners and admins)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api.fields import Field, FieldError
from dashboard.api.operation import CallContext, Operation
from dashboard.audit.service import AuditFilter, BadDate, audit_query
from dashboard.extensions import db

PAGE_SIZE_MAX = 200


def _audit_list(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    filters = AuditFilter.from_mapping(
        {"actor": a["actor"], "action": a["action"], "object": a["object"],
         "from": a["from"], "to": a["to"]}
    )  # fmt: skip
    try:
        query = audit_query(filters)
    except BadDate:
        raise FieldError(_("Use a date like 2024-05-31.")) from None
    page = db.paginate(
        query, page=a["page"] or 1, per_page=a["pageSize"] or 50, error_out=False, count=True
    )
    return {
        "total": page.total,
        "page": page.page,
        "pageSize": page.per_page,
        "events": [event.as_dict() for event in page.items],
    }


OPERATIONS = (
    Operation(
        "auditList",
        _l("The audit log, newest first (owners and admins), with filters and paging."),
        "(the console's audit log; no DingTalk call)",
        "read",
        _audit_list,
        (
            Field("actor", description=_l("Part of the user's or token's name.")),
            Field(
                "action", description=_l("An action, or its start (send., user.)."), example="send."
            ),
            Field("object", description=_l("The object: type:id (send:12) or part of an id.")),
            Field("from", description=_l("First day, YYYY-MM-DD (Asia/Shanghai).")),
            Field("to", description=_l("Last day, YYYY-MM-DD (Asia/Shanghai).")),
            Field("page", "integer", minimum=1, maximum=10**6, description=_l("Page, from 1.")),
            Field(
                "pageSize",
                "integer",
                minimum=1,
                maximum=PAGE_SIZE_MAX,
                description=_l("Events per page (at most 200)."),
            ),
        ),  # fmt: skip
        example={"action": "send.", "pageSize": 20},
    ),
)
