"""Group chats (``chat/*``): create and send are POST JSON, get and getReadList GET."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ..errors import InvalidMessage, PaginationError
from ..messages import validate_msg, wire_msg
from .base import BaseAPI, JSONDict, Request, as_int, check_max_pages, check_page_size

CHAT_SEND = "/chat/send"
CHAT_NAME_MAX = 20
#: chat/create settings, by wire name; snake_case aliases are accepted too.
CHAT_SETTINGS = {
    "showHistoryType": "show_history_type",
    "searchable": "searchable",
    "validationType": "validation_type",
    "mentionAllAuthority": "mention_all_authority",
    "managementType": "management_type",
    "chatBannedType": "chat_banned_type",
    "ownerType": "owner_type",
    "extidlist": "extidlist",
    "conversationTag": "conversation_tag",
    "icon": "icon",
}
_ALIASES = {snake: wire for wire, snake in CHAT_SETTINGS.items()}
#: Settings that are ints on the wire (§6.1); True/False and "0"/"1" are converted.
INT_SETTINGS = frozenset(
    {
        "showHistoryType",
        "searchable",
        "validationType",
        "mentionAllAuthority",
        "managementType",
        "chatBannedType",
        "conversationTag",
    }
)


def chat_message_request(chatid: str, msg: Mapping[str, Any]) -> Request:
    """The chat/send call for ``msg`` into ``chatid``, as it is sent (msg not validated here)."""
    return Request("POST", CHAT_SEND, {"chatid": chatid, "msg": wire_msg(msg)})


class ChatAPI(BaseAPI):
    """``client.chats``."""

    def create_chat(
        self, name: str, owner: str, useridlist: Sequence[str], **settings: Any
    ) -> JSONDict:
        """POST /chat/create: returns ``chatid``, ``openConversationId``.

        ``name`` 1-20 chars, ``owner`` must be one of ``useridlist`` (at most
        ``max_chat_members``, 40 per call). ``settings``: showHistoryType,
        searchable, validationType, mentionAllAuthority, managementType,
        chatBannedType, ... (camelCase or snake_case).
        """
        if not isinstance(name, str) or not name.strip():
            raise InvalidMessage("name", "is required")
        if len(name) > CHAT_NAME_MAX:
            raise InvalidMessage(
                "name", f"is {len(name)} characters, at most {CHAT_NAME_MAX} allowed"
            )
        if isinstance(useridlist, str) or not all(isinstance(u, str) for u in useridlist):
            raise InvalidMessage("useridlist", "must be a list of userids")
        members = list(useridlist)
        if not members:
            raise InvalidMessage("useridlist", "is required")
        limit = self._client.max_chat_members
        if len(members) > limit:
            raise InvalidMessage("useridlist", f"has {len(members)} members, at most {limit}")
        if not owner or owner not in members:
            raise InvalidMessage("owner", "must be one of useridlist")
        body: dict[str, Any] = {"name": name, "owner": owner, "useridlist": members}
        for key, value in settings.items():
            wire = key if key in CHAT_SETTINGS else _ALIASES.get(key)
            if wire is None:
                raise InvalidMessage(key, "is not a chat/create setting")
            if value is None:
                continue
            if wire in INT_SETTINGS:
                value = int(value) if isinstance(value, bool) else as_int(value, wire)
            body[wire] = value
        return self._post("/chat/create", body, send=True)

    def get_chat(self, chatid: str) -> JSONDict:
        """GET /chat/get?chatid=: ``chat_info`` (status 1 normal, 2 dissolved)."""
        if not chatid:
            raise InvalidMessage("chatid", "is required")
        return self._get("/chat/get", {"chatid": chatid})

    def chat_message_request(self, chatid: str, msg: Mapping[str, Any]) -> Request:
        """The chat/send call ``send_chat_message`` would make."""
        return chat_message_request(chatid, msg)

    def send_chat_message(self, chatid: str, msg: Mapping[str, Any]) -> JSONDict:
        """POST /chat/send: returns ``messageId``; never re-sent after a timeout."""
        if not chatid:
            raise InvalidMessage("chatid", "is required")
        validate_msg(msg)
        return self._call(self.chat_message_request(chatid, msg), send=True)

    def get_read_list_page(self, message_id: str, cursor: int, size: int) -> JSONDict:
        """GET /chat/getReadList?messageId=&cursor=&size=: ``readUserIdList``, ``next_cursor``.

        ``messageId`` is URL-encoded by requests (``+`` becomes ``%2B``).
        """
        if not message_id:
            raise InvalidMessage("message_id", "is required")
        check_page_size(size)
        return self._get(
            "/chat/getReadList", {"messageId": message_id, "cursor": cursor, "size": size}
        )

    def iter_read_list(
        self,
        message_id: str,
        *,
        size: int = 100,
        max_pages: int = 1000,
        chatid: str | None = None,
    ) -> Iterator[str]:
        """Yield every reader's userid, following ``next_cursor`` until it is absent.

        The oapi rejects a ``size`` larger than the group's member count; pass
        ``chatid`` to cap ``size`` at it (one extra chat/get). Raises
        ``PaginationError`` when a cursor repeats or after ``max_pages`` pages.
        """
        check_page_size(size)
        check_max_pages(max_pages)
        if chatid is not None:
            members = self.get_chat(chatid).get("chat_info", {}).get("useridlist") or []
            size = max(1, min(size, len(members)))
        cursor: Any = 0
        seen = {cursor}
        for _ in range(max_pages):
            page = self.get_read_list_page(message_id, cursor, size)
            yield from page.get("readUserIdList") or []
            next_cursor = page.get("next_cursor")
            if next_cursor is None:
                return
            if next_cursor in seen:
                raise PaginationError(
                    f"/chat/getReadList: next_cursor {next_cursor!r} does not advance",
                    path="/chat/getReadList",
                )
            seen.add(next_cursor)
            cursor = next_cursor
        raise PaginationError(
            f"/chat/getReadList: still more pages after {max_pages} pages (max_pages)",
            path="/chat/getReadList",
        )
