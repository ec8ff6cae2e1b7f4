"""Group chats: chat/create, chat/get, chat/send, chat/getReadList (§6)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from dashboard.sandbox.errors import (
    CHAT_MEMBER_LIMIT,
    CHAT_OWNER_NOT_MEMBER,
    INVALID_USER,
    OapiError,
    invalid_param,
    missing_param,
)
from dashboard.sandbox.msgtypes import MSGTYPES, validate_msg
from dashboard.sandbox.routing import OapiCall, oapi_route
from dashboard.sandbox.state import Chat, ChatMessage, new_chat_ids, read_at

bp = Blueprint("sandbox_chats", __name__)

# chat/create options that take 0 or 1 (§6.1).
FLAG_OPTIONS = (
    "showHistoryType",
    "searchable",
    "validationType",
    "mentionAllAuthority",
    "managementType",
    "chatBannedType",
)


def require_chat(call: OapiCall) -> Chat:
    """The chat named by `chatid`, or the unknown-chat errcode."""
    chatid = call.params.string("chatid", required=True)
    chat = call.state.chats.get(chatid or "")
    if chat is None:
        raise OapiError(call.settings.unknown_chat_errcode, f"会话不存在: {chatid}")
    return chat


@oapi_route(bp, "/chat/create", "POST")
def chat_create(call: OapiCall) -> dict[str, Any]:
    """Create a group: name 1-20 chars, owner among ≤40 known members (§6.1)."""
    params = call.params
    settings = call.settings
    name = params.string("name", required=True) or ""
    if not 1 <= len(name) <= settings.chat_name_max:
        raise invalid_param(f"name must be 1 to {settings.chat_name_max} characters")
    owner = params.string("owner", required=True) or ""
    shape = "any" if settings.loose_id_lists else "array"
    members = list(dict.fromkeys(params.string_list("useridlist", shape) or []))
    if not members:
        raise missing_param("useridlist")
    if owner not in members:
        raise OapiError(CHAT_OWNER_NOT_MEMBER)
    limit = min(settings.chat_create_members_max, settings.chat_members_max)
    if len(members) > limit:
        raise OapiError(CHAT_MEMBER_LIMIT, f"群成员数超过限制: 每次最多 {limit} 人")
    unknown = [m for m in members if m not in call.company.users]
    if unknown:
        raise OapiError(INVALID_USER, f"不合法的UserID: {','.join(unknown)}")
    options: dict[str, int] = {}
    for option in FLAG_OPTIONS:
        value = params.integer(option, default=0)
        if value not in (0, 1):
            raise invalid_param(f"{option} must be 0 or 1")
        options[option] = value or 0
    tag = params.integer("conversationTag", default=2)
    chatid, open_id = new_chat_ids()
    chat = Chat(
        chatid=chatid,
        open_conversation_id=open_id,
        name=name,
        owner=owner,
        members=members,
        conversation_tag=tag if tag is not None else 2,
        options=options,
        icon=params.string("icon", default="") or "",
    )
    call.state.add_chat(chat)
    return {
        "chatid": chat.chatid,
        "openConversationId": chat.open_conversation_id,
        "conversationTag": chat.conversation_tag,
    }


@oapi_route(bp, "/chat/get", "GET")
def chat_get(call: OapiCall) -> dict[str, Any]:
    """Chat details; status 1 normal, 2 dissolved (§6.2)."""
    chat = require_chat(call)
    info: dict[str, Any] = {
        "name": chat.name,
        "owner": chat.owner,
        "useridlist": list(chat.members),
        "agentidlist": [],
        "extidlist": [],
        "icon": chat.icon,
        "conversationTag": chat.conversation_tag,
    }
    for option in FLAG_OPTIONS:
        info[option] = chat.options.get(option, 0)
    info["status"] = chat.status
    return {"chat_info": info}


def message_from_params(call: OapiCall) -> dict[str, Any]:
    """The msg object from the current `msg` form or the legacy top-level msgtype form."""
    params = call.params
    msg = params.obj("msg")
    if msg is not None:
        return msg
    msgtype = params.string("msgtype")
    if not msgtype:
        raise missing_param("msg")
    if msgtype not in MSGTYPES:
        raise invalid_param(f"msgtype {msgtype!r}")
    body = params.obj(msgtype)
    if body is None:
        raise missing_param(msgtype)
    return {"msgtype": msgtype, msgtype: body}


@oapi_route(bp, "/chat/send", "POST")
def chat_send(call: OapiCall) -> dict[str, Any]:
    """Send to a group; the messageId contains '+', '/' and '=' (§6.3)."""
    chat = require_chat(call)
    if chat.status != 1:
        raise invalid_param("the chat has been dissolved")
    msg = message_from_params(call)
    validate_msg(msg, call.settings.msg_max_bytes)
    message_id = call.state.new_message_id(chat.chatid)
    call.state.messages[message_id] = ChatMessage(
        message_id=message_id,
        chatid=chat.chatid,
        sent_at=call.now,
        readers=list(chat.members),
        msg=msg,
        seq=len(call.state.messages) + 1,
    )
    return {"messageId": message_id}


@oapi_route(bp, "/chat/getReadList", "GET")
def chat_get_read_list(call: OapiCall) -> dict[str, Any]:
    """Who has read a message, paged by cursor; no next_cursor on the last page (§6.4)."""
    params = call.params
    settings = call.settings
    message_id = params.string("messageId", required=True)
    message = call.state.messages.get(message_id or "")
    if message is None:
        raise invalid_param(f"messageId {message_id!r} is unknown")
    cursor = params.integer("cursor", required=True)
    size = params.integer("size", required=True)
    if cursor is None or cursor < 0:
        raise invalid_param("cursor must be 0 or more")
    limit = settings.read_list_size_max
    if size is None or not 1 <= size <= limit:
        raise invalid_param(f"size must be between 1 and {limit}")
    if size > len(message.readers):
        raise invalid_param("size must not exceed the number of group members")
    now = call.now
    reads: list[tuple[float, str]] = []
    for userid in message.readers:
        when = read_at(
            f"message{message.seq}:{userid}",
            message.sent_at,
            settings.chat_read_ratio,
            settings.chat_read_spread,
        )
        if when is not None and when <= now:
            reads.append((when, userid))
    reads.sort()
    page = [userid for _, userid in reads[cursor : cursor + size]]
    body: dict[str, Any] = {"readUserIdList": page}
    if settings.read_list_stuck:
        body["next_cursor"] = cursor
    elif cursor + size < len(reads):
        body["next_cursor"] = cursor + size
    return body
