"""Bearer-token authentication for the JSON API, and the token lifecycle.

A request carries `Authorization: Bearer <token>`. The token is either one
created in the dashboard (looked up by its SHA-256 hash) or the automation
token from `DASHBOARD_API_TOKEN` (compared in constant time, full scope).
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, request
from flask_limiter.util import get_remote_address

from dashboard.api.models import SCOPE_READ, SCOPE_SEND, SCOPES, ApiToken, hash_token
from dashboard.auth.models import ROLES, normalise_scope, role_rank, utcnow
from dashboard.extensions import db

TOKEN_PREFIX = "dtk_"
ENV_TOKEN_NAME = "DASHBOARD_API_TOKEN"
#: last_used_at is written at most this often per token (one UPDATE, not one per call).
LAST_USED_RESOLUTION = timedelta(seconds=30)


@dataclass(frozen=True)
class ApiPrincipal:
    """Who is calling: the token's name, role and department scope (never the token itself)."""

    name: str
    scope: str
    token_id: int | None = None
    role: str = "viewer"
    dept_scope: tuple[int, ...] | None = None

    @property
    def may_send(self) -> bool:
        return self.role in ("sender", "admin", "owner")

    @property
    def username(self) -> str:  # what sends record as their sender
        return self.name


def bearer_token() -> str | None:
    """The raw bearer token of the current request, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    value = value.strip()
    return value or None


def authenticate() -> ApiPrincipal | None:
    """The principal of the current request, or None when the token is absent or wrong."""
    raw = bearer_token()
    if raw is None:
        return None
    env_token = current_app.config.get("DASHBOARD_API_TOKEN")
    if env_token and hmac.compare_digest(raw.encode("utf-8"), env_token.encode("utf-8")):
        return ApiPrincipal(name=ENV_TOKEN_NAME, scope=SCOPE_SEND, role="owner")
    token = db.session.execute(
        db.select(ApiToken).filter_by(token_hash=hash_token(raw))
    ).scalar_one_or_none()
    if token is None or not token.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        db.session.commit()
    scope = tuple(token.dept_scope) if token.dept_scope else None
    return ApiPrincipal(
        name=token.name, scope=token.scope, token_id=token.id, role=token.role, dept_scope=scope
    )


def rate_limit_key() -> str:
    """Flask-Limiter key: a prefix of the token's hash (never the raw token), else the IP."""
    raw = bearer_token()
    if raw is None:
        return f"ip:{get_remote_address()}"
    return f"token:{hash_token(raw)[:16]}"


def rate_limit_value() -> str:
    return current_app.config.get("API_RATE_LIMIT") or "6000 per minute"


def create_token(
    *,
    name: str,
    scope: str | None = None,
    created_by: str,
    role: str | None = None,
    dept_scope=None,
) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw token, which is never stored.

    The role defaults from the legacy scope (read: viewer, send: sender); the scope
    follows the role (send when the role may send).
    """
    if scope is not None and scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    role = role or ("sender" if scope == SCOPE_SEND else "viewer")
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    scope = SCOPE_SEND if role_rank(role) >= role_rank("sender") else SCOPE_READ
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name.strip(),
        scope=scope,
        role=role,
        dept_scope=normalise_scope(dept_scope),
        token_hash=hash_token(raw),
        created_by=created_by,
    )
    db.session.add(token)
    db.session.commit()
    return token, raw


def revoke_token(token_id: int) -> ApiToken | None:
    """Revoke a token for good; returns it, or None when there is no such token."""
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
    return token


def list_tokens() -> list[ApiToken]:
    """Every token, active ones first, newest first."""
    rows = db.session.execute(db.select(ApiToken).order_by(ApiToken.created_at.desc())).scalars()
    return sorted(rows, key=lambda t: t.revoked_at is not None)
