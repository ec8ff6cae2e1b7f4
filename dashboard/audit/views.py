"""The audit log page (filters, paging) and its CSV export; nothing edits or deletes."""

from __future__ import annotations

from flask import Response, current_app, flash, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_login import login_required

from dashboard.audit import bp
from dashboard.audit.service import ACTIONS, AuditFilter, BadDate, audit_query, csv_rows
from dashboard.extensions import db


def _query(filters: AuditFilter):
    try:
        return audit_query(filters)
    except BadDate:
        flash(_("Use a date like 2024-05-31."), "warning")
        filters.date_from = filters.date_to = None
        return audit_query(filters)


@bp.route("/")
@login_required
def index():
    filters = AuditFilter.from_mapping(request.args)
    query = _query(filters)
    number = request.args.get("page", 1, type=int)
    number = number if 1 <= number <= 10**6 else 1
    per_page = current_app.config.get("AUDIT_PAGE_SIZE") or 50
    page = db.paginate(query, page=number, per_page=per_page, error_out=False)
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "audit/index.html", page=page, filters=filters, actions=ACTIONS, filter_args=filter_args
    )


@bp.route("/export.csv")
@login_required
def export():
    filters = AuditFilter.from_mapping(request.args)
    try:
        query = audit_query(filters)
    except BadDate:
        return Response(_("Use a date like 2024-05-31."), status=400, mimetype="text/plain")
    return Response(
        stream_with_context(csv_rows(query)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": 'attachment; filename="audit.csv"',
            "Cache-Control": "no-store",
        },
    )
