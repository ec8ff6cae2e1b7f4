"""Group chats: the rules, the DingTalk calls and the records, for views and the JSON API.

Local rules (name length, owner among the members, 40 members per create) are
checked before DingTalk is called, so invalid input never costs a call. Every
attempt that reaches DingTalk is recorded (``dashboard.attempts.record_call``: before
the call, then done, failed or unknown with errcode, errmsg and a reason).

Messages go out through the delivery queue, like work notifications:
:func:`queue_chat_message` records the message ``pending`` and enqueues
``deliver_chat_message``; the consumer runs :func:`deliver_message` (one atomic
update starts the call, so a duplicate task never sends it twice; a call
interrupted mid-flight is ``unknown``, never sent again). The JSON API's chatSend
(:func:`send_chat_message`) waits for that one call, as asyncsend_v2 waits for its
one batch, and answers DingTalk's reply as it came.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from dashboard import attempts
from dashboard.attempts import PENDING, record_call, utcnow
from dashboard.auth import permissions
from dashboard.chats.models import Chat, ChatMessage
from dashboard.composer.recipients import parse_userids
from dashboard.delivery.unconfigured import NOT_CONFIGURED, not_configured_text
from dashboard.dingtalk import DingTalkClient
from dashboard.dingtalk.errors import (
    ApiError,
    DingTalkError,
    InvalidMessage,
    NotFound,
    RequestTimeout,
)
from dashboard.dingtalk.messages import validate_msg
from dashboard.extensions import db
from dashboard.services.dingtalk import (
    NotConfigured,
    current_company,
    get_client,
    of_current_company,
)

log = logging.getLogger(__name__)

NAME_MAX = 20
CREATE_MEMBERS_MAX = 40
USERID_MAX = 64
READ_LIST_PAGE_MAX = 100
#: The optional chat/create settings offered by the console (all 0/1 on the wire).
SETTINGS = (
    "showHistoryType",
    "searchable",
    "validationType",
    "mentionAllAuthority",
    "managementType",
    "chatBannedType",
)

DISSOLVED = 2
#: DingTalk codes with a plain-words story whatever the call (§6.1 and the error table).
BY_CODE = {
    49005: "member_limit",
    49006: "owner_not_member",
    49007: "create_limit",
    49003: "owner_left",
}
#: Codes that mean "a userid is unknown" on chat/create (40003 invalid userid, not found).
UNKNOWN_USER_CODES = frozenset({40003, 60121, 33012, 60003})
#: Why a chat call failed, in words; the key is recorded with the failed row.
REASONS = {
    "stuck_cursor": _l(
        "DingTalk kept returning the same read-list page, so the list was stopped "
        "instead of looping. Try again later."
    ),
    "unreachable": _l("DingTalk could not be reached or gave no usable answer. Try again later."),
    "no_answer": _l(
        "DingTalk did not answer in time: it may have acted anyway, so nothing was sent again. "
        "Check the chat before trying again."
    ),
    "throttled": _l("DingTalk is limiting requests right now. Wait a minute and try again."),
    "credentials": _l("DingTalk refused the app's credentials. Check the app key and secret."),
    "permission": _l("The app is not allowed to do this. Check its permissions in DingTalk."),
    "member_limit": _l("The chat would have more members than DingTalk allows."),
    "owner_not_member": _l("The owner must be a member of the chat."),
    "create_limit": _l("The app has created too many chats. Try again later."),
    "owner_left": _l("The chat's owner has left it, so DingTalk refused the request."),
    "unknown_user": _l(
        "DingTalk does not know one of the userids. Check the members and the owner."
    ),
    "chat_not_found": _l(
        "DingTalk does not know this chat. Only chats created with the server API can be opened."
    ),
    "dissolved": _l("The chat has been dissolved, so messages can no longer be sent into it."),
    NOT_CONFIGURED: _l(
        "Not sent: the delivery worker could not act for DingTalk (no credentials, or the "
        "company no longer authorises the suite). Nothing went out; fix the worker's "
        "configuration, restart it, then send again."
    ),
}
SEND_PATH = "/chat/send"
#: Outcomes of one deliver_message run (as sending.deliver's).
FINISHED, BUSY, GONE = "finished", "busy", "gone"


class ValidationError(ValueError):
    """Input broke a local rule; `errors` maps each field to a translated message."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors = dict(errors)
        self.field, self.message = next(iter(self.errors.items()))
        super().__init__(str(self))

    def __str__(self) -> str:
        return "; ".join(str(message) for message in self.errors.values())


