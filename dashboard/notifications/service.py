"""Sending work notifications and following them: the logic behind the composer and the API.

``send_work_notice`` validates, records the Send before calling DingTalk, splits
the recipients into calls of at most DINGTALK_USERID_BATCH userids and
DINGTALK_DEPT_BATCH departments, and records each call's task or error. DingTalk
errors never escape: callers read ``send.state``, ``send.error_code``,
``send.error_message`` and ``send.tasks``. A timed-out call is ``unknown`` (it
may have been delivered) and is never re-sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.api.work_notices import ASYNCSEND_V2
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage, RequestTimeout
from dashboard.directory.names import display_dept, display_user
from dashboard.extensions import db
from dashboard.notifications.models import Recall, Send, SendTask, utcnow
from dashboard.services.dingtalk import (
    NotConfigured,
    current_company,
    get_client,
    of_current_company,
)

log = logging.getLogger(__name__)
audit = logging.getLogger("dashboard.audit.notifications")

#: States in which a send may have reached people (counted by the pre-send warnings).
DELIVERING_STATES = ("submitting", "submitted", "partial", "unknown", "completed")


def forbidden_reason(code: str | int | None) -> str:
    """The translated explanation of a forbidden_list code."""
    reasons = {
        "143103": _("Too many recipients per minute (internal app QPM cap)."),
        "143104": _("Too many recipients per minute (internal app QPM cap)."),
        "143105": _("The user already received the daily maximum of notifications from this app."),
        "143106": _("Duplicate: the same content was already sent to this user today."),
        "143203": _("Too many recipients per minute (third-party app QPM cap)."),
        "143204": _("Too many recipients per minute (third-party app QPM cap)."),
        "143205": _("The user already received the daily maximum of notifications from this app."),
        "143206": _("Duplicate: the same content was already sent to this user today."),
        "1430002": _("Blocked: the content contains banned words."),
        "1430003": _("Blocked by DingTalk's system protection."),
        "1430004": _("Blocked by executive (高管) protection."),
    }
    return reasons.get(str(code), _("Refused by DingTalk (code %(code)s).", code=code))


# --- recipients ----------------------------------------------------------------------

_SEPARATORS = re.compile(r"[,，;；\s]+")


def parse_userids(value: str | list[str] | None) -> list[str]:
    """Userids from text separated by commas or newlines (or a list), without duplicates."""
    if value is None:
        return []
    items = value if isinstance(value, list) else _SEPARATORS.split(value)
    return list(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))


def parse_dept_ids(value: str | list[int | str] | None) -> list[int]:
    """Department ids from text or a list; raises ValueError (translated) on a non-number."""
    if value is None:
        return []
    items = value if isinstance(value, list) else _SEPARATORS.split(value)
    ids: list[int] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()):
            raise ValueError(_("Department ids are numbers: “%(value)s” is not.", value=text[:40]))
        ids.append(int(text))
    return list(dict.fromkeys(ids))


@dataclass
class Batch:
    """The recipients of one asyncsend_v2 call."""

    userids: list[str] = field(default_factory=list)
    dept_ids: list[int] = field(default_factory=list)
    to_all_user: bool = False


def plan_batches(
    userids: list[str], dept_ids: list[int], to_all_user: bool, user_batch: int, dept_batch: int
) -> list[Batch]:
    """Split recipients into the fewest calls: call i takes the i-th slice of each list."""
    if to_all_user:
        return [Batch(to_all_user=True)]
    user_chunks = [userids[i : i + user_batch] for i in range(0, len(userids), user_batch)]
    dept_chunks = [dept_ids[i : i + dept_batch] for i in range(0, len(dept_ids), dept_batch)]
    count = max(len(user_chunks), len(dept_chunks))
    return [
        Batch(
            userids=user_chunks[i] if i < len(user_chunks) else [],
            dept_ids=dept_chunks[i] if i < len(dept_chunks) else [],
        )
        for i in range(count)
    ]


def batch_limits() -> tuple[int, int]:
    cfg = current_app.config
    return int(cfg["DINGTALK_USERID_BATCH"]), int(cfg["DINGTALK_DEPT_BATCH"])


def acting_agent_id() -> int | None:
    """The AgentId the send would go out with: the acting client's (in ISV mode the
    selected company's), else the configured DINGTALK_AGENT_ID."""
    try:
        agent_id = get_client().agent_id
    except NotConfigured:  # no credentials, or no company chosen yet: the preview still renders
        agent_id = current_app.config.get("DINGTALK_AGENT_ID")
    return int(agent_id) if agent_id else None


