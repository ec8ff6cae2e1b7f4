"""Sending one work notification: validate, record, batch, call, settle; and recall it.

``send_work_notice`` validates, records the Send before calling DingTalk, splits
the recipients into batches (``batches.plan_batches``), and records each call's
task or error (each batch is an attempt, ``dashboard.attempts``: recorded before
and after its call). DingTalk errors never escape: callers read ``send.state``,
``send.errcode``, ``send.errmsg``, ``send.reason`` and ``send.tasks``. A timed-out
call is ``unknown`` (it may have been delivered) and is never re-sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from contextlib import suppress
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from dashboard.attempts import FAILED, PENDING, UNKNOWN, record_call
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk import DingTalkClient
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.extensions import db
from dashboard.notifications.batches import batch_limits, plan_batches
from dashboard.notifications.models import Recall, Send, SendTask, utcnow
from dashboard.services.dingtalk import current_company, get_client

audit = logging.getLogger("dashboard.audit.notifications")


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
    # Before anything is recorded: without a client (no company chosen in ISV mode,
    # no credentials) NotConfigured leaves no row behind.
    client = get_client()

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
                state=PENDING,
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

    return deliver_batches(send, client)


def deliver_batches(send: Send, client: DingTalkClient) -> Send:
    """Call DingTalk for every batch not yet attempted, then settle the send.

    A batch found started but never answered (the process stopped mid-call) is
    ``unknown``: it may have gone out, so it is not sent again.
    """
    msg = send.msg
    for task in send.tasks:
        if task.interrupted:
            task.give_up()
            db.session.commit()
        elif task.may_send:
            _send_batch(client, msg, task)
    settle_after_send(send)
    db.session.commit()
    audit.info("send %s is %s (errcode %s)", send.id, send.state, send.errcode)
    return send


def _send_batch(client: DingTalkClient, msg: dict[str, Any], task: SendTask) -> None:
    """One asyncsend_v2 call on record; a failure stays on the task (failed or unknown)."""

    def call() -> dict[str, Any]:
        return client.messages.send_work_notice(
            msg,
            userid_list=task.userids or None,
            dept_id_list=task.dept_ids or None,
            to_all_user=task.to_all_user,
        )

    def keep(reply: dict[str, Any]) -> None:
        task.task_id = int(reply["task_id"])

    with suppress(DingTalkError, InvalidMessage):  # recorded on the task
        record_call(task, call, on_success=keep)


def settle_after_send(send: Send) -> None:
    """The send's state once every batch was called, and its first failure as the summary.

    Any batch ``unknown`` makes the send ``unknown`` (it may have reached people, it
    is never sent again); all failed is ``failed``, some failed ``partial``.
    """
    states = Counter(task.state for task in send.tasks)
    first_error = next((t for t in send.tasks if t.state in (FAILED, UNKNOWN)), None)
    if first_error is not None:
        send.errcode = first_error.errcode
        send.errmsg = first_error.errmsg
        send.reason = first_error.reason
    if states[UNKNOWN]:
        send.state = "unknown"
    elif states[FAILED] == len(send.tasks):
        send.state = "failed"
    elif states[FAILED]:
        send.state = "partial"
    else:
        send.state = "submitted"


def _recall_task(client: DingTalkClient, task: SendTask, attempt: Recall) -> None:
    """One recall call on record; the task is marked recalled when DingTalk accepts."""

    def keep(reply: dict[str, Any]) -> None:
        task.recalled_at = utcnow()

    with suppress(DingTalkError, InvalidMessage):  # recorded on the attempt
        record_call(
            attempt, lambda: client.messages.recall_work_notice(task.task_id), on_success=keep
        )


def find_by_nonce(nonce: str, sender: str) -> Send | None:
    """The send this user already made with this form nonce, if any."""
    return db.session.execute(
        db.select(Send).filter_by(nonce=nonce_key(nonce, sender))
    ).scalar_one_or_none()


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
        attempts.append(attempt)
        _recall_task(client, task, attempt)
    if all(t.recalled_at for t in send.tasks if t.task_id is not None):
        send.state = "recalled"
        send.recalled_at = utcnow()
    db.session.commit()
    audit.info(
        "send %s recall by %s: %d of %d tasks recalled",
        send.id, user, sum(a.ok for a in attempts), len(attempts),
    )  # fmt: skip
    return attempts