def check_chat(
    *, name: str | None, owner: str | None, useridlist: str | Iterable[str] | None
) -> tuple[str, str, list[str]]:
    """Apply the chat/create rules; return (name, owner, members) or raise ValidationError."""
    errors: dict[str, Any] = {}
    name = (name or "").strip()
    owner = (owner or "").strip()
    members = parse_userids(useridlist)
    if not name:
        errors["name"] = _l("Enter a name for the chat.")
    elif len(name) > NAME_MAX:
        errors["name"] = _l(
            "The chat name must be 1 to %(max)s characters; this one has %(count)s.",
            max=NAME_MAX,
            count=len(name),
        )
    if not members:
        errors["useridlist"] = _l("Enter at least one member.")
    elif len(members) > CREATE_MEMBERS_MAX:
        errors["useridlist"] = _l(
            "A chat can be created with at most %(max)s members; there are %(count)s.",
            max=CREATE_MEMBERS_MAX,
            count=len(members),
        )
    elif any(len(userid) > USERID_MAX for userid in members):
        errors["useridlist"] = _l("A userid is longer than %(max)s characters.", max=USERID_MAX)
    if not owner:
        errors["owner"] = _l("Enter the owner's userid.")
    elif members and owner not in members:
        errors["owner"] = _l("The owner must be a member of the chat.")
    if errors:
        raise ValidationError(errors)
    return name, owner, members


def check_settings(settings: Mapping[str, Any] | None) -> dict[str, int]:
    """Keep the known optional settings as 0/1 integers; raise ValidationError otherwise."""
    clean: dict[str, int] = {}
    for key, value in (settings or {}).items():
        if key not in SETTINGS:
            raise ValidationError({key: _l("%(name)s is not a chat setting.", name=key)})
        if value is None or value == "":
            continue
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = -1
        if isinstance(value, bool) or number not in (0, 1):
            raise ValidationError({key: _l("%(name)s must be 0 or 1.", name=key)})
        clean[key] = number
    return clean


def create_chat(
    *,
    name: str,
    owner: str,
    useridlist: str | Iterable[str],
    settings: Mapping[str, Any],
    created_by: str,
) -> Chat:
    """Create a group with chat/create and remember it.

    The returned Chat carries DingTalk's reply, as it came, in `dingtalk_reply`
    (not stored). Raises ValidationError (nothing called, nothing recorded) for local rule
    violations; a DingTalkError is recorded as a failed Chat (`error.record`), then raised.
    """
    name, owner, members = check_chat(name=name, owner=owner, useridlist=useridlist)
    options = check_settings(settings)
    # A sender limited to departments: every member inside them (OutOfScope otherwise)
    permissions.check_send_scope(members, [], False)
    chat = Chat(
        name=name,
        owner=owner,
        members=members,
        settings=options,
        created_by=created_by,
        corpid=current_company(),
    )
    client = get_client()  # before anything is recorded (NoCompanySelected leaves no row)

    def keep(reply: dict[str, Any]) -> None:
        chat.chatid = reply.get("chatid")
        chat.open_conversation_id = reply.get("openConversationId")

    try:
        reply = record_call(
            chat,
            lambda: client.chats.create_chat(name, owner, members, **options),
            reason=lambda error: failure_reason(error, operation="create"),
            on_success=keep,
        )
    except InvalidMessage as exc:
        db.session.delete(chat)  # refused locally: nothing went out
        db.session.commit()
        raise ValidationError({exc.field: exc.reason}) from exc
    chat.dingtalk_reply = reply
    log.info("chat %s created by %s with %d members", chat.chatid, created_by, len(members))
    return chat


def queue_chat_message(*, chatid: str, msg: Mapping[str, Any], sender: str) -> ChatMessage:
    """Validate, record (``pending``) and queue one message into a chat; answers at once.

    Returns the record as the caller may show it: ``pending`` while the queue has not
    sent it (in immediate mode it has its outcome). Raises ValidationError (nothing
    recorded, nothing sent) for a missing chatid or an invalid msg, and NotConfigured
    (nothing recorded) without a client.
    """
    chatid = (chatid or "").strip()
    if not chatid:
        raise ValidationError({"chatid": _l("Enter a chatid.")})
    try:
        validate_msg(msg)
    except InvalidMessage as exc:
        raise ValidationError({exc.field: exc.reason}) from exc
    # A sender limited to departments: only chats whose members are all inside them
    permissions.check_group_scope(chatid=chatid)
    get_client()  # before anything is recorded
    record = ChatMessage(
        chatid=chatid,
        msgtype=msg["msgtype"],
        msg=dict(msg),
        sender=sender,
        corpid=current_company(),
        state=PENDING,
    )
    db.session.add(record)
    db.session.commit()
    record_id = record.id
    log.info("%s message %s queued for chat %s by %s", record.msgtype, record_id, chatid, sender)
    from dashboard.delivery.tasks import deliver_chat_message

    deliver_chat_message.enqueue(record_id)
    db.session.expire_all()  # immediate mode: the task ran in a session of its own
    return db.session.get(ChatMessage, record_id)


