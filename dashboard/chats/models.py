"""What the console remembers about group chats.

DingTalk has no "list my chats" and no "list messages" call, so every chat
created here and every message sent into a chat is recorded, failures included
(``dashboard.attempts.Attempt``: state, errcode, errmsg, reason, request_id),
or the admin would lose track of them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from dashboard.attempts import Attempt
from dashboard.auth.models import utcnow
from dashboard.composer.message import message_summary
from dashboard.extensions import db


class Chat(Attempt, db.Model):
    """One chat/create attempt; `chatid` is set when DingTalk created the chat."""

    __tablename__ = "chats"

    id: Mapped[int] = mapped_column(primary_key=True)
    chatid: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    open_conversation_id: Mapped[str | None] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(64))
    members: Mapped[list[str]] = mapped_column(JSON, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(80))
    # ISV mode: the authorised company the chat belongs to (None for an internal app).
    corpid: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<Chat {self.chatid or 'failed'} {self.name!r}>"


class ChatMessage(Attempt, db.Model):
    """One chat/send attempt; `message_id` is DingTalk's (encrypted, with `+ / =`).

    Recorded ``pending`` and handed to the delivery queue (``dashboard.chats.service``):
    ``pending`` without ``attempted_at`` is queued, with it the call is on the wire.
    """

    __tablename__ = "chat_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    chatid: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[str | None] = mapped_column(String(255))
    msgtype: Mapped[str] = mapped_column(String(20))
    msg: Mapped[dict[str, Any]] = mapped_column(JSON)
    sender: Mapped[str] = mapped_column(String(80))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # ISV mode: the company the message is sent for (the consumer's client); None internally.
    corpid: Mapped[str | None] = mapped_column(String(64), index=True)
    #: DingTalk's chat/send reply as it came (the JSON API answers it after the queue sent it).
    reply: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    @property
    def queued(self) -> bool:
        """Recorded, waiting for the queue: its call has not started."""
        return self.may_send

    @property
    def summary(self) -> str:
        """A one-line description of the message for lists."""
        return message_summary(self.msg, self.msgtype)

    def __repr__(self) -> str:
        return f"<ChatMessage {self.id} {self.chatid} {self.msgtype}>"
