"""Recording an incoming event once: a row per eventId, a redelivery only counted."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy.exc import IntegrityError

from dashboard.events import state
from dashboard.events.models import StreamEvent
from dashboard.extensions import db
from dashboard.notifications.models import utcnow

log = logging.getLogger(__name__)


def record(
    event_id: str,
    event_type: str,
    data: dict[str, Any],
    *,
    topic: str = "*",
    corp_id: str = "",
    born_at: datetime | None = None,
) -> tuple[int, bool]:
    """Record the event; returns (row id, True) the first time, (row id, False) for a
    duplicate (its delivery counted, nothing else changed). Safe across processes: the
    eventId is unique in the database."""
    event_id = str(event_id)[:128]
    row = StreamEvent(
        event_id=event_id,
        event_type=str(event_type or "")[:64],
        topic=str(topic or "*")[:128],
        corp_id=str(corp_id or "")[:64],
        born_at=born_at,
        data_json=json.dumps(data, ensure_ascii=False),
    )
    db.session.add(row)
    try:
        db.session.commit()
        new = True
    except IntegrityError:
        db.session.rollback()
        row = db.session.execute(db.select(StreamEvent).filter_by(event_id=event_id)).scalar_one()
        row.deliveries += 1
        db.session.commit()
        new = False
    state.update_state(last_event_at=utcnow().isoformat(timespec="seconds") + "Z")
    return row.id, new


def prune(now: datetime | None = None) -> int:
    """Delete events older than EVENTS_RETENTION_DAYS; returns how many went."""
    days = int(current_app.config.get("EVENTS_RETENTION_DAYS") or 7)
    cutoff = (now or utcnow()) - timedelta(days=days)
    result = db.session.execute(db.delete(StreamEvent).where(StreamEvent.received_at < cutoff))
    db.session.commit()
    if result.rowcount:
        log.info("events log pruned: %d older than %d days", result.rowcount, days)
    return result.rowcount or 0