def request_body(msg: dict[str, Any], batch: Batch, agent_id: int | None = None) -> dict[str, Any]:
    """The asyncsend_v2 JSON body for one batch, as the client sends it."""
    body: dict[str, Any] = {"agent_id": agent_id, "msg": dtmsg.wire_msg(msg)}
    if batch.userids:
        body["userid_list"] = ",".join(batch.userids)
    if batch.dept_ids:
        body["dept_id_list"] = ",".join(str(d) for d in batch.dept_ids)
    body["to_all_user"] = batch.to_all_user
    return body


def preview_requests(
    msg: dict[str, Any], userids: list[str], dept_ids: list[int], to_all_user: bool, limit: int = 3
) -> dict[str, Any]:
    """The requests a send would make, token redacted: ``{requests, calls, more}``."""
    batches = plan_batches(userids, dept_ids, to_all_user, *batch_limits())
    base = current_app.config["DINGTALK_API_BASE"].rstrip("/")
    line = f"POST {base}{ASYNCSEND_V2}?access_token=***"
    shown = batches[:limit] or [Batch()]
    agent_id = acting_agent_id()
    return {
        "requests": [
            {
                "line": line,
                "body": request_body(msg, b, agent_id),
                "body_text": pretty_json(request_body(msg, b, agent_id)),
            }
            for b in shown
        ],
        "calls": len(batches),
        "more": max(0, len(batches) - limit),
    }


# --- the send ------------------------------------------------------------------------


def pretty_json(value: Any) -> str:
    """JSON as the admin should read it: key order kept, Chinese unescaped, indented."""
    return json.dumps(value, ensure_ascii=False, indent=2)


def nonce_key(nonce: str, sender: str) -> str:
    """What is stored for a form nonce: bound to its sender, so a nonce replayed by
    another user (or guessed) never stands for, or blocks, someone else's send."""
    return hashlib.sha256(f"{sender}\0{nonce}".encode()).hexdigest()


