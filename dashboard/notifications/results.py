"""Following a send: progress, the per-recipient result, and what it means in words.

getsendprogress and getsendresult answer only for tasks of the last 24 hours
(``Send.within_result_window``); a failed lookup costs the page nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from dashboard.dingtalk.errors import DingTalkError
from dashboard.extensions import db
from dashboard.notifications.models import Send, SendTask, utcnow
from dashboard.services.dingtalk import get_client

log = logging.getLogger(__name__)


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
    if str(code) not in reasons:
        from dashboard.notifications.channels import channel_reason

        reasons[str(code)] = channel_reason(code)
    return reasons.get(str(code)) or _("Refused by DingTalk (code %(code)s).", code=code)


def _live_tasks(send: Send) -> list[SendTask]:
    """The tasks DingTalk accepted and that were not recalled."""
    return [t for t in send.tasks if t.accepted and t.recalled_at is None]


def is_in_progress(send: Send) -> bool:
    """True while some accepted task has not reached status 2 and can still be asked about."""
    if send.state == "recalled" or not send.within_result_window:
        return False
    return any(t.status != 2 for t in _live_tasks(send))


def overall_percent(send: Send) -> int:
    """Mean progress of the accepted tasks (recalled ones included: they were delivered)."""
    tasks = [t for t in send.tasks if t.accepted]
    if not tasks:
        return 0
    return round(sum(t.progress for t in tasks) / len(tasks))


def refresh_progress(send: Send) -> Send:
    """Ask getsendprogress for each unfinished task; mark the send completed when all are done."""
    pending = [t for t in _live_tasks(send) if t.status != 2]
    if send.channel != "work_notice":  # its channel asks for read states (and settles)
        return _refresh_channel(send)
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
    settle_progress(send)
    if send.state == "completed" and any(t.result is None for t in _live_tasks(send)):
        refresh_result(send)  # settles what it reached (settle_reach) and commits
    db.session.commit()
    return send


#: A status poll asks DingTalk itself for at most this many tasks' progress (about a
#: quarter second at 20 QPS); a send with more unfinished tasks is refreshed by the queue
#: (each getsendprogress call waits for DingTalk's budget: 1,000 tasks take 50 s).
INLINE_PROGRESS_TASKS = 5
#: A send's refresh is queued once at a time: the mark is cleared when the refresh ends
#: (the next poll queues the next one), and runs out after this many seconds at most.
PROGRESS_REFRESH_SECONDS = 120


def progress_for_poll(send: Send) -> Send:
    """The progress a poller (the send's page, the history, sendStatus) shows, at once.

    A few unfinished tasks are asked about inline (``refresh_progress``); more are left
    to the delivery queue (``refresh_send_progress``, one at a time per send), and the
    poll answers with what is recorded: a poll never waits for DingTalk's budget.
    """
    pending = [t for t in _live_tasks(send) if t.status != 2]
    if len(pending) <= INLINE_PROGRESS_TASKS or not send.within_result_window:
        return refresh_progress(send)
    from flask import current_app

    from dashboard.extensions import cache

    if current_app.config.get("DELIVERY_IMMEDIATE"):
        return refresh_progress(send)
    if cache.add(f"progress-refresh:{send.id}", 1, timeout=PROGRESS_REFRESH_SECONDS):
        from dashboard.delivery.tasks import refresh_send_progress

        refresh_send_progress.enqueue(send.id)
    return send


def settle_progress(send: Send) -> None:
    """A submitted send is completed once DingTalk reports every accepted task done."""
    live = _live_tasks(send)
    if send.state == "submitted" and live and all(t.status == 2 for t in live):
        send.state = "completed"
        send.completed_at = send.completed_at or utcnow()


#: ``Send.reason`` of a send DingTalk finished that reached nobody (state ``failed``) or
#: only some of its recipients (state ``partial``): invalid, refused or failed recipients.
UNREACHED, PARTLY_UNREACHED = "unreached", "partly_unreached"


def settle_reach(send: Send) -> None:
    """Say what a finished send achieved: green only when people got it.

    Once every accepted task is done and has its result, a send that reached nobody
    (all recipients invalid, refused or failed) is ``failed``, one that missed some
    is ``partial``; the reason says it was the recipients, not the call.
    """
    tasks = [t for t in send.tasks if t.accepted]
    if send.state not in ("submitted", "completed") or not tasks:
        return
    if not all(t.status == 2 and t.result is not None for t in tasks):
        return
    merged = outcome(send)
    missed = (
        len(merged.invalid_users) + len(merged.invalid_depts)
        + len(merged.forbidden) + len(merged.failed)
    )  # fmt: skip
    if not missed:
        return
    reached = len(merged.read) + len(merged.unread)
    send.state, send.reason = ("partial", PARTLY_UNREACHED) if reached else ("failed", UNREACHED)
    send.completed_at = send.completed_at or utcnow()


def reach_text(send: Send, merged: Outcome) -> str | None:
    """Who a finished send did not reach, in words (None: it reached everyone)."""
    missed = len(merged.invalid_users) + len(merged.forbidden) + len(merged.failed)
    depts = len(merged.invalid_depts)
    if send.reason == UNREACHED:
        return _(
            "Nobody received this notification: DingTalk found %(users)s and %(depts)s "
            "invalid, refused or failed.",
            users=ngettext("%(num)d user", "%(num)d users", missed),
            depts=ngettext("%(num)d department", "%(num)d departments", depts),
        )
    if send.reason == PARTLY_UNREACHED:
        return _(
            "Only %(reached)d of %(total)d recipients received this notification; the "
            "others were invalid, refused by DingTalk or failed.",
            reached=len(merged.read) + len(merged.unread),
            total=merged.total,
        )
    return None


def refresh_result(send: Send) -> Send:
    """Fetch getsendresult for each accepted task (only possible within 24 hours)."""
    if not send.within_result_window:
        return send
    if send.channel != "work_notice":
        return _refresh_channel(send)
    client = get_client(corpid=send.corpid)
    # A recalled task keeps the result fetched before its recall (who had received and
    # read it); one recalled before any was fetched is asked once.
    tasks = [t for t in send.tasks if t.accepted]
    for task in (t for t in tasks if t.recalled_at is None or t.result_json is None):
        try:
            reply = client.messages.get_send_result(task.task_id)
        except DingTalkError as exc:
            log.info("result of task %s unavailable: %s", task.task_id, exc)
            continue
        result = dict(reply.get("send_result") or {})
        result[READ_LOG] = _read_log(task, len(result.get("read_user_id_list") or []))
        task.result_json = json.dumps(result, ensure_ascii=False)
        task.fetched_at = utcnow()
    settle_reach(send)
    db.session.commit()
    return send


def _refresh_channel(send: Send) -> Send:
    """A robot or card send: its channel fetches the read states into the tasks."""
    from dashboard.notifications.channels import get_channel

    if send.within_result_window:
        get_channel(send.channel).refresh(send)
    settle_progress(send)
    settle_reach(send)
    db.session.commit()
    return send


#: Kept beside DingTalk's answer in a task's stored result: [[time, read count], ...] at
#: each fetch that saw the count change (the reads-over-time chart).
READ_LOG = "console_read_log"


def _read_log(task: SendTask, read: int) -> list[list[Any]]:
    log_ = list((task.result or {}).get(READ_LOG) or [])
    if not log_ or log_[-1][1] != read:
        # milliseconds: two fetches within one second are two points of the chart
        log_.append([utcnow().isoformat(timespec="milliseconds"), read])
    return log_


def read_timeline(send: Send) -> list[tuple[datetime, int]]:
    """How many had read the send at each fetch (summed over its tasks), oldest first."""
    logs = [(task.result or {}).get(READ_LOG) or [] for task in send.tasks]
    times = sorted({when for log_ in logs for when, _n in log_})
    points = []
    for when in times:
        total = 0
        for log_ in logs:
            seen = [n for at, n in log_ if at <= when]
            total += seen[-1] if seen else 0
        points.append((datetime.fromisoformat(when), total))
    return points


def read_rate(send: Send) -> tuple[int, int] | None:
    """(read, received) of a send from its stored results; None before any result."""
    merged = outcome(send)
    if not merged.has_result:
        return None
    return len(merged.read), len(merged.read) + len(merged.unread)


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
