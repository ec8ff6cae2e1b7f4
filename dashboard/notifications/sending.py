"""Sending one work notification: validate, record, queue, deliver, settle; and recall it.

``send_work_notice`` validates, records the Send (state ``queued``) with one planned
batch per call (``batches.plan_batches``), commits, and hands it to the delivery
queue (``dashboard.delivery.tasks.deliver_send``); it returns at once. The queue's
consumer runs :func:`deliver`: it claims the send (two consumers never work one
send), then ``deliver_batches`` records each call's task or error (each batch is an
attempt, ``dashboard.attempts``: recorded before and after its call). DingTalk
errors never escape: callers read ``send.state``, ``send.errcode``, ``send.errmsg``,
``send.reason`` and ``send.tasks``. A timed-out or interrupted call is ``unknown``
(it may have been delivered) and is never re-sent; "send again to the unknown"
(:func:`unknown_recipients`) is a new send, made by an admin.

Between two batches ``deliver`` looks at what was asked: ``cancel`` (the batches not
yet out are ``cancelled``, never sent), ``pause`` (it stops; :func:`resume` queues it
again) and the consumer shutting down (SIGTERM: it stops and queues the rest again).
A consumer starting re-queues every send left with batches to go
(:func:`resume_unfinished`): a SIGKILL mid-send resumes from the first batch that
did not go out.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from dashboard.attempts import DONE, FAILED, PENDING, UNKNOWN, record_call
from dashboard.auth import permissions
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.dingtalk import DingTalkClient
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.errors import DingTalkError, InvalidMessage
from dashboard.extensions import db
from dashboard.notifications.batches import (
    Batch,
    batch_limits,
    plan_batches,
    plan_personal_batches,
)
from dashboard.notifications.channels import get_channel
from dashboard.notifications.models import (
    CANCEL,
    CANCELLED,
    PAUSE,
    Recall,
    Send,
    SendTask,
    utcnow,
)
from dashboard.services.dingtalk import NotConfigured, current_company, get_client

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
    personal_msgs: dict[str, dict] | None = None,
    origin: dict[str, Any] | None = None,
    channel: str = "work_notice",
) -> Send:
    """Validate, record and queue one work notification; never raises DingTalk errors.

    ``channel`` (dashboard.notifications.channels): ``robot`` or ``card`` sends the
    same way through the app's robot or as an interactive card (the msg as that
    channel has it; departments become their members).

    ``personal_msgs`` (userid -> msg, a per-recipient template): one batch per person,
    each with its own msg; the recipients are its keys, ``msg`` is what the history
    shows. ``origin`` records how the message and recipients were chosen (the
    template and its params, the recipient groups as resolved now).

    Returns the Send as it is once queued (``queued``; in immediate mode the queue
    has already delivered it, and the Send shows the outcome). Raises
    ``InvalidMessage`` (a ValueError, nothing recorded, nothing sent) when the msg or
    the recipients are invalid. With a ``nonce`` already used, returns the earlier
    Send without queueing it again.
    """
    if nonce:
        existing = find_by_nonce(nonce, sender)
        if existing is not None:
            return existing
    if personal_msgs is not None:
        userid_list, dept_id_list, to_all_user = list(personal_msgs), [], False
        for own in personal_msgs.values():
            dtmsg.validate_msg(own)
    userids = parse_userids(userid_list or [])
    try:
        dept_ids = parse_dept_ids(list(dept_id_list or []))
    except ValueError as exc:
        raise InvalidMessage("dept_id_list", str(exc)) from None
    group = channel != "work_notice" and bool(msg.get("openConversationId"))
    if not (userids or dept_ids or to_all_user or group):  # a group is its recipient
        raise InvalidMessage(
            "userid_list",
            _("At least one of userid_list, dept_id_list and to_all_user is required."),
        )
    way = get_channel(channel)
    if way is None:
        dtmsg.validate_msg(msg)
    # A sender limited to departments: recipients outside them are refused (OutOfScope)
    permissions.check_send_scope(userids, dept_ids, bool(to_all_user))
    # Before anything is recorded: without a client (no company chosen in ISV mode,
    # no credentials) NotConfigured leaves no row behind.
    get_client() if way is None else way.client(current_company())
    if way is not None:  # the people its calls name (departments expanded), checked
        planned = way.prepare(msg, userids, dept_ids, bool(to_all_user))

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
        state="queued",
        nonce=nonce_key(nonce, sender) if nonce else None,
        origin=origin,
        channel=channel,
    )
    if personal_msgs is not None:
        batches = plan_personal_batches({u: personal_msgs[u] for u in userids})
    elif way is not None:
        batches = plan_batches(planned, [], False, way.user_batch(), 1) or [Batch()]
    else:
        batches = plan_batches(userids, dept_ids, bool(to_all_user), *batch_limits())
    db.session.add(send)
    try:
        db.session.flush()  # the send's id; a nonce already used fails here
        # One executemany, not 1,000 ORM objects: the POST answers at once at any size.
        db.session.execute(
            insert(SendTask),
            [
                {
                    "send_id": send.id,
                    "batch_no": number,
                    "userid_list": ",".join(batch.userids),
                    "dept_id_list": ",".join(str(d) for d in batch.dept_ids),
                    "to_all_user": batch.to_all_user,
                    "state": PENDING,
                    "msg_json": None if batch.msg is None else json.dumps(batch.msg),
                }
                for number, batch in enumerate(batches, start=1)
            ],
        )
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

    return queue_delivery(send)


def queue_delivery(send: Send) -> Send:
    """Hand the committed ``send`` to the delivery queue; the Send as the caller may show it.

    In immediate mode the task ran in its own session before this returns: what this
    session holds is expired, so the caller reads the outcome.
    """
    from dashboard.delivery.tasks import deliver_send

    send_id = send.id
    deliver_send.enqueue(send_id)
    db.session.expire_all()
    return db.session.get(Send, send_id)


# --- the consumer's side ----------------------------------------------------------------

#: This process among every consumer of every host (the pid alone repeats in containers).
_PROCESS = uuid.uuid4().hex[:12]
#: Outcomes of one ``deliver`` run.
FINISHED, PAUSED, STOPPED, BUSY, GONE = "finished", "paused", "stopped", "busy", "gone"


def worker_identity() -> str:
    """``host:pid:process:run``: who holds a send's claim (each run its own: two worker
    threads of one consumer never work one send either)."""
    return f"{socket.gethostname()}:{os.getpid()}:{_PROCESS}:{uuid.uuid4().hex[:8]}"


def claim_seconds() -> float:
    """How long a claim holds without being renewed (longer than one batch's call can take)."""
    return float(current_app.config.get("DELIVERY_CLAIM_SECONDS") or 180)


def claim(send_id: int, holder: str) -> bool:
    """Take (or renew) the send for ``holder``: one atomic UPDATE, so one consumer wins."""
    now = utcnow()
    result = db.session.execute(
        update(Send)
        .where(
            Send.id == send_id,
            or_(
                Send.claimed_by.is_(None),
                Send.claimed_by == holder,
                Send.claimed_until.is_(None),
                Send.claimed_until < now,
            ),
        )
        .values(claimed_by=holder, claimed_until=now + timedelta(seconds=claim_seconds()))
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def release(send_id: int, holder: str) -> None:
    db.session.execute(
        update(Send)
        .where(Send.id == send_id, Send.claimed_by == holder)
        .values(claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def shutting_down() -> bool:
    """True once this process's consumer received SIGTERM (never in a web process)."""
    from dashboard.delivery.consumer import stopping

    return stopping()


def deliver(send_id: int) -> str:
    """The queue's task: deliver the recorded send ``send_id`` (see the module's docstring).

    Returns what happened: ``finished`` (settled, or cancelled), ``paused``,
    ``stopped`` (shutdown: queued again), ``busy`` (another consumer holds it: this
    one looks again when that claim runs out), ``gone`` (no such send).
    """
    from dashboard.delivery.tasks import deliver_later

    if db.session.get(Send, send_id) is None:
        return GONE
    holder = worker_identity()
    if not claim(send_id, holder):
        deliver_later(send_id, claim_seconds() + 1)
        return BUSY
    try:
        send = db.session.get(Send, send_id)
        db.session.refresh(send)
        if not _has_pending(send_id) and send.control is None:
            return FINISHED  # delivered already (a duplicate of the task)
        if send.state == "paused" and send.control != CANCEL:
            return PAUSED  # a stray task of a paused send: only resume() sends it on
        try:
            way = get_channel(send.channel)
            client = get_client(corpid=send.corpid) if way is None else way.client(send.corpid)
        except NotConfigured as exc:  # see dashboard.delivery.unconfigured: failed, not queued
            fail_unconfigured(send, exc)
            return FINISHED
        renewed = [time.monotonic()]
        outcome = deliver_batches(
            send, client, checkpoint=lambda: _checkpoint(send, holder, renewed)
        )
    finally:
        db.session.rollback()
        release(send_id, holder)
    if outcome == STOPPED:
        from dashboard.delivery.tasks import deliver_send

        deliver_send.enqueue(send_id)  # the next consumer goes on from here
    return outcome


def _checkpoint(send: Send, holder: str, renewed: list[float]) -> str | None:
    """Before each batch: what stops the delivery here (cancel, pause, shutdown), or None.

    The claim is renewed once a tenth of its time has passed (not at every batch: one
    commit less per call), long before it could run out.
    """
    db.session.refresh(send, ["control"])
    if send.control == CANCEL:
        return CANCEL
    if send.control == PAUSE:
        return PAUSE
    if shutting_down():
        return STOPPED
    if time.monotonic() - renewed[0] > claim_seconds() / 10:
        if not claim(send.id, holder):  # renewing failed: someone took it over
            return BUSY
        renewed[0] = time.monotonic()
    return None


def deliver_batches(
    send: Send,
    client: DingTalkClient,
    *,
    checkpoint: Callable[[], str | None] | None = None,
) -> str:
    """Call DingTalk for every batch not yet attempted, then settle the send.

    A batch found started but never answered (the process stopped mid-call) is
    ``unknown``: it may have gone out, so it is not sent again. ``checkpoint()``,
    asked before each batch, may stop the run: ``cancel`` (the rest is cancelled and
    the send settled), ``pause``, ``stopped`` (queued again) or ``busy``.
    """
    msg, channel, send_id, started = send.msg, send.channel, send.id, send.started_at is not None
    if send.state != "sending":
        send.state = "sending"
        db.session.commit()
    # One batch at a time in the session, and the Send's row never reloaded in the loop:
    # every commit expires what the session holds, and a send of 100,000 people has 1,000
    # batches and a 1.2 MB recipient list (each batch cost more the bigger the send).
    for task_id in _task_ids(send_id):
        task = db.session.get(SendTask, task_id)
        if task.interrupted:
            task.give_up()
            db.session.commit()
        elif task.may_send:
            stop = checkpoint() if checkpoint is not None else None
            if stop == CANCEL:
                cancel_rest(send)
                return FINISHED
            if stop == PAUSE:
                send.state, send.control = "paused", None
                db.session.commit()
                audit.info("send %s paused", send.id)
                return PAUSED
            if stop in (STOPPED, BUSY):
                if stop == STOPPED:
                    send.state = "queued"
                    db.session.commit()
                audit.info("send %s left to the next consumer (%s)", send.id, stop)
                return stop
            if not started:
                db.session.execute(
                    update(Send)
                    .where(Send.id == send_id, Send.started_at.is_(None))
                    .values(started_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
                started = True
            _send_batch(client, json.loads(task.msg_json) if task.msg_json else msg, task, channel)
        db.session.expunge(task)
    if send.control == CANCEL:  # asked too late: nothing was left to cancel
        send.control = None
    settle_after_send(send)
    db.session.commit()
    audit.info("send %s is %s (errcode %s)", send.id, send.state, send.errcode)
    return FINISHED


def fail_unconfigured(send: Send, error: NotConfigured) -> None:
    """No client in this consumer: every batch not yet out fails (nothing sent), with the reason.

    Recorded as the client refusing a call before sending it (reason ``invalid``): the
    page says "not sent" and why (``dashboard.delivery.unconfigured``).
    """
    from dashboard.delivery.unconfigured import not_configured_text

    text = not_configured_text(error)
    for task in send.tasks:
        if task.interrupted:
            task.give_up()
        elif task.may_send:
            task.refuse(InvalidMessage("agent", text))
    send.control = None
    settle_after_send(send)
    db.session.commit()
    audit.warning("send %s not sent: no DingTalk client (%s)", send.id, type(error).__name__)


def cancel_rest(send: Send) -> int:
    """Cancel the batches not yet out (never sent) and settle; returns how many were cancelled."""
    cancelled = 0
    for task in send.tasks:
        if task.interrupted:
            task.give_up()
        elif task.may_send:
            task.state = CANCELLED
            task.finished_at = utcnow()
            cancelled += 1
    send.control = None
    settle_after_send(send)
    db.session.commit()
    audit.info("send %s cancelled: %d batches not sent", send.id, cancelled)
    return cancelled


def _task_ids(send_id: int) -> list[int]:
    """The send's batches in their order, as ids (loaded one at a time by the delivery)."""
    query = select(SendTask.id).where(SendTask.send_id == send_id).order_by(SendTask.batch_no)
    return list(db.session.scalars(query))


def _has_pending(send_id: int) -> bool:
    query = select(SendTask.id).where(SendTask.send_id == send_id, SendTask.state == PENDING)
    return db.session.scalars(query.limit(1)).first() is not None


def _send_batch(
    client: DingTalkClient, msg: dict[str, Any], task: SendTask, channel: str | None = None
) -> None:
    """One asyncsend_v2 call on record; a failure stays on the task (failed or unknown)."""
    way = get_channel(channel if channel is not None else task.send.channel)
    if way is not None:  # the channel's own call, on record the same way
        way.send_batch(task, msg)
        return

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

    A cancelled batch makes the send ``cancelled`` (the page says who was not
    reached). Any batch ``unknown`` makes the send ``unknown`` (it may have reached
    people, it is never sent again); all failed is ``failed``, some failed ``partial``.
    """
    states = Counter(task.state for task in send.tasks)
    first_error = next((t for t in send.tasks if t.state in (FAILED, UNKNOWN)), None)
    if first_error is not None:
        send.errcode = first_error.errcode
        send.errmsg = first_error.errmsg
        send.reason = first_error.reason
    if states[CANCELLED]:
        send.state = "cancelled"
    elif states[UNKNOWN]:
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
    """Recall every accepted task of a send (last 24 hours only), through the queue.

    One Recall attempt per task is recorded (never started), committed, and the queue's
    ``recall_send`` makes the calls (:func:`run_recalls`). Returns the attempts as the
    caller may show them: in immediate mode they have their outcome, else they are
    still ``pending`` (queued).
    """
    if not send.within_result_window:
        raise InvalidMessage("send", _("Only notifications of the last 24 hours can be recalled."))
    if is_unsettled(send):
        raise InvalidMessage("send", _("This notification is still being sent: cancel it first."))
    tasks = [t for t in send.tasks if t.accepted and t.recalled_at is None]
    if not tasks:
        raise InvalidMessage("send", _("This notification has nothing left to recall."))
    way = get_channel(send.channel)
    get_client(corpid=send.corpid) if way is None else way.client(send.corpid)  # no client
    attempts = [
        Recall(send=send, task_id=task.task_id if way is None else task.id, user=user)
        for task in tasks
    ]
    db.session.add_all(attempts)
    db.session.commit()
    ids, send_id = [a.id for a in attempts], send.id
    from dashboard.delivery.tasks import recall_send

    recall_send.enqueue(send_id)
    db.session.expire_all()
    return [db.session.get(Recall, i) for i in ids]


def run_recalls(send_id: int) -> str:
    """The queue's task: make the send's recall attempts not yet started (one run at a time)."""
    from dashboard.delivery.tasks import deliver_later

    send = db.session.get(Send, send_id)
    if send is None:
        return GONE
    holder = worker_identity()
    if not claim(send_id, holder):
        deliver_later(send_id, claim_seconds() + 1, task="recall_send")
        return BUSY
    try:
        db.session.refresh(send)
        way = get_channel(send.channel)
        by_task_id = {(t.task_id if way is None else t.id): t for t in send.tasks if t.accepted}
        attempts = [a for a in send.recalls if a.state == PENDING]
        try:
            if way is not None:
                client = way.client(send.corpid) if attempts else None
            else:
                client = get_client(corpid=send.corpid) if attempts else None
        except NotConfigured as exc:  # as for a send: failed, nothing sent, the reason said
            from dashboard.delivery.unconfigured import not_configured_text

            refusal = InvalidMessage("agent", not_configured_text(exc))
            for attempt in attempts:
                if attempt.interrupted:
                    attempt.give_up()
                else:
                    attempt.refuse(refusal)
            attempts = []
        for attempt in attempts:
            if attempt.interrupted:
                attempt.give_up()
                db.session.commit()
            elif attempt.may_send and way is not None:
                way.recall_task(by_task_id[attempt.task_id], attempt)
            elif attempt.may_send:
                _recall_task(client, by_task_id[attempt.task_id], attempt)
        if by_task_id and all(t.recalled_at for t in by_task_id.values()):
            send.state = "recalled"
            send.recalled_at = send.recalled_at or utcnow()
        db.session.commit()
        audit.info(
            "send %s recall: %d of %d attempts recalled",
            send.id, sum(a.ok for a in attempts), len(attempts),
        )  # fmt: skip
    finally:
        db.session.rollback()
        release(send_id, holder)
    return FINISHED


# --- what an admin asks of a send in progress ---------------------------------------------


def request_cancel(send: Send) -> None:
    """Cancel what is not yet out: at once when no consumer works the send, else between batches."""
    _request(send, CANCEL)


def request_pause(send: Send) -> None:
    """Pause after the current batch (at once when no consumer works the send)."""
    _request(send, PAUSE)


def _request(send: Send, what: str) -> None:
    if not is_unsettled(send):
        raise InvalidMessage("send", _("This notification is no longer being sent."))
    if what == PAUSE and send.state == "paused":
        return
    send.control = what
    db.session.commit()
    audit.info("send %s: %s requested", send.id, what)
    holder = f"web:{worker_identity()}"
    if not claim(send.id, holder):
        return  # a consumer works it: it applies the request before its next batch
    try:
        db.session.refresh(send)
        if send.control == CANCEL:
            cancel_rest(send)
        elif send.control == PAUSE:
            send.state, send.control = "paused", None
            db.session.commit()
    finally:
        release(send.id, holder)
        db.session.refresh(send)


def resume(send: Send) -> Send:
    """Queue a paused send again (a pause not yet applied is simply withdrawn)."""
    if send.control == PAUSE:
        send.control = None
        db.session.commit()
    if send.state != "paused":
        return send
    send.state = "queued"
    db.session.commit()
    audit.info("send %s resumed", send.id)
    return queue_delivery(send)


def is_unsettled(send: Send) -> bool:
    """Some batch is still to go out (or on the wire): cancel and pause apply."""
    return any(t.state == PENDING for t in send.tasks)


# --- a consumer starting ------------------------------------------------------------------


def release_dead_claims() -> int:
    """Drop this host's claims whose process is gone (a SIGKILL): no waiting for them to run out."""
    host = socket.gethostname()
    released = 0
    rows = db.session.execute(db.select(Send).where(Send.claimed_by.like(f"{host}:%"))).scalars()
    for send in rows:
        _, pid, process = (send.claimed_by.split(":") + ["", ""])[:3]
        if process == _PROCESS or not pid.isdigit():
            continue
        if int(pid) == os.getpid() or not _alive(int(pid)):
            send.claimed_by = send.claimed_until = None
            released += 1
    db.session.commit()
    return released


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def unfinished_send_ids() -> list[int]:
    """Sends with a batch still to go out or interrupted, that nobody paused."""
    return list(
        db.session.execute(
            db.select(SendTask.send_id)
            .join(Send)
            .where(SendTask.state == PENDING, Send.state != "paused")
            .distinct()
            .order_by(SendTask.send_id)
        ).scalars()
    )


def resume_unfinished() -> list[int]:
    """Queue every unfinished send again (a consumer's one scan at start); returns their ids."""
    from dashboard.delivery.tasks import deliver_send, recall_send

    release_dead_claims()
    ids = unfinished_send_ids()
    for send_id in ids:
        deliver_send.enqueue(send_id)
    recalls = db.session.execute(
        db.select(Recall.send_id).where(Recall.state == PENDING).distinct()
    ).scalars()
    for send_id in recalls:
        recall_send.enqueue(send_id)
    if ids:
        audit.info("re-queued %d unfinished sends: %s", len(ids), ids)
    return ids


# --- sending again to the recipients whose delivery is unknown ------------------------------


def unknown_recipients(send: Send) -> dict[str, Any]:
    """The recipients of the send's ``unknown`` batches, as a new send would take them."""
    userids: list[str] = []
    dept_ids: list[int] = []
    to_all = False
    for task in send.tasks:
        if task.state == UNKNOWN:
            userids.extend(u for u in task.userids if u not in userids)
            dept_ids.extend(d for d in task.dept_ids if d not in dept_ids)
            to_all = to_all or task.to_all_user
    return {"userid_list": userids, "dept_id_list": dept_ids, "to_all_user": to_all}


def delivery_counts(send: Send) -> dict[str, Any]:
    """Batches and recipients so far, the rate and an ETA: the live progress of a send."""
    tasks = send.tasks
    states = Counter(t.state for t in tasks)
    settled = [t for t in tasks if t.state != PENDING]
    left = [t for t in tasks if t.may_send]
    elapsed = None
    rate = None
    eta = None
    if send.started_at is not None:
        ends = [t.finished_at for t in settled if t.finished_at and t.state != CANCELLED]
        end = utcnow() if left and send.state == "sending" else max(ends, default=utcnow())
        elapsed = max(0.0, (end - send.started_at).total_seconds())
        called = len([t for t in settled if t.state != CANCELLED])
        if called and elapsed > 0:
            rate = called / elapsed
            if left and send.state == "sending":
                eta = len(left) / rate
    return {
        "batches_total": len(tasks),
        "batches_done": len(settled),
        "batches_sent": states[DONE],
        "batches_failed": states[FAILED],
        "batches_unknown": states[UNKNOWN],
        "batches_cancelled": states[CANCELLED],
        "batches_left": len(left),
        "recipients_total": sum(len(t.userids) for t in tasks),
        "recipients_reached": sum(len(t.userids) for t in tasks if t.state == DONE),
        "recipients_unknown": sum(len(t.userids) for t in tasks if t.state == UNKNOWN),
        "recipients_not_reached": sum(len(t.userids) for t in tasks if t.state == CANCELLED),
        "departments_not_reached": sum(len(t.dept_ids) for t in tasks if t.state == CANCELLED),
        "elapsed_s": None if elapsed is None else round(elapsed, 1),
        "rate_per_s": None if rate is None else round(rate, 2),
        "eta_s": None if eta is None else round(eta, 1),
        "control": send.control,
    }
