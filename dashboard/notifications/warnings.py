"""Pre-send warnings: what this console's own history says DingTalk would silently drop.

DingTalk drops, without an error, the same content sent to the same user on one
day (143106), a notice to a user at the app's daily cap (143105) and a send to
everyone beyond the daily number of such sends. The history of today's sends
tells the admin before the send, not after.

They are asked on the request that starts a send, so they stay cheap at any size:
only the sends of the same content are read in full, and the per-user cap is
counted only on a day with as many sends as the cap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import case, func

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


def _today_filter() -> tuple:
    return (
        Send.created_at >= _day_start_utc(),
        Send.state.in_(DELIVERING_STATES),
        of_current_company(Send.corpid),
    )


def _work_notices_today() -> tuple:
    """Today's work notifications: DingTalk's per-person caps and its same-content rule
    (143105, 143106) count asyncsend_v2 only, not the robot's or cards' messages."""
    return (*_today_filter(), Send.channel == "work_notice")


def sends_today() -> list[Send]:
    """The current company's work notifications of DingTalk's day that may have reached people."""
    return list(db.session.execute(db.select(Send).where(*_work_notices_today())).scalars())


@dataclass
class _Past:
    """What the warnings need of one earlier send: its id and its recipients as stored."""

    id: int
    userid_list: str
    dept_id_list: str
    to_all_user: bool


@dataclass
class _Day:
    """Today's history as the warnings read it.

    ``same``: today's sends of the same content; ``to_all_sends``: today's sends to
    everyone; ``user_sends``: today's sends naming users; ``per_user(wanted)``: how
    many of today's sends named each of ``wanted`` (only asked when a cap is in reach).
    """

    same: list[_Past]
    to_all_sends: int
    user_sends: int
    per_user: Callable[[set[str]], Counter]


def _count_named(lists: Iterable[str], wanted: set[str]) -> Counter:
    counts: Counter = Counter()
    for userid_list in lists:
        counts.update(wanted.intersection(userid_list.split(",")))
    return counts


def _day_from_db(digest: str) -> _Day:
    """Today's history in three small queries; the sends' recipient lists (100,000
    userids each, possibly) are read only for the same content, and for the cap only
    when the day has as many sends as the cap."""
    today = _work_notices_today()
    same = [
        _Past(*row)
        for row in db.session.execute(
            db.select(Send.id, Send.userid_list, Send.dept_id_list, Send.to_all_user)
            .where(*today, Send.content_hash == digest)
            .order_by(Send.id)
        )
    ]
    to_all, user_sends = db.session.execute(
        db.select(
            func.sum(case((Send.to_all_user.is_(True), 1), else_=0)),
            func.sum(case((Send.userid_list != "", 1), else_=0)),
        ).where(*today)
    ).one()

    def per_user(wanted: set[str]) -> Counter:
        lists = db.session.execute(
            db.select(Send.userid_list).where(*today, Send.userid_list != "")
        ).scalars()
        return _count_named(lists, wanted)

    return _Day(same, int(to_all or 0), int(user_sends or 0), per_user)


def _day_from_sends(sends: Iterable[Send], digest: str) -> _Day:
    sends = list(sends)
    same = [
        _Past(s.id, s.userid_list or "", s.dept_id_list or "", bool(s.to_all_user))
        for s in sends
        if s.content_hash == digest
    ]
    return _Day(
        same,
        sum(1 for s in sends if s.to_all_user),
        sum(1 for s in sends if s.userid_list),
        lambda wanted: _count_named((s.userid_list for s in sends if s.userid_list), wanted),
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
    `today` is the day's sends (default: read from the database, in a few queries
    whose cost does not grow with this send's size or the day's).
    """
    cfg = current_app.config
    userids = parse_userids(userid_list or [])
    try:
        dept_ids = set(parse_dept_ids(list(dept_id_list or [])))
    except ValueError:
        dept_ids = set()
    digest = content_hash(msg)
    day = _day_from_db(digest) if today is None else _day_from_sends(today, digest)
    warnings: list[str] = []

    same = day.same
    same_users: set[str] = set()
    for past in same:
        same_users.update(past.userid_list.split(","))
    dup_users = sorted(same_users.intersection(userids)) if same_users else []
    dup_depts = sorted({int(d) for s in same for d in _split(s.dept_id_list)} & dept_ids)
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
    all_sends = day.to_all_sends
    over: list[str] = []
    if userids and all_sends >= cap:
        over = sorted(userids)
    elif userids and day.user_sends + all_sends >= cap:  # else nobody can be at the cap
        per_user = day.per_user(set(userids))
        over = sorted(u for u, n in per_user.items() if n + all_sends >= cap)
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


def _split(value: str) -> list[str]:
    return [v for v in value.split(",") if v]


def robot_presend_warnings(
    *, msg: dict, userid_list: list[str] | None, dept_id_list: list[int] | None
) -> list[str]:
    """The pre-send warnings of a robot send (channel ``robot``), from today's robot sends.

    The work notice's 143105/143106 do not apply to the robot. What does:
    - the same content to the same people (or departments, or group chat) within
      DINGTALK_ROBOT_DUPLICATE_WINDOW_MINUTES: they would get it twice;
    - people the robot already wrote to DINGTALK_ROBOT_DAILY_USER_CAP times today
      (DingTalk does not publish the cap, §9: 0 turns the warning off); DingTalk
      answers them in flowControlledStaffIdList. Departments count per department.
    """
    cfg = current_app.config
    userids = set(parse_userids(userid_list or []))
    try:
        dept_ids = set(parse_dept_ids(list(dept_id_list or [])))
    except ValueError:
        dept_ids = set()
    robot = (*_today_filter(), Send.channel == "robot")
    warnings: list[str] = []

    minutes = int(cfg.get("DINGTALK_ROBOT_DUPLICATE_WINDOW_MINUTES") or 0)
    if minutes > 0:
        since = datetime.now(ZoneInfo("UTC")).replace(tzinfo=None) - timedelta(minutes=minutes)
        group = msg.get("openConversationId")
        for past in db.session.execute(
            db.select(Send)
            .where(*robot, Send.created_at >= since, Send.content_hash == content_hash(msg))
            .order_by(Send.id.desc())
        ).scalars():
            if group and (past.msg or {}).get("openConversationId") == group:
                overlap = 1
            else:
                overlap = len(userids.intersection(_split(past.userid_list or ""))) + len(
                    dept_ids.intersection(int(d) for d in _split(past.dept_id_list or ""))
                )
            if overlap:
                warnings.append(
                    _(
                        "The same robot message went to %(count)d of these recipients in the "
                        "last %(minutes)d minutes (send #%(id)s): they would get it twice.",
                        count=overlap,
                        minutes=minutes,
                        id=past.id,
                    )
                )
                break

    cap = int(cfg.get("DINGTALK_ROBOT_DAILY_USER_CAP") or 0)
    if cap > 0 and userids:
        lists = db.session.execute(
            db.select(Send.userid_list).where(*robot, Send.userid_list != "")
        ).scalars()
        over = sorted(u for u, n in _count_named(lists, userids).items() if n >= cap)
        if over:
            warnings.append(
                ngettext(
                    "%(num)d person already received %(cap)d robot messages today "
                    "(%(names)s): DingTalk may hold this one back (flow control).",
                    "%(num)d people already received %(cap)d robot messages today "
                    "(%(names)s): DingTalk may hold this one back for them (flow control).",
                    len(over),
                    cap=cap,
                    names=", ".join(display_user(u) for u in over[:10])
                    + (", …" if len(over) > 10 else ""),
                )
            )
    return warnings
