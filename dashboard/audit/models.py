"""The audit log: one append-only row per thing someone did (or tried to do)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String, event
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.auth.models import utcnow
from dashboard.extensions import db


class AuditEvent(db.Model):
    """Who (a user or an API token), what, when (UTC), from where, and the object touched."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: "user", "token" or "anonymous" (a failed sign-in names the username tried).
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40), index=True)
    #: "success", "failure" or "denied".
    outcome: Mapped[str] = mapped_column(String(12), default="success")
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(120), index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    corpid: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)

    @property
    def object_label(self) -> str:
        if not self.object_type:
            return self.object_id or ""
        return f"{self.object_type}:{self.object_id}" if self.object_id else self.object_type

    def as_dict(self) -> dict:
        from dashboard.audit.service import local_time

        return {
            "id": self.id,
            "at": local_time(self.at).isoformat(),
            "actor_kind": self.actor_kind,
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "outcome": self.outcome,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "ip": self.ip,
            "corpid": self.corpid,
            "detail": self.detail,
        }


class AppendOnly(RuntimeError):
    """An audit row was about to be changed or deleted."""


@event.listens_for(AuditEvent, "before_update")
def _no_update(mapper, connection, target):
    raise AppendOnly("audit events are never changed")


@event.listens_for(AuditEvent, "before_delete")
def _no_delete(mapper, connection, target):
    raise AppendOnly("audit events are never deleted")
