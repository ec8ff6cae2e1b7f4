"""API tokens: bearer credentials for scripts, stored only as a SHA-256 hash.

The raw token is shown once when it is created and never stored, so a leaked
database does not leak working credentials.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.auth.models import utcnow
from dashboard.extensions import db

SCOPE_READ = "read"
SCOPE_SEND = "send"
SCOPES = (SCOPE_READ, SCOPE_SEND)


def hash_token(raw: str) -> str:
    """The stored form of a token: hex SHA-256 (tokens are random, so no salt is needed)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(db.Model):
    """One named bearer token with a scope: `read` (read-only) or `send` (may send)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80))
    scope: Mapped[str] = mapped_column(String(8), default=SCOPE_READ)
    #: The token's role (viewer, sender, admin, owner) and department scope (None: the
    #: whole company), never beyond its creator's (dashboard.auth.permissions).
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    dept_scope: Mapped[list | None] = mapped_column(JSON)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def may_send(self) -> bool:
        return self.role in ("sender", "admin", "owner")

    def __repr__(self) -> str:
        return f"<ApiToken {self.name} {self.role}>"
