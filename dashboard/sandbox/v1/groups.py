"""Groups on the v1.0 host (§5): /v1.0/im/group/* (camelCase) and scene groups (snake_case).

Groups are stored in the oapi state's chats, so classic chat/get sees them too. The
app's robot joins the groups its app creates (`robot_joins_created_groups`, unverified)
and every scene group (the template's robot, §4.4).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from dashboard.sandbox.state import Chat, new_chat_ids
from dashboard.sandbox.v1.errors import SYSTEM_ERROR, V1Error, bad_request
from dashboard.sandbox.v1.routing import V1Call, v1_route
from dashboard.sandbox.v1.state import robot_codes

bp = Blueprint("sandbox_v1_groups", __name__)

GROUP_OPTIONS = (
    "chatBannedType",
    "managementType",
    "mentionAllAuthority",
    "searchable",
    "showHistoryType",
    "validationType",
)
SCENE_OPTIONS = (
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
)


def options_of(call: V1Call, field: str, names: tuple[str, ...]) -> dict[str, int]:
    value = call.value(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_request("parameter.invalid", f"{field} 必须是对象")
    result = {}
    for name, item in value.items():
        if name not in names or isinstance(item, bool) or not isinstance(item, int):
            raise bad_request("parameter.invalid", f"{field}.{name} 不合法")
        result[name] = item
    return result


def known_members(call: V1Call, user_ids: list[str], code: str = "parameter.invalid") -> list[str]:
    unknown = [u for u in user_ids if u not in call.company.users]
    if unknown:
        raise bad_request(code, f"用户不存在: {','.join(unknown)}")
    return list(dict.fromkeys(user_ids))


def add_group(call: V1Call, chat: Chat) -> Chat:
    if call.v1.groups_created >= call.settings.group_quota:
        raise V1Error(500, SYSTEM_ERROR)
    call.v1.groups_created += 1
    call.state.add_chat(chat)
    return chat


def join_robot(call: V1Call, chat: Chat, delay: float = 0.0) -> None:
    """The app's robot joins `chat`, usable after `delay` seconds (an asynchronous install)."""
    for code in robot_codes(call.state, call.app_id):
        call.v1.robot_groups[chat.open_conversation_id].add(code)
        call.v1.robot_ready_at[(chat.open_conversation_id, code)] = call.now + delay


@v1_route(bp, "/v1.0/im/group/create", "POST")
def group_create(call: V1Call) -> dict[str, Any]:
    """§5.1: name 1–20 chars, owner, useridlist (array) -> chatid, openConversationId."""
    name = call.string("name", required=True)
    if len(name) > call.settings.group_name_max:
        raise bad_request(
            "parameter.invalid", f"群名称长度为1-{call.settings.group_name_max}个字符"
        )
    owner = call.string("owner", required=True)
    members = known_members(call, call.string_list("useridlist", required=True) + [owner])
    if len(members) > call.settings.chat_members_max:
        raise bad_request("parameter.invalid", "群成员数超过限制")
    tag = call.value("conversationTag")
    if tag is not None and (isinstance(tag, bool) or not isinstance(tag, int)):
        raise bad_request("parameter.invalid", "conversationTag必须是整数")
    chatid, cid = new_chat_ids()
    chat = Chat(
        chatid=chatid,
        open_conversation_id=cid,
        name=name,
        owner=owner,
        members=[owner] + [m for m in members if m != owner],
        conversation_tag=tag if tag is not None else 2,
        options=options_of(call, "managementOptions", GROUP_OPTIONS),
        icon=call.string("icon"),
    )
    add_group(call, chat)
    if call.settings.robot_joins_created_groups:
        join_robot(call, chat)
    return {"chatid": chatid, "openConversationId": cid, "conversationTag": chat.conversation_tag}


@v1_route(bp, "/v1.0/im/group/update", "POST")
def group_update(call: V1Call) -> dict[str, Any]:
    """§5.1: {chatid, name, owner, add_useridlist, del_useridlist, ...} (mixed casing)."""
    chatid = call.string("chatid", required=True)
    chat = call.state.chats.get(chatid)
    if chat is None:
        raise bad_request("parameter.invalid", "chatid不存在")
    name = call.string("name")
    if name:
        if len(name) > call.settings.group_name_max:
            raise bad_request("parameter.invalid", "群名称过长")
        chat.name = name
    added = known_members(call, call.string_list("add_useridlist"))
    removed = set(call.string_list("del_useridlist"))
    owner = call.string("owner")
    if owner:
        known_members(call, [owner])
        chat.owner = owner
    chat.members = [m for m in chat.members if m not in removed]
    chat.members += [m for m in added + ([owner] if owner else []) if m not in chat.members]
    return {"success": True}


def scene_chat(call: V1Call) -> Chat:
    cid = call.string("open_conversation_id", required=True)
    chat = next((c for c in call.state.chats.values() if c.open_conversation_id == cid), None)
    if chat is None:
        raise bad_request("parameter.invalid", "open_conversation_id不存在")
    return chat