def send_chat_message(
    *, chatid: str, msg: Mapping[str, Any], sender: str, timeout: float | None = None
) -> ChatMessage:
    """The JSON API's chatSend: queue the message, wait for its one call, answer as DingTalk did.

    The wait is asyncsend_v2's for one batch (``dashboard.api.sends.delivery_wait``:
    the budget's wait, the call's timeout, the pickup). The returned record carries
    DingTalk's reply as it came in ``dingtalk_reply``; a refusal is raised as the
    DingTalkError DingTalk answered (``error.record`` is the failed record). Not
    picked up in time, it raises RequestTimeout: the message stays queued and goes
    out when a consumer runs (it is never sent twice).
    """
    from dashboard.api.sends import delivery_wait

    record = queue_chat_message(chatid=chatid, msg=msg, sender=sender)
    if not wait_for_message(record, delivery_wait() if timeout is None else timeout):
        error = RequestTimeout(
            "chat/send: queued, not sent within the wait; it goes out when a consumer runs",
            path=SEND_PATH,
            outcome_unknown=True,
        )
        error.record = record
        raise error
    if record.ok:
        record.dingtalk_reply = dict(record.reply or {"errcode": 0, "errmsg": "ok"})
        return record
    if record.reason == "invalid":  # the client refused the msg: nothing went out
        raise ValidationError({"msg": record.errmsg or ""})
    error = record.recorded_error()
    if error is None:
        if record.reason == NOT_CONFIGURED:
            raise NotConfigured(record.errmsg or "")
        error = RequestTimeout(
            "chat/send: no answer in time; the message may have been sent",
            path=SEND_PATH,
            outcome_unknown=True,
        )
    error.record = record
    raise error


def wait_for_message(
    record: ChatMessage, timeout: float, *, clock=time.monotonic, sleep=time.sleep
) -> bool:
    """Wait until the message has an outcome; False when ``timeout`` passed first.

    Each look ends the session's transaction first, so the consumer's commit is seen.
    """
    deadline = clock() + timeout
    delay = 0.02
    while record.state == PENDING:
        if clock() >= deadline:
            return False
        sleep(min(delay, max(0.0, deadline - clock())))
        delay = min(delay * 1.5, 0.25)
        db.session.commit()
        db.session.refresh(record)
    return True


