"""Dashboard users: their role, department scope, session version and hashed password."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from dashboard.extensions import db

#: Roles from least to most: each may do what the ones before it may.
ROLE_VIEWER, ROLE_SENDER, ROLE_ADMIN, ROLE_OWNER = "viewer", "sender", "admin", "owner"
ROLES = (ROLE_VIEWER, ROLE_SENDER, ROLE_ADMIN, ROLE_OWNER)
RANK = {role: rank for rank, role in enumerate(ROLES)}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def role_rank(role: str | None) -> int:
    """A role's rank; an unknown role ranks below every real one."""
    return RANK.get(role or "", -1)


def normalise_scope(dept_ids) -> list[int] | None:
    """A department scope as stored: sorted distinct ids, or None for the whole company."""
    ids = sorted({int(d) for d in dept_ids or ()})
    return ids or None


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=ROLE_VIEWER)
    #: Departments a sender may send to (with their sub-departments); None: the whole company.
    dept_scope: Mapped[list | None] = mapped_column(JSON)
    #: Bumped when the password, role or scope changes or the account is disabled: every
    #: session and remember-me cookie carries the version it was signed in with.
    session_version: Mapped[int] = mapped_column(default=1)
    disabled: Mapped[bool] = mapped_column(default=False)
    #: The person's userid in the company, for signing in with DingTalk.
    dingtalk_userid: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return not self.disabled

    @property
    def is_admin(self) -> bool:
        return role_rank(self.role) >= RANK[ROLE_ADMIN]

    @property
    def is_owner(self) -> bool:
        return self.role == ROLE_OWNER

    @property
    def scope_ids(self) -> tuple[int, ...]:
        return tuple(self.dept_scope or ())

    def get_id(self) -> str:
        """The session's user id carries the session version (``"7:3"``)."""
        return f"{self.id}:{self.session_version or 1}"

    def end_sessions(self) -> None:
        """Every session and remember-me cookie of this user stops working."""
        self.session_version = (self.session_version or 1) + 1

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


def find_user(username: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(username=username)).scalar_one_or_none()


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the user of ``"id:version"`` while that version is current."""
    user_id, _, version = str(session_id).partition(":")
    if not user_id.isascii() or not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.disabled or int(version) != (user.session_version or 1):
        return None
    return user


def upsert_user(
    username: str,
    password: str | None = None,
    *,
    is_admin: bool = True,
    role: str | None = None,
    dept_scope=None,
) -> User:
    """Create the user, or update an existing one (password, and role/scope when given).

    A new user without ``role`` is an owner (``is_admin``) or a viewer. A change of
    password, role or scope ends the user's sessions everywhere.
    """
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    user = find_user(username)
    changed = False
    if user is None:
        user = User(username=username, role=role or (ROLE_OWNER if is_admin else ROLE_VIEWER))
        user.dept_scope = normalise_scope(dept_scope)
        db.session.add(user)
        if password is None:
            raise ValueError("a new user needs a password")
    else:
        if role is not None and role != user.role:
            user.role, changed = role, True
        if dept_scope is not None and normalise_scope(dept_scope) != user.dept_scope:
            user.dept_scope, changed = normalise_scope(dept_scope), True
    if password is not None:
        if user.password_hash and user.check_password(password):
            pass
        else:
            changed = changed or bool(user.password_hash)
            user.set_password(password)
    if changed and user.id is not None:
        user.end_sessions()
    db.session.commit()
    return user
