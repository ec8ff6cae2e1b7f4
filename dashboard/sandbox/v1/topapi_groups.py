"""Classic topapi scene groups on the oapi host (dingtalk-v1.md §5.3), beside the v1.0 ones.

These are oapi endpoints (`?access_token=`, the topapi envelope with `request_id`,
88-wrapped token errors): they go through the oapi pipeline. Member lists are
comma-separated strings (≤ 999 ids), the option flags of `get` are strings "0"/"1".
Groups and the robot's membership are shared with the v1.0 host.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from dashboard.sandbox.errors import INVALID_USER, OapiError, invalid_param
from dashboard.sandbox.routing import OapiCall, oapi_route
from dashboard.sandbox.state import Chat, new_chat_ids
from dashboard.sandbox.v1.groups import SCENE_OPTIONS
from dashboard.sandbox.v1.state import robot_codes, v1_state

bp = Blueprint("sandbox_v1_topapi_groups", __name__)

IDS_MAX = 999


def id_list(call: OapiCall, name: str) -> list[str]:
    """A comma-separated id string (§10.4: not an array), ≤ 999 known users."""
    ids = call.params.string_list(name, "any" if call.settings.loose_id_lists else "comma") or []
    if len(ids) > IDS_MAX:
        raise invalid_param(f"{name} 最多{IDS_MAX}个")
    unknown = [u for u in ids if u not in call.company.users]
    if unknown:
        raise OapiError(INVALID_USER, f"不合法的UserID: {','.join(unknown)}")
    return list(dict.fromkeys(ids))


def flags(call: OapiCall) -> dict[str, int]:
    result = {}
    for name in SCENE_OPTIONS:
        value = call.params.integer(name)
        if value is not None:
            if value not in (0, 1):
                raise invalid_param(f"{name} must be 0 or 1")
            result[name] = value
    return result


def find_chat(call: OapiCall) -> Chat:
    cid = call.params.string("open_conversation_id", required=True)
    chat = next((c for c in call.state.chats.values() if c.open_conversation_id == cid), None)
    if chat is None:
        raise OapiError(call.settings.unknown_chat_errcode, f"会话不存在: {cid}")
    return chat


@oapi_route(bp, "/topapi/im/chat/scenegroup/create", "POST")
def create(call: OapiCall) -> dict[str, Any]:
    settings = call.settings
    if settings.topapi_scenegroup_create_errcode:
        raise OapiError(
            settings.topapi_scenegroup_create_errcode, "该接口已不再开放，请使用新版接口"
        )
    title = call.params.string("title", required=True) or ""
    if len(title) > settings.scene_group_title_max:
        raise invalid_param(f"title 不能超过{settings.scene_group_title_max}个字符")
    template_id = call.params.string("template_id", required=True) or ""
    owner = call.params.string("owner_user_id", required=True) or ""
    if owner not in call.company.users:
        raise OapiError(INVALID_USER, f"不合法的UserID: {owner}")
    members = id_list(call, "user_ids")
    id_list(call, "subadmin_ids")
    chatid, cid = new_chat_ids()
    chat = Chat(
        chatid=chatid,
        open_conversation_id=cid,
        name=title,
        owner=owner,
        members=[owner] + [m for m in members if m != owner],
        conversation_tag=2,
        options=flags(call),
        icon=call.params.string("icon", default="") or "",
    )
    call.state.add_chat(chat)
    v1 = v1_state(call.state)
    for code in robot_codes(call.state, call.app_id):  # the template's robot
        v1.robot_groups[cid].add(code)
        v1.robot_ready_at[(cid, code)] = call.now + settings.robot_install_delay
    v1.scene_templates[cid] = template_id
    return {"success": True, "result": {"chat_id": chatid, "open_conversation_id": cid}}


@oapi_route(bp, "/topapi/im/chat/scenegroup/get", "POST")
def get(call: OapiCall) -> dict[str, Any]:
    chat = find_chat(call)
    template_id = v1_state(call.state).scene_templates.get(chat.open_conversation_id, "")
    return {
        "success": True,
        "result": {
            "open_conversation_id": chat.open_conversation_id,
            "title": chat.name,
            "owner_staff_id": chat.owner,
            "sub_admin_staff_ids": [],
            "member_amount": len(chat.members),
            "icon": chat.icon,
            "template_id": template_id,
            "group_url": f"dingtalk://dingtalkclient/page/link?cid={chat.open_conversation_id}",
            "scene_data": "",
            "management_options": {n: str(chat.options.get(n, 0)) for n in SCENE_OPTIONS},
        },
    }


@oapi_route(bp, "/topapi/im/chat/scenegroup/member/add", "POST")
def member_add(call: OapiCall) -> dict[str, Any]:
    chat = find_chat(call)
    added = id_list(call, "user_ids")
    chat.members += [m for m in added if m not in chat.members]
    return {"success": True}


@oapi_route(bp, "/topapi/im/chat/scenegroup/member/delete", "POST")
def member_delete(call: OapiCall) -> dict[str, Any]:
    chat = find_chat(call)
    removed = set(id_list(call, "user_ids"))
    chat.members = [m for m in chat.members if m not in removed or m == chat.owner]
    return {"success": True}


@oapi_route(bp, "/topapi/im/chat/scenegroup/update", "POST")
def update(call: OapiCall) -> dict[str, Any]:
    chat = find_chat(call)
    title = call.params.string("title")
    if title:
        if len(title) > call.settings.scene_group_title_max:
            raise invalid_param("title 过长")
        chat.name = title
    owner = call.params.string("owner_user_id")
    if owner:
        if owner not in call.company.users:
            raise OapiError(INVALID_USER, f"不合法的UserID: {owner}")
        chat.owner = owner
        if owner not in chat.members:
            chat.members.insert(0, owner)
    chat.options.update(flags(call))
    return {"success": True}