def content_hash(msg: dict[str, Any]) -> str:
    """Stable hash of a msg: DingTalk drops the same content to the same user on one day."""
    canonical = json.dumps(msg, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def send_work_notice(
    *,
    msg: dict,
    userid_list: list[str] | None,
    dept_id_list: list[int] | None,
    to_all_user: bool,
    sender: str,
    source: str = "web",
    api_token_name: str | None = None,
    nonce: str | None = None,
) -> Send:
    """Validate, record, batch and send one work notification; never raises DingTalk errors.

    Raises ``InvalidMessage`` (a ValueError, nothing recorded, nothing sent) when
    the msg or the recipients are invalid. With a ``nonce`` already used, returns
    the earlier Send without calling DingTalk again.
    """
    if nonce:
        existing = find_by_nonce(nonce, sender)
        if existing is not None:
            return existing
    userids = parse_userids(userid_list or [])
    try:
        dept_ids = parse_dept_ids(list(dept_id_list or []))
    except ValueError as exc:
        raise InvalidMessage("dept_id_list", str(exc)) from None
    if not (userids or dept_ids or to_all_user):
        raise InvalidMessage(
            "userid_list",
            _("At least one of userid_list, dept_id_list and to_all_user is required."),
        )
    dtmsg.validate_msg(msg)

    send = Send(
        sender=sender,
        corpid=current_company(),
        source=source,
        api_token_name=api_token_name,
        userid_list=",".join(userids),
        dept_id_list=",".join(str(d) for d in dept_ids),
        to_all_user=bool(to_all_user),
        msgtype=msg["msgtype"],
        msg_json=json.dumps(msg, ensure_ascii=False),
        content_hash=content_hash(msg),
        state="submitting",
        nonce=nonce_key(nonce, sender) if nonce else None,
    )
    batches = plan_batches(userids, dept_ids, bool(to_all_user), *batch_limits())
    for number, batch in enumerate(batches, start=1):
        send.tasks.append(
            SendTask(
                batch_no=number,
                userid_list=",".join(batch.userids),
                dept_id_list=",".join(str(d) for d in batch.dept_ids),
                to_all_user=batch.to_all_user,
                state="submitting",
            )
        )
    db.session.add(send)
    try:
        db.session.commit()
    except IntegrityError:
        # The same nonce was committed by a concurrent request: that one sends.
        db.session.rollback()
        existing = find_by_nonce(nonce, sender) if nonce else None
        if existing is None:
            raise
        return existing
    audit.info(
        "send %s recorded by %s (%s): %d users, %d departments, all=%s, %d calls",
        send.id, sender, source, len(userids), len(dept_ids), bool(to_all_user), len(batches),
    )  # fmt: skip

    client = None
    for task, batch in zip(send.tasks, batches, strict=True):
        try:
            client = client or get_client()
            reply = client.messages.send_work_notice(
                msg,
                userid_list=batch.userids or None,
                dept_id_list=batch.dept_ids or None,
                to_all_user=batch.to_all_user,
            )
        except RequestTimeout as exc:
            task.state = "unknown"
            _record_error(task, exc)
        except DingTalkError as exc:
            task.state = "failed"
            _record_error(task, exc)
        except InvalidMessage as exc:
            task.state = "failed"
            task.error_message = str(exc)
        else:
            task.state = "submitted"
            task.task_id = int(reply["task_id"])
            task.request_id = reply.get("request_id")
        db.session.commit()

    _settle_after_send(send)
    db.session.commit()
    audit.info("send %s is %s (error %s)", send.id, send.state, send.error_code)
    return send


def _record_error(target: SendTask | Recall, exc: DingTalkError) -> None:
    """Store the decoded code and message; keep the error itself on the object for
    this request (`dingtalk_error`, not stored) so the JSON API can answer with
    DingTalk's own envelope (errcode 88 with its sub_code, request_id)."""
    target.dingtalk_error = exc
    target.error_code = exc.code
    target.error_message = (exc.sub_msg or exc.errmsg or str(exc))[:500]


def _settle_after_send(send: Send) -> None:
    states = Counter(task.state for task in send.tasks)
    first_error = next((t for t in send.tasks if t.state in ("failed", "unknown")), None)
    if first_error is not None:
        send.error_code = first_error.error_code
        send.error_message = first_error.error_message
    if states["unknown"]:
        send.state = "unknown"
    elif states["failed"] == len(send.tasks):
        send.state = "failed"
    elif states["failed"]:
        send.state = "partial"
    else:
        send.state = "submitted"


def find_by_nonce(nonce: str, sender: str) -> Send | None:
    """The send this user already made with this form nonce, if any."""
    return db.session.execute(
        db.select(Send).filter_by(nonce=nonce_key(nonce, sender))
    ).scalar_one_or_none()


# --- pre-send warnings ---------------------------------------------------------------


#: DingTalk's "day" for its duplicate and daily limits is China's, whatever the console shows.
DINGTALK_TZ = ZoneInfo("Asia/Shanghai")
#: Per-user daily cap of a third-party (ISV) app (§2.1: 100; 500 for internal apps).
ISV_DAILY_USER_CAP = 100


def _day_start_utc() -> datetime:
    """Midnight today in DingTalk's day (China time), as naive UTC."""
    tz = DINGTALK_TZ
    now_local = datetime.now(tz)
    midnight = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def sends_today() -> list[Send]:
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
) -> list[str]:
    """What this app's own history says DingTalk would silently drop; empty when all is well.

    - the same content to the same user (or department, or everyone) today → 143106;
    - a user at the daily cap (DINGTALK_DAILY_USER_CAP) → 143105;
    - a send to everyone beyond DINGTALK_DAILY_ALL_USER_CAP today.
    Department sends are counted per department, not expanded into their members.
    """
    cfg = current_app.config
    userids = parse_userids(userid_list or [])
    try:
        dept_ids = set(parse_dept_ids(list(dept_id_list or [])))
    except ValueError:
        dept_ids = set()
    today = sends_today()
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
    if cfg.get("DINGTALK_SUITE_KEY"):
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


