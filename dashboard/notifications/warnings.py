"""Pre-send warnings: what this console's own history says DingTalk would silently drop.

DingTalk drops, without an error, the same content sent to the same user on one
day (143106), a notice to a user at the app's daily cap (143105) and a send to
everyone beyond the daily number of such sends. The history of today's sends
tells the admin before the send, not after.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _

from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.directory.names import display_dept, display_user
from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.notifications.sending import content_hash
from dashboard.services.dingtalk import isv_mode, of_current_company

#: States in which a send may have reached people (counted by the pre-send warnings):
#: a send on the queue (queued, sending, paused) will, a cancelled one may have, in part.
DELIVERING_STATES = (
    "queued",
    "sending",
    "paused",
    "cancelled",
    "submitting",
    "submitted",
    "partial",
    "unknown",
    "completed",
)
#: DingTalk's "day" for its duplicate and daily limits is China's, whatever the console shows.
DINGTALK_TZ = ZoneInfo("Asia/Shanghai")
#: Per-user daily cap of a third-party (ISV) app (§2.1: 100; 500 for internal apps).
ISV_DAILY_USER_CAP = 100


def _day_start_utc() -> datetime:
    """Midnight today in DingTalk's day (China time), as naive UTC."""
    now_local = datetime.now(DINGTALK_TZ)
    midnight = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def sends_today() -> list[Send]:
    """The current company's sends of DingTalk's day that may have reached people."""
    return list(
        db.session.execute(
            db.select(Send).where(
                Send.created_at >= _day_start_utc(),
                Send.state.in_(DELIVERING_STATES),
                of_current_company(Send.corpid),
            )
        ).scalars()
    )


def presend_warnings(
    *,
    msg: dict,
    userid_list: list[str] | None,
    dept_id_list: list[int] | None,
    to_all_user: bool,
    today: Iterable[Send] | None = None,
) -> list[str]:
    """What this app's own history says DingTalk would silently drop; empty when all is well.

    - the same content to the same user (or department, or everyone) today → 143106;
    - a user at the daily cap (DINGTALK_DAILY_USER_CAP) → 143105;
    - a send to everyone beyond DINGTALK_DAILY_ALL_USER_CAP today.
    Department sends are counted per department, not expanded into their members.
    `today` is the day's sends (default: `sends_today()`).
    """
    cfg = current_app.config
    userids = parse_userids(userid_list or [])
    try:
        dept_ids = set(parse_dept_ids(list(dept_id_list or [])))
    except ValueError:
        dept_ids = set()
    today = list(sends_today() if today is None else today)
    digest = content_hash(msg)
    warnings: list[str] = []

    same = [s for s in today if s.content_hash == digest]
    dup_users = sorted({u for s in same for u in s.userids} & set(userids))
    dup_depts = sorted({d for s in same for d in s.dept_ids} & dept_ids)
    if any(s.to_all_user for s in same) or (to_all_user and same):
        warnings.append(
            _(
                "The same message was already sent to these people today (send #%(id)s): "
                "DingTalk will drop it as a duplicate (143106).",
                id=same[-1].id,
            )
        )
    elif dup_users or dup_depts:
        names = ", ".join(
            [display_user(u) for u in dup_users[:10]] + [display_dept(d) for d in dup_depts[:10]]
        )
        if len(dup_users) + len(dup_depts) > 20:
            names += ", …"
        warnings.append(
            _(
                "Already sent today with the same content to %(count)d recipients (%(names)s): "
                "DingTalk will drop it for them as a duplicate (143106).",
                count=len(dup_users) + len(dup_depts),
                names=names,
            )
        )

    cap = int(cfg["DINGTALK_DAILY_USER_CAP"])
    if isv_mode():
        cap = min(cap, ISV_DAILY_USER_CAP)
    all_sends = sum(1 for s in today if s.to_all_user)
    per_user = Counter(u for s in today for u in s.userids)
    over = sorted(u for u in userids if per_user[u] + all_sends >= cap)
    if over:
        warnings.append(
            _(
                "%(count)d users already received %(cap)d notifications from this app today "
                "(%(names)s): DingTalk will drop this one for them (143105).",
                count=len(over),
                cap=cap,
                names=", ".join(display_user(u) for u in over[:10])
                + (", …" if len(over) > 10 else ""),
            )
        )

    all_cap = int(cfg["DINGTALK_DAILY_ALL_USER_CAP"])
    if to_all_user and all_sends >= all_cap:
        warnings.append(
            _(
                "This app already sent %(count)d notifications to everyone today; DingTalk "
                "allows %(cap)d a day, so this one will not be delivered.",
                count=all_sends,
                cap=all_cap,
            )
        )
    return warnings
