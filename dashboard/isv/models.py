"""What an ISV console remembers: the latest suite ticket and the authorised companies.

Secrets at rest (the suite ticket, permanent codes) are Fernet-encrypted with
a key derived from DASHBOARD_ENCRYPTION_KEY (see ``service.fernet``); only the
``*_encrypted`` columns ever hold them.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.auth.models import utcnow
from dashboard.extensions import db

#: What a DingTalk corpid looks like (forms and the client factory check it).
CORPID_PATTERN = r"^[A-Za-z0-9_.-]{1,64}\Z"
CORPID_RE = re.compile(CORPID_PATTERN)


def _as_int(value: Any, default: int | None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class SuiteTicket(db.Model):
    """The latest suite_ticket pushed to the callback, one row per suite."""

    __tablename__ = "isv_suite_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    suite_key: Mapped[str] = mapped_column(String(64), unique=True)
    ticket_encrypted: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<SuiteTicket {self.suite_key} {self.received_at:%Y-%m-%d %H:%M:%S}>"


class AuthorisedCompany(db.Model):
    """A company that installed the suite, refreshed from service/get_auth_info."""

    __tablename__ = "isv_companies"
    __table_args__ = (UniqueConstraint("suite_key", "corpid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suite_key: Mapped[str] = mapped_column(String(64), index=True)
    corpid: Mapped[str] = mapped_column(String(64), index=True)
    corp_name: Mapped[str] = mapped_column(String(200), default="")
    full_corp_name: Mapped[str] = mapped_column(String(200), default="")
    #: DingTalk's authentication level: 0 none, 1 senior, 2 middle, 3 junior.
    auth_level: Mapped[int] = mapped_column(default=0)
    agent_id: Mapped[int | None]
    agent_name: Mapped[str] = mapped_column(String(200), default="")
    admin_userid: Mapped[str] = mapped_column(String(64), default="")
    permanent_code_encrypted: Mapped[str | None] = mapped_column(Text)
    authorised: Mapped[bool] = mapped_column(default=True)
    authorised_at: Mapped[datetime] = mapped_column(default=utcnow)
    deauthorised_at: Mapped[datetime | None]
    refreshed_at: Mapped[datetime | None]
    #: Last callback or refresh problem, shown on the ISV page (never a secret).
    last_error: Mapped[str | None] = mapped_column(Text)

    def apply_auth_info(self, info: dict[str, Any]) -> None:
        """Copy what service/get_auth_info says: the company, its level, the suite's agent."""
        corp = info.get("auth_corp_info") or {}
        agents = (info.get("auth_info") or {}).get("agent") or []
        agent = agents[0] if agents else {}
        self.corp_name = str(corp.get("corp_name") or self.corpid)[:200]
        self.full_corp_name = str(corp.get("full_corp_name") or "")[:200]
        self.auth_level = _as_int(corp.get("auth_level"), 0)
        self.agent_id = _as_int(agent.get("agentid"), None)
        self.agent_name = str(agent.get("agent_name") or "")[:200]
        self.admin_userid = str((info.get("auth_user_info") or {}).get("userId") or "")[:64]

    @property
    def display_name(self) -> str:
        return self.corp_name or self.corpid

    def __repr__(self) -> str:
        return f"<AuthorisedCompany {self.corpid} {self.corp_name!r}>"