# --- following a send ----------------------------------------------------------------


def _live_tasks(send: Send) -> list[SendTask]:
    return [t for t in send.tasks if t.task_id is not None and t.state in ("submitted", "unknown")]


def is_in_progress(send: Send) -> bool:
    """True while some accepted task has not reached status 2 and can still be asked about."""
    if send.state == "recalled" or not send.within_result_window:
        return False
    return any(t.status != 2 for t in _live_tasks(send))


def overall_percent(send: Send) -> int:
    """Mean progress of the accepted tasks (recalled ones included: they were delivered)."""
    tasks = [t for t in send.tasks if t.task_id is not None]
    if not tasks:
        return 0
    return round(sum(t.progress for t in tasks) / len(tasks))


def refresh_progress(send: Send) -> Send:
    """Ask getsendprogress for each unfinished task; mark the send completed when all are done."""
    pending = [t for t in _live_tasks(send) if t.status != 2]
    if pending and send.within_result_window:
        client = get_client(corpid=send.corpid)
        for task in pending:
            try:
                reply = client.messages.get_send_progress(task.task_id)
            except DingTalkError as exc:
                log.info("progress of task %s unavailable: %s", task.task_id, exc)
                continue
            progress = reply.get("progress") or {}
            task.progress = int(progress.get("progress_in_percent") or 0)
            task.status = int(progress.get("status") or 0)
            task.fetched_at = utcnow()
    _settle_progress(send)
    db.session.commit()
    return send


def _settle_progress(send: Send) -> None:
    live = _live_tasks(send)
    if send.state == "submitted" and live and all(t.status == 2 for t in live):
        send.state = "completed"
        send.completed_at = send.completed_at or utcnow()


def refresh_result(send: Send) -> Send:
    """Fetch getsendresult for each accepted task (only possible within 24 hours)."""
    if not send.within_result_window:
        return send
    client = get_client(corpid=send.corpid)
    for task in _live_tasks(send):
        try:
            reply = client.messages.get_send_result(task.task_id)
        except DingTalkError as exc:
            log.info("result of task %s unavailable: %s", task.task_id, exc)
            continue
        task.result_json = json.dumps(reply.get("send_result") or {}, ensure_ascii=False)
        task.fetched_at = utcnow()
    db.session.commit()
    return send


def warm_directory_names() -> None:
    """Make sure the directory snapshot behind the ``username`` filter exists (cached crawl).

    The result page lists recipients by name; without a snapshot the filter shows
    bare userids. A failed crawl only costs the names, never the page.
    """
    from dashboard.directory.snapshot import get_snapshot

    try:
        get_snapshot(build_if_missing=True)
    except Exception as exc:  # noqa: BLE001 (names must never break the result page)
        log.info("no directory names for the send result: %s", exc.__class__.__name__)


