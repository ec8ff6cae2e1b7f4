"""Saved recipient groups: named lists of people and departments.

A group stores ids only; whom it reaches is worked out from the directory when it
is shown or sent to (``groups.service.resolve_group``), never frozen at save time.
``GroupRevision`` records who changed a group, when, and what.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.auth.models import utcnow
from dashboard.extensions import db


class RecipientGroup(db.Model):
    """A named group of people and departments."""

    __tablename__ = "recipient_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Unique per company (checked by the service: NULL corpids do not collide in SQL).
    name: Mapped[str] = mapped_column(String(80), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    userids: Mapped[list[str]] = mapped_column(JSON, default=list)
    dept_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    #: True: a department reaches everyone below it too (DingTalk's dept_id_list does);
    #: False: only its direct members, resolved to their userids at send time.
    include_sub_departments: Mapped[bool] = mapped_column(default=True)
    # ISV mode: the company whose directory the ids belong to (None for an internal app).
    corpid: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<RecipientGroup {self.id} {self.name!r}>"


class GroupRevision(db.Model):
    """One change to a group: who, when, which fields, and the group after it."""

    __tablename__ = "recipient_group_revisions"
    __table_args__ = (Index("ix_recipient_group_revisions_group", "group_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(12))
    user: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    name: Mapped[str] = mapped_column(String(80))
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The group after the change (before it, for a delete).
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
