"""The events log page (newest first, filters, paging) and the connection state as JSON."""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from dashboard.events import bp, state
from dashboard.events.models import OUTCOMES, StreamEvent
from dashboard.extensions import db

PAGE_SIZE = 50


@bp.route("/")
@login_required
def index():
    query = db.select(StreamEvent).order_by(StreamEvent.received_at.desc(), StreamEvent.id.desc())
    kind = (request.args.get("type") or "").strip()[:64]
    outcome = request.args.get("outcome") or ""
    if kind:
        query = query.where(StreamEvent.event_type.startswith(kind))
    if outcome in OUTCOMES:
        query = query.where(StreamEvent.outcome == outcome)
    number = request.args.get("page", 1, type=int)
    number = number if 1 <= number <= 10**6 else 1
    page = db.paginate(query, page=number, per_page=PAGE_SIZE, error_out=False)
    filter_args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "events/index.html",
        page=page,
        stream=state.summary(),
        enabled=bool(current_app.config.get("DINGTALK_STREAM_ENABLED")),
        retention=int(current_app.config.get("EVENTS_RETENTION_DAYS") or 7),
        kind=kind,
        outcome=outcome if outcome in OUTCOMES else "",
        outcomes=OUTCOMES,
        filter_args=filter_args,
    )


@bp.route("/state")
@login_required
def stream_state():
    return jsonify(
        enabled=bool(current_app.config.get("DINGTALK_STREAM_ENABLED")), **state.summary()
    )


@bp.route("/<int:event_row_id>/retry", methods=["POST"])
@login_required
def retry(event_row_id: int):
    """Run a failed event's handler again (after fixing what made it fail)."""
    from dashboard.delivery.tasks import handle_stream_event

    row = db.session.get(StreamEvent, event_row_id)
    if row is None:
        abort(404)
    if row.outcome != "failed":
        flash(_("Only a failed event can be run again."), "warning")
    else:
        row.outcome, row.detail = "queued", ""
        db.session.commit()
        handle_stream_event.enqueue(row.id)
        flash(_("The event was queued again."), "success")
    return redirect(url_for(".index", **{k: v for k, v in request.args.items() if v}))
