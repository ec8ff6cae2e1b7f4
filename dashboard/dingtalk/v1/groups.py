"""Groups on the v1.0 host, reference §5: ``client.groups``.

``POST /v1.0/im/group/create`` and ``/update`` (camelCase, internal apps) and the
scene groups (场景群) ``POST /v1.0/im/sceneGroup/create``, ``/update``,
``/member/add``, ``/member/delete`` (snake_case bodies), ``POST /v1.0/im/sceneGroups/query``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from ..errors import InvalidMessage, InvalidResponse
from .base import V1API, JSONDict, Request, drop_none, string_list, text_field

GROUP_CREATE = "/v1.0/im/group/create"
GROUP_UPDATE = "/v1.0/im/group/update"
SCENE_GROUP_CREATE = "/v1.0/im/sceneGroup/create"
SCENE_GROUP_UPDATE = "/v1.0/im/sceneGroup/update"
SCENE_MEMBER_ADD = "/v1.0/im/sceneGroup/member/add"
SCENE_MEMBER_DELETE = "/v1.0/im/sceneGroup/member/delete"
SCENE_GROUP_QUERY = "/v1.0/im/sceneGroups/query"
#: chatid → openConversationId (§5.4); ``{chat_id}`` is a path segment.
CONVERT_CHAT_ID = "/v1.0/im/chat/{chat_id}/convertToOpenConversationId"
MAX_GROUP_NAME = 20
MAX_SCENE_TITLE = 30
#: managementOptions of im/group/create (ints, §5.1).
GROUP_OPTIONS = frozenset(
    {
        "chatBannedType",
        "managementType",
        "mentionAllAuthority",
        "searchable",
        "showHistoryType",
        "validationType",
    }
)
#: management_options of a scene group (ints 0/1, §5.2).
SCENE_OPTIONS = frozenset(
    {
        "mention_all_authority",
        "show_history_type",
        "validation_type",
        "searchable",
        "chat_banned_type",
        "management_type",
        "only_admin_can_ding",
        "all_members_can_create_mcs_conf",
        "all_members_can_create_calendar",
        "group_email_disabled",
        "only_admin_can_set_msg_top",
        "add_friend_forbidden",
        "group_live_switch",
        "members_to_admin_chat",
        "not_quit_when_emp_leave",
        "only_admin_can_add_mem",
    }
)


def _int_options(
    options: Mapping[str, Any] | None, allowed: frozenset[str], field: str
) -> dict[str, int] | None:
    if not options:
        return None
    result: dict[str, int] = {}
    for key, value in options.items():
        if key not in allowed:
            raise InvalidMessage(field, f"unknown option {key!r}")
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int):
            raise InvalidMessage(field, f"{key} must be an integer")
        result[key] = value
    return result


def _optional_int(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidMessage(field, "must be an integer")
    return value


def _name(value: Any, field: str, limit: int) -> str:
    text = text_field(value, field).strip()
    if len(text) > limit:
        raise InvalidMessage(field, f"has {len(text)} characters, at most {limit}")
    return text


class GroupAPI(V1API):
    """``client.groups``: ordinary and scene groups created through the v1.0 host."""

    def create_request(
        self,
        name: str,
        owner: str,
        user_ids: Iterable[str] | str,
        *,
        conversation_tag: int | None = None,
        owner_type: int | None = None,
        icon: str | None = None,
        management_options: Mapping[str, Any] | None = None,
    ) -> Request:
        """The im/group/create call: name 1-20 characters, ``useridlist`` an array."""
        owner_id = text_field(owner, "owner")
        members = string_list(user_ids, "useridlist")
        if not members:
            raise InvalidMessage("useridlist", "name at least one member")
        body = drop_none(
            {
                "name": _name(name, "name", MAX_GROUP_NAME),
                "owner": owner_id,
                "useridlist": members,
                "ownerType": _optional_int(owner_type, "ownerType"),
                "conversationTag": _optional_int(conversation_tag, "conversationTag"),
                "icon": icon or None,
                "managementOptions": _int_options(
                    management_options, GROUP_OPTIONS, "managementOptions"
                ),
            }
        )
        return Request("POST", GROUP_CREATE, body)

    def create(
        self, name: str, owner: str, user_ids: Iterable[str] | str, **options: Any
    ) -> JSONDict:
        """POST /v1.0/im/group/create: ``chatid``, ``openConversationId``, ``conversationTag``."""
        return self._call(self.create_request(name, owner, user_ids, **options), send=True)

    def update_request(
        self,
        chatid: str,
        *,
        name: str | None = None,
        owner: str | None = None,
        add_user_ids: Iterable[str] | None = None,
        del_user_ids: Iterable[str] | None = None,
        icon: str | None = None,
        management_options: Mapping[str, Any] | None = None,
    ) -> Request:
        """The im/group/update call (its body mixes camelCase and snake_case, §0.1)."""
        body = drop_none(
            {
                "chatid": text_field(chatid, "chatid"),
                "name": None if name is None else _name(name, "name", MAX_GROUP_NAME),
                "owner": owner or None,
                "add_useridlist": string_list(add_user_ids, "add_useridlist") or None,
                "del_useridlist": string_list(del_user_ids, "del_useridlist") or None,
                "icon": icon or None,
                "managementOptions": _int_options(
                    management_options, GROUP_OPTIONS, "managementOptions"
                ),
            }
        )
        return Request("POST", GROUP_UPDATE, body)

    def update(self, chatid: str, **changes: Any) -> JSONDict:
        """POST /v1.0/im/group/update: ``{"success": true}``."""
        return self._call(self.update_request(chatid, **changes), send=True)

    def open_conversation_id_request(self, chatid: str) -> Request:
        """The convertToOpenConversationId call; an empty JSON body (a POST needs one, §0.2)."""
        path = CONVERT_CHAT_ID.format(chat_id=quote(text_field(chatid, "chatid"), safe=""))
        return Request("POST", path, {})

    def open_conversation_id(self, chatid: str) -> str:
        """POST /v1.0/im/chat/{chat_id}/convertToOpenConversationId: a classic chat's cid
        (what robot group messages and cards address)."""
        reply = self._call(self.open_conversation_id_request(chatid))
        cid = reply.get("openConversationId")
        if not isinstance(cid, str) or not cid:
            raise InvalidResponse(f"{CONVERT_CHAT_ID}: no openConversationId", path=CONVERT_CHAT_ID)
        return cid

    # -- scene groups (§5.2) ---------------------------------------------------------------

    def create_scene_group_request(
        self,
        title: str,
        template_id: str,
        owner_user_id: str,
        *,
        user_ids: Iterable[str] | str | None = None,
        subadmin_ids: Iterable[str] | str | None = None,
        uuid: str | None = None,
        icon: str | None = None,
        management_options: Mapping[str, Any] | None = None,
    ) -> Request:
        """The im/sceneGroup/create call (snake_case); ``uuid`` de-duplicates retries."""
        body = drop_none(
            {
                "title": _name(title, "title", MAX_SCENE_TITLE),
                "template_id": text_field(template_id, "template_id"),
                "owner_user_id": text_field(owner_user_id, "owner_user_id"),
                "user_ids": string_list(user_ids, "user_ids") or None,
                "subadmin_ids": string_list(subadmin_ids, "subadmin_ids") or None,
                "uuid": uuid or None,
                "icon": icon or None,
                "management_options": _int_options(
                    management_options, SCENE_OPTIONS, "management_options"
                ),
            }
        )
        return Request("POST", SCENE_GROUP_CREATE, body)

    def create_scene_group(
        self, title: str, template_id: str, owner_user_id: str, **options: Any
    ) -> JSONDict:
        """POST /v1.0/im/sceneGroup/create: ``open_conversation_id``, ``chat_id``.

        The template's robot joins the group asynchronously (§4.4).
        """
        request = self.create_scene_group_request(title, template_id, owner_user_id, **options)
        return self._call(request, send=True)

    def _members_request(
        self, path: str, open_conversation_id: str, user_ids: Iterable[str] | str
    ) -> Request:
        users = string_list(user_ids, "user_ids")
        if not users:
            raise InvalidMessage("user_ids", "name at least one user")
        body = {
            "open_conversation_id": text_field(open_conversation_id, "open_conversation_id"),
            "user_ids": users,
        }
        return Request("POST", path, body)

    def add_scene_group_members(
        self, open_conversation_id: str, user_ids: Iterable[str] | str
    ) -> JSONDict:
        """POST /v1.0/im/sceneGroup/member/add: ``{"success": true}``."""
        request = self._members_request(SCENE_MEMBER_ADD, open_conversation_id, user_ids)
        return self._call(request, send=True)

    def remove_scene_group_members(
        self, open_conversation_id: str, user_ids: Iterable[str] | str
    ) -> JSONDict:
        """POST /v1.0/im/sceneGroup/member/delete: ``{"success": true}``."""
        request = self._members_request(SCENE_MEMBER_DELETE, open_conversation_id, user_ids)
        return self._call(request, send=True)

    def update_scene_group(
        self,
        open_conversation_id: str,
        *,
        title: str | None = None,
        owner_user_id: str | None = None,
        icon: str | None = None,
        management_options: Mapping[str, Any] | None = None,
    ) -> JSONDict:
        """POST /v1.0/im/sceneGroup/update: ``{"success": true}``."""
        body = drop_none(
            {
                "open_conversation_id": text_field(open_conversation_id, "open_conversation_id"),
                "title": None if title is None else _name(title, "title", MAX_SCENE_TITLE),
                "owner_user_id": owner_user_id or None,
                "icon": icon or None,
                "management_options": _int_options(
                    management_options, SCENE_OPTIONS, "management_options"
                ),
            }
        )
        return self._call(Request("POST", SCENE_GROUP_UPDATE, body), send=True)

    def get_scene_group(
        self, open_conversation_id: str, *, cool_app_code: str | None = None
    ) -> JSONDict:
        """POST /v1.0/im/sceneGroups/query: title, owner, template, group URL, status."""
        body = drop_none(
            {
                "openConversationId": text_field(open_conversation_id, "openConversationId"),
                "coolAppCode": cool_app_code or None,
            }
        )
        return self._call(Request("POST", SCENE_GROUP_QUERY, body))
