"""The send history page's query: newest first, narrowed by its filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from dashboard.auth import permissions
from dashboard.dingtalk.errors import InvalidMessage
from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.services.dingtalk import of_current_company


@dataclass
class HistoryFilter:
    state: str | None = None
    msgtype: str | None = None
    sender: str | None = None
    source: str | None = None
    q: str | None = None
    day: str | None = None


def history_query(filters: HistoryFilter):
    """Sends of the current company newest first, narrowed by the history page's filters."""
    query = (
        db.select(Send)
        .where(of_current_company(Send.corpid))
        .order_by(Send.created_at.desc(), Send.id.desc())
    )
    query = permissions.visible_sends(query, Send.sender)  # a scoped sender: their own
    if filters.state:
        query = query.where(Send.state == filters.state)
    if filters.msgtype:
        query = query.where(Send.msgtype == filters.msgtype)
    if filters.sender:
        query = query.where(Send.sender == filters.sender)
    if filters.source:
        query = query.where(Send.source == filters.source)
    if filters.q:
        q = filters.q
        query = query.where(
            Send.msg_json.contains(q, autoescape=True)
            | Send.userid_list.contains(q, autoescape=True)
            | Send.dept_id_list.contains(q, autoescape=True)
        )
    if filters.day:
        try:
            tz = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "Asia/Shanghai")
            start = datetime.strptime(filters.day, "%Y-%m-%d").replace(tzinfo=tz)
            start_utc = start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
            end_utc = start_utc + timedelta(days=1)
        except (ValueError, OverflowError):  # not a date, or 0001-01-01 / 9999-12-31 at the edges
            raise InvalidMessage("day", _("Use a date like 2024-05-31.")) from None
        query = query.where(Send.created_at >= start_utc, Send.created_at < end_utc)
    return query