def deliver_message(message_id: int) -> str:
    """The queue's task: make the chat/send call of the recorded message, once.

    ``finished`` (it has an outcome, or had one), ``busy`` (another consumer started
    it: looked at again once that consumer's call must have ended), ``gone``.
    """
    from dashboard.delivery.tasks import deliver_later

    record = db.session.get(ChatMessage, message_id)
    if record is None:
        return GONE
    if record.state != PENDING:
        return FINISHED  # a duplicate of the task
    if record.interrupted:
        started = utcnow() - record.attempted_at
        if started < timedelta(seconds=_claim_seconds()):
            deliver_later(message_id, _claim_seconds() + 1, task="deliver_chat_message")
            return BUSY  # on the wire in another consumer, or its consumer died just now
        record.give_up()  # its consumer died mid-call: it may have gone out, never again
        db.session.commit()
        log.warning("chat message %s interrupted mid-call: unknown, not sent again", message_id)
        return FINISHED
    try:
        client = get_client(corpid=record.corpid)
    except NotConfigured as exc:  # failed, nothing sent (see dashboard.delivery.unconfigured)
        record.refuse(InvalidMessage("agent", not_configured_text(exc)))
        record.reason = NOT_CONFIGURED
        db.session.commit()
        log.warning("chat message %s not sent: no DingTalk client", message_id)
        return FINISHED
    # One atomic update starts the call: of two runs of the task, one sends.
    taken = db.session.execute(
        update(ChatMessage)
        .where(
            ChatMessage.id == message_id,
            ChatMessage.state == PENDING,
            ChatMessage.attempted_at.is_(None),
        )
        .values(attempted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if taken.rowcount != 1:
        return BUSY
    db.session.refresh(record)
    _send_message(client, record)
    return FINISHED


def _send_message(client: DingTalkClient, record: ChatMessage) -> None:
    """One chat/send call on record (its failure stays on the record, with a diagnosis)."""
    chatid, msg = record.chatid, dict(record.msg)

    def keep(reply: dict[str, Any]) -> None:
        record.message_id = reply.get("messageId")
        record.reply = dict(reply)

    try:
        record_call(
            record,
            lambda: client.chats.send_chat_message(chatid, msg),
            reason=lambda error: _diagnose_send(chatid, error, client),
            on_success=keep,
        )
    except (DingTalkError, InvalidMessage):
        pass  # recorded: failed or unknown, with errcode, errmsg and the reason
    else:
        log.info("%s message %s sent into chat %s", record.msgtype, record.id, chatid)


def resume_pending_messages() -> list[int]:
    """Queue every message still ``pending`` again (a consumer's one scan at start)."""
    from dashboard.delivery.tasks import deliver_chat_message

    ids = list(
        db.session.execute(
            db.select(ChatMessage.id).where(ChatMessage.state == PENDING).order_by(ChatMessage.id)
        ).scalars()
    )
    for message_id in ids:
        deliver_chat_message.enqueue(message_id)
    return ids


def _claim_seconds() -> float:
    from dashboard.notifications.sending import claim_seconds

    return claim_seconds()


def get_chat_info(chatid: str, client: DingTalkClient | None = None) -> dict[str, Any]:
    """chat/get: name, owner, useridlist, settings and status (1 normal, 2 dissolved)."""
    return (client or get_client()).chats.get_chat(chatid).get("chat_info") or {}


def read_status(message: ChatMessage, *, size: int | None = None) -> dict[str, Any]:
    """Who read `message` and who has not (members minus readers), following every page.

    The members come from chat/get; the page size is at most 100 and never above
    the member count. Raises PaginationError when DingTalk's cursor does not advance.
    """
    if not message.message_id:
        raise ValidationError({"messageId": _l("This message was not sent.")})
    members = [str(u) for u in get_chat_info(message.chatid).get("useridlist") or []]
    page_size = max(1, min(size or READ_LIST_PAGE_MAX, READ_LIST_PAGE_MAX, len(members) or 1))
    readers = parse_userids(get_client().chats.iter_read_list(message.message_id, size=page_size))
    reader_set = set(readers)
    return {
        "members": members,
        "read": [u for u in members if u in reader_set]
        + [u for u in readers if u not in set(members)],
        "unread": [u for u in members if u not in reader_set],
    }


def remembered_chats() -> list[Chat]:
    """Chats created here (and failed attempts), newest first."""
    query = db.select(Chat).where(of_current_company(Chat.corpid)).order_by(Chat.id.desc())
    return list(db.session.execute(query).scalars())


def find_chat(chatid: str) -> Chat | None:
    return db.session.execute(db.select(Chat).filter_by(chatid=chatid)).scalar_one_or_none()


def chat_messages(chatid: str) -> list[ChatMessage]:
    """Messages sent into `chatid` from the console, newest first."""
    query = db.select(ChatMessage).filter_by(chatid=chatid).order_by(ChatMessage.id.desc())
    return list(db.session.execute(query).scalars())


def failure_reason(error: DingTalkError, *, operation: str = "") -> str | None:
    """Classify a DingTalk failure as one of REASONS (None when it has no plain-words story)."""
    shared = attempts.failure_reason(error)
    if shared is not None:
        return shared
    code = error.code if isinstance(error, ApiError) else None
    if code in BY_CODE:
        return BY_CODE[code]
    if operation == "create" and code in UNKNOWN_USER_CODES:
        return "unknown_user"
    if isinstance(error, NotFound):
        return "chat_not_found"
    return None


def explain(
    error: DingTalkError | None = None,
    *,
    errcode: int | None = None,
    reason: str | None = None,
    operation: str = "",
) -> str:
    """Say in words why DingTalk refused a chat call (from an error, or a recorded failure)."""
    if error is not None:
        reason = reason or failure_reason(error, operation=operation)
        errcode = error.code
    if reason in REASONS:
        return str(REASONS[reason])
    if errcode is None:
        return str(_l("DingTalk could not be reached or gave no usable answer. Try again later."))
    return str(_l("DingTalk refused the request (errcode %(code)s).", code=errcode))


def _diagnose_send(
    chatid: str, error: DingTalkError, client: DingTalkClient | None = None
) -> str | None:
    """After a refused chat/send, one chat/get tells a dissolved chat or a departed owner apart."""
    reason = failure_reason(error, operation="send")
    if reason is not None or not isinstance(error, ApiError):
        return reason
    try:
        info = get_chat_info(chatid, client=client)
    except NotFound:
        return "chat_not_found"
    except DingTalkError:
        return None
    if info.get("status") == DISSOLVED:
        return "dissolved"
    if info.get("owner") and info.get("owner") not in (info.get("useridlist") or []):
        return "owner_left"
    return None


def explain_record(record: Chat | ChatMessage) -> str:
    """The plain-words reason recorded with a failed chat or message."""
    return explain(errcode=record.errcode, reason=record.reason)