@dataclass
class Outcome:
    """Per-recipient result of a send, merged over its tasks."""

    read: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    invalid_users: list[str] = field(default_factory=list)
    invalid_depts: list[int] = field(default_factory=list)
    forbidden: list[dict[str, Any]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    fetched_at: datetime | None = None
    has_result: bool = False

    @property
    def total(self) -> int:
        return (
            len(self.read) + len(self.unread) + len(self.invalid_users)
            + len(self.forbidden) + len(self.failed)
        )  # fmt: skip


def outcome(send: Send) -> Outcome:
    """Merge the stored results of a send's tasks into groups, with forbidden reasons."""
    merged = Outcome()
    forbidden_codes: dict[str, dict[str, Any]] = {}
    for task in send.tasks:
        result = task.result
        if result is None:
            continue
        merged.has_result = True
        if task.fetched_at and (merged.fetched_at is None or task.fetched_at > merged.fetched_at):
            merged.fetched_at = task.fetched_at
        merged.read += result.get("read_user_id_list") or []
        merged.unread += result.get("unread_user_id_list") or []
        merged.invalid_users += result.get("invalid_user_id_list") or []
        merged.invalid_depts += result.get("invalid_dept_id_list") or []
        merged.failed += result.get("failed_user_id_list") or []
        for item in result.get("forbidden_list") or []:
            forbidden_codes[str(item.get("userid"))] = item
        for userid in result.get("forbidden_user_id_list") or []:
            forbidden_codes.setdefault(str(userid), {"userid": userid, "code": None})
    # Batches can reach one person twice (a listed user inside a listed department): the
    # second copy is dropped as a duplicate, but that person did get the notification.
    merged.read = list(dict.fromkeys(merged.read))
    delivered = set(merged.read)
    merged.unread = [u for u in dict.fromkeys(merged.unread) if u not in delivered]
    delivered.update(merged.unread)
    forbidden_codes = {u: item for u, item in forbidden_codes.items() if u not in delivered}
    merged.forbidden = [
        {
            "userid": userid,
            "code": item.get("code"),
            "count": item.get("count"),
            "reason": forbidden_reason(item.get("code"))
            if item.get("code")
            else _("Refused by DingTalk."),
        }
        for userid, item in forbidden_codes.items()
    ]
    return merged


# --- recall --------------------------------------------------------------------------


def recall(send: Send, user: str) -> list[Recall]:
    """Recall every accepted task of a send (last 24 hours only); each attempt is recorded."""
    if not send.within_result_window:
        raise InvalidMessage("send", _("Only notifications of the last 24 hours can be recalled."))
    tasks = [t for t in send.tasks if t.task_id is not None and t.recalled_at is None]
    if not tasks:
        raise InvalidMessage("send", _("This notification has nothing left to recall."))
    client = get_client(corpid=send.corpid)
    attempts = []
    for task in tasks:
        attempt = Recall(send=send, task_id=task.task_id, user=user)
        db.session.add(attempt)
        db.session.commit()  # the attempt is on record before DingTalk is asked
        try:
            client.messages.recall_work_notice(task.task_id)
        except DingTalkError as exc:
            _record_error(attempt, exc)
        else:
            attempt.ok = True
            task.recalled_at = utcnow()
            task.state = "recalled"
        db.session.commit()
        attempts.append(attempt)
    if all(t.recalled_at for t in send.tasks if t.task_id is not None):
        send.state = "recalled"
        send.recalled_at = utcnow()
    db.session.commit()
    audit.info(
        "send %s recall by %s: %d of %d tasks recalled",
        send.id, user, sum(a.ok for a in attempts), len(attempts),
    )  # fmt: skip
    return attempts


# --- history -------------------------------------------------------------------------


@dataclass
class HistoryFilter:
    state: str | None = None
    msgtype: str | None = None
    sender: str | None = None
    source: str | None = None
    q: str | None = None
    day: str | None = None


def history_query(filters: HistoryFilter):
    """Sends newest first, narrowed by the history page's filters."""
    query = (
        db.select(Send)
        .where(of_current_company(Send.corpid))
        .order_by(Send.created_at.desc(), Send.id.desc())
    )
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