@v1_route(bp, "/v1.0/im/sceneGroup/create", "POST")
def scene_group_create(call: V1Call) -> dict[str, Any]:
    """§5.2 (snake_case): title ≤ 30, template_id, owner_user_id; the template's robot joins."""
    settings = call.settings
    title = call.string("title", required=True)
    if len(title) > settings.scene_group_title_max:
        raise bad_request(
            "parameter.invalid", f"title不能超过{settings.scene_group_title_max}个字符"
        )
    call.string("template_id", required=True)
    owner = call.string("owner_user_id", required=True)
    if owner not in call.company.users:
        raise bad_request("permession.checkFailed", "群主不在应用可见性内")
    members = known_members(call, call.string_list("user_ids"), "member.notFound")
    known_members(call, call.string_list("subadmin_ids"), "member.notFound")
    everyone = [owner] + [m for m in members if m != owner]
    if len(everyone) > settings.scene_group_members_max:
        raise bad_request("member.exceed", "群成员数超过限制")
    uuid = call.string("uuid")
    if uuid and uuid in call.v1.scene_uuids:
        chat = call.state.chats[call.v1.scene_uuids[uuid]]
        return {"open_conversation_id": chat.open_conversation_id, "chat_id": chat.chatid}
    chatid, cid = new_chat_ids()
    chat = Chat(
        chatid=chatid,
        open_conversation_id=cid,
        name=title,
        owner=owner,
        members=everyone,
        conversation_tag=2,
        options=options_of(call, "management_options", SCENE_OPTIONS),
        icon=call.string("icon"),
    )
    add_group(call, chat)
    join_robot(call, chat, settings.robot_install_delay)
    if uuid:
        call.v1.scene_uuids[uuid] = chatid
    call.v1.scene_templates[cid] = call.string("template_id")
    return {"open_conversation_id": cid, "chat_id": chatid}


@v1_route(bp, "/v1.0/im/sceneGroups", "POST")
def scene_group_create_camel(call: V1Call) -> dict[str, Any]:
    """§5.2's camelCase twin (SDK-py CreateSceneGroupConversation; docs unverified)."""
    settings = call.settings
    title = call.string("groupName", required=True)
    if len(title) > settings.scene_group_title_max:
        raise bad_request(
            "parameter.invalid", f"groupName不能超过{settings.scene_group_title_max}个字符"
        )
    template_id = call.string("templateId", required=True)
    owner = call.string("groupOwnerId", required=True)
    if owner not in call.company.users:
        raise bad_request("permession.checkFailed", "群主不在应用可见性内")
    members = known_members(call, call.string_list("userIdList"), "member.notFound")
    everyone = [owner] + [m for m in members if m != owner]
    if len(everyone) > settings.scene_group_members_max:
        raise bad_request("member.exceed", "群成员数超过限制")
    uuid = call.string("uuid")
    if uuid and uuid in call.v1.scene_uuids:
        return {
            "openConversationId": call.state.chats[call.v1.scene_uuids[uuid]].open_conversation_id
        }
    chatid, cid = new_chat_ids()
    chat = Chat(chatid, cid, title, owner, everyone, 2, {}, icon=call.string("icon"))
    add_group(call, chat)
    join_robot(call, chat, settings.robot_install_delay)
    if uuid:
        call.v1.scene_uuids[uuid] = chatid
    call.v1.scene_templates[cid] = template_id
    return {"openConversationId": cid}


@v1_route(bp, "/v1.0/im/sceneGroup/member/add", "POST")
def scene_member_add(call: V1Call) -> dict[str, Any]:
    chat = scene_chat(call)
    added = known_members(call, call.string_list("user_ids"), "member.notFound")
    chat.members += [m for m in added if m not in chat.members]
    if len(chat.members) > call.settings.scene_group_members_max:
        raise bad_request("member.exceed", "群成员数超过限制")
    return {"success": True}


@v1_route(bp, "/v1.0/im/sceneGroup/member/delete", "POST")
def scene_member_delete(call: V1Call) -> dict[str, Any]:
    chat = scene_chat(call)
    removed = set(call.string_list("user_ids"))
    chat.members = [m for m in chat.members if m not in removed or m == chat.owner]
    return {"success": True}


@v1_route(bp, "/v1.0/im/sceneGroups/query", "POST")
def scene_group_query(call: V1Call) -> dict[str, Any]:
    """§5.2 info (camelCase body and reply)."""
    cid = call.string("openConversationId", required=True)
    chat = next((c for c in call.state.chats.values() if c.open_conversation_id == cid), None)
    if chat is None:
        raise bad_request("parameter.invalid", "openConversationId不存在")
    return {
        "openConversationId": cid,
        "title": chat.name,
        "ownerUserId": chat.owner,
        "icon": chat.icon,
        "templateId": call.v1.scene_templates.get(cid, ""),
        "groupUrl": f"dingtalk://dingtalkclient/page/link?cid={cid}",
        "status": chat.status,
        "success": True,
    }


@v1_route(bp, "/v1.0/im/chat/<chat_id>/convertToOpenConversationId", "POST", takes_body=False)
def convert_chat_id(call: V1Call, chat_id: str) -> dict[str, Any]:
    """§5.4: chatid -> openConversationId."""
    chat = call.state.chats.get(chat_id)
    if chat is None:
        raise bad_request("parameter.invalid", "chatId不存在")
    return {"openConversationId": chat.open_conversation_id}
