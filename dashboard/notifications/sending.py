"""Sending one work notification: validate, record, batch, call, settle; and recall it.

``send_work_notice`` validates, records the Send before calling DingTalk, splits
the recipients into batches (``batches.plan_batches``), and records each call's
task or error. DingTalk errors never escape: callers read ``send.state``,
``send.error_code``, ``send.error_message`` and ``send.tasks``. A timed-out call
is ``unknown`` (it may have been delivered) and is never re-sent.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage, RequestTimeout
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

    settle_after_send(send)
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


def settle_after_send(send: Send) -> None:
    """The send's state from its tasks' once every call was made."""
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
