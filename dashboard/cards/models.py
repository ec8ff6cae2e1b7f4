"""Card button presses DingTalk called back (one row per verified callback)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.extensions import db
from dashboard.notifications.models import utcnow


class CardResponse(db.Model):
    """Who pressed which action of which card, and when (the console's clock)."""

    __tablename__ = "card_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    out_track_id: Mapped[str] = mapped_column(String(128), index=True)
    #: The card send the card belongs to (None: a card the console did not send).
    send_id: Mapped[int | None] = mapped_column(ForeignKey("notification_sends.id"), index=True)
    corp_id: Mapped[str | None] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(128))
    params_json: Mapped[str] = mapped_column(Text, default="{}")

    @property
    def params(self) -> dict[str, Any]:
        return json.loads(self.params_json or "{}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "userId": self.user_id,
            "action": self.action,
            "params": self.params,
            "at": self.created_at.isoformat(timespec="seconds") + "Z",
        }
