"""The events log: one row per event DingTalk pushed over Stream, deduplicated by eventId."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.extensions import db
from dashboard.notifications.models import utcnow

#: Outcomes: queued (recorded, the handler not run yet), done, ignored (nothing to do),
#: failed (the handler raised; `detail` says why, never a secret).
OUTCOMES = ("queued", "done", "ignored", "failed")


class StreamEvent(db.Model):
    """An EVENT (eventId) or CALLBACK (messageId) frame, what it changed and how it ended."""

    __tablename__ = "stream_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: eventId of an EVENT, "cb:<messageId>" of a CALLBACK: a redelivery finds its row.
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    event_type: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(128), default="*")
    corp_id: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: When DingTalk says the event happened (eventBornTime), if it said.
    born_at: Mapped[datetime | None]
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    #: How many times it arrived (a redelivery changes nothing but this).
    deliveries: Mapped[int] = mapped_column(default=1)
    outcome: Mapped[str] = mapped_column(String(16), default="queued")
    #: What changed ("updated: u1, dept:3; removed: u2") or why it failed.
    detail: Mapped[str] = mapped_column(Text, default="")
    handled_at: Mapped[datetime | None]

    @property
    def data(self) -> dict[str, Any]:
        try:
            value = json.loads(self.data_json or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def as_dict(self) -> dict[str, Any]:
        def stamp(value: datetime | None) -> str | None:
            return value.isoformat(timespec="seconds") + "Z" if value else None

        return {
            "eventId": self.event_id,
            "eventType": self.event_type,
            "topic": self.topic,
            "corpId": self.corp_id,
            "receivedAt": stamp(self.received_at),
            "bornAt": stamp(self.born_at),
            "deliveries": self.deliveries,
            "outcome": self.outcome,
            "detail": self.detail,
        }
