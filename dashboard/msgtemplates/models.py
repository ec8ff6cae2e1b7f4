"""Saved message templates and the record of every change to them.

A ``MessageTemplate`` keeps the composer's message fields (``composer.fields.
MessageFields`` names → values, msgtype included) with ``{placeholders}`` in any
text. A ``TemplateRevision`` is written for every create, edit, duplicate and
delete: who, when, what changed and the fields as they were after the change.
Revisions keep the template's id as a plain number (no foreign key), so the
history of a deleted template stays readable.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.auth.models import utcnow
from dashboard.extensions import db

#: What a revision records.
CREATED, UPDATED, DUPLICATED, DELETED = "created", "updated", "duplicated", "deleted"
REVISION_ACTIONS = (CREATED, UPDATED, DUPLICATED, DELETED)


class MessageTemplate(db.Model):
    """One saved message of any msgtype, with named placeholders."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    msgtype: Mapped[str] = mapped_column(String(20))
    #: The composer's message fields (msgtype included) as typed, placeholders unfilled.
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(80))

    def __repr__(self) -> str:
        return f"<MessageTemplate {self.id} {self.name!r}>"


class TemplateRevision(db.Model):
    """One change to a template: who, when, which fields, and the template after it."""

    __tablename__ = "message_template_revisions"
    __table_args__ = (Index("ix_message_template_revisions_template", "template_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(12))
    user: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    name: Mapped[str] = mapped_column(String(80))
    #: Names of the fields that changed (name, description, msgtype, message fields).
    changed: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: The template's fields after the change (before it, for a delete).
    fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The template it was copied from (a duplicate).
    source_id: Mapped[int | None] = mapped_column()
