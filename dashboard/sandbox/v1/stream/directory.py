"""Directory changes made on the sandbox page or by tests, and the events they push.

Each change edits the sandbox directory (the company the classic and v2 contact calls
read: the internal app's, or an ISV company's when `corpId` names one) and queues the
matching EVENT (§7.7) for the clientId that receives that company's events. The data
keys follow the gateway's spelling settings (`user_key`, `dept_key`, `timestamp_key`).
A change marks the state so that the next reset rebuilds the demo directory.
"""

from __future__ import annotations

import copy
import secrets
from typing import Any

from dashboard.sandbox.demo import Company, Department, User, _unionid
from dashboard.sandbox.state import SandboxState, department_chat_id
from dashboard.sandbox.v1.stream.gateway import Gateway, StreamMessage, client_of_corp


class DirectoryError(ValueError):
    """A change the directory refuses (unknown person or department, not empty, ...)."""


def company_for(state: SandboxState, corp_id: str) -> tuple[Company, str]:
    """The company `corp_id` names and the corpId its changes are pushed as.

    The internal app's company (the default) is also the ISV demo company A, so its
    changes go to both; another authorised ISV company has a directory of its own.
    """
    from dashboard.sandbox.demo import LOGISTICS_PROFILE, profile_for
    from dashboard.sandbox.isv import DEMO_CORP_A, DEMO_CORP_B, isv_state

    corp_id = corp_id or state.settings.corp_id
    state.directory_changed = True  # the next reset brings the directory back
    if corp_id in (state.settings.corp_id, DEMO_CORP_A):
        if state.pristine_company is None:
            state.pristine_company = copy.deepcopy(state.company)
        return state.company, state.settings.corp_id
    if corp_id not in state.tenant_profiles:
        if corp_id not in isv_state(state).corps:
            raise DirectoryError(f"unknown corpId {corp_id}")
        state.add_tenant(
            corp_id, LOGISTICS_PROFILE if corp_id == DEMO_CORP_B else profile_for(corp_id)
        )
    return state.company_of(corp_id), corp_id


def _ts(gw: Gateway, now: float) -> Any:
    ms = int(now * 1000)
    return str(ms) if gw.settings.timestamp_as_string else ms


def targets(state: SandboxState, gw: Gateway, corp_id: str) -> list[tuple[str, str]]:
    """(clientId, eventCorpId) pairs that receive a change of `corp_id`'s directory."""
    from dashboard.sandbox.isv import DEMO_CORP_A, isv_state

    if corp_id != state.settings.corp_id:
        return [(client_of_corp(state, corp_id), corp_id)]
    pairs = [(state.settings.app_key, corp_id)]
    corp_a = isv_state(state).corps.get(DEMO_CORP_A)
    if gw.settings.demo_corp_to_suite and corp_a is not None and corp_a.authorised:
        pairs.append((isv_state(state).settings.suite_key, DEMO_CORP_A))
    return pairs


def _push(state, gw, corp_id, event_type, data, now) -> StreamMessage:
    """Queue the event for every receiver; returns the first (the internal app's)."""
    data = {gw.settings.timestamp_key: _ts(gw, now), **data}
    messages = [
        gw.push_event(client, event_type, data, event_corp, now)
        for client, event_corp in targets(state, gw, corp_id)
    ]
    return messages[0]


def _user_event(state, gw, corp_id, event_type, userids, now):
    return _push(state, gw, corp_id, event_type, {gw.settings.user_key: list(userids)}, now)


def _dept_event(state, gw, corp_id, event_type, dept_ids, now):
    return _push(state, gw, corp_id, event_type, {gw.settings.dept_key: list(dept_ids)}, now)


def _dept_ids(company: Company, value: Any) -> list[int]:
    if not isinstance(value, list) or not value:
        raise DirectoryError("deptIds must be a non-empty list of department ids")
    try:
        ids = [int(v) for v in value]
    except (TypeError, ValueError) as exc:
        raise DirectoryError("deptIds must be department ids") from exc
    unknown = [d for d in ids if d not in company.departments]
    if unknown:
        raise DirectoryError(f"unknown department {unknown[0]}")
    return ids


def _user(company: Company, userid: Any) -> User:
    user = company.users.get(str(userid or ""))
    if user is None:
        raise DirectoryError(f"unknown userid {userid}")
    return user


def _sync_dept_chats(state: SandboxState, user: User, before: list[int], after: list[int]):
    """Department groups follow their members (auto_add_user) in the internal company."""
    for dept_id in set(before) - set(after):
        chat = state.chats.get(department_chat_id(dept_id))
        if chat is not None and user.userid in chat.members:
            chat.members.remove(user.userid)
    for dept_id in set(after) - set(before):
        chat = state.chats.get(department_chat_id(dept_id))
        dept = state.company.departments.get(dept_id)
        joins = chat is not None and dept is not None and dept.auto_add_user
        if joins and user.userid not in chat.members:
            chat.members.append(user.userid)


def hire(state: SandboxState, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    company, corp_id = company_for(state, str(body.get("corpId") or ""))
    name = str(body.get("name") or "").strip()
    if not name:
        raise DirectoryError("name is required")
    depts = _dept_ids(company, body.get("deptIds") or [1])
    userid = str(body.get("userid") or "").strip() or f"hire{secrets.token_hex(4)}"
    if userid in company.users:
        raise DirectoryError(f"userid {userid} already exists")
    ms = int(now * 1000)
    user = User(
        userid=userid,
        name=name,
        unionid=_unionid(userid),
        mobile=str(body.get("mobile") or f"139{secrets.randbelow(10**8):08d}"),
        email="",
        org_email="",
        position=str(body.get("position") or ""),
        jobnumber=str(body.get("jobnumber") or ""),
        hired_date=ms,
        modified=ms,
        departments=depts,
        order_in_depts={d: 1000 for d in depts},
        leader_in_depts={d: False for d in depts},
    )
    company.users[userid] = user
    state.directory_changed = True
    if company is state.company:
        _sync_dept_chats(state, user, [], depts)
    message = _user_event(state, gw, corp_id, "user_add_org", [userid], now)
    return {"userid": userid, "event": message.as_dict()}


def update(state: SandboxState, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    """Move a person (deptIds) and/or change name / position / mobile: user_modify_org."""
    company, corp_id = company_for(state, str(body.get("corpId") or ""))
    user = _user(company, body.get("userid"))
    before = list(user.departments)
    if "deptIds" in body:
        depts = _dept_ids(company, body["deptIds"])
        user.departments = depts
        user.order_in_depts = {d: user.order_in_depts.get(d, 1000) for d in depts}
        user.leader_in_depts = {d: user.leader_in_depts.get(d, False) for d in depts}
    for name in ("name", "position", "mobile"):
        if body.get(name):
            setattr(user, name, str(body[name]))
    user.__dict__.pop("pinyin", None)  # a cached pinyin of the old name
    user.modified = int(now * 1000)
    state.directory_changed = True
    if company is state.company:
        _sync_dept_chats(state, user, before, user.departments)
    message = _user_event(state, gw, corp_id, "user_modify_org", [user.userid], now)
    return {"userid": user.userid, "deptIds": user.departments, "event": message.as_dict()}


def leave(state: SandboxState, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    company, corp_id = company_for(state, str(body.get("corpId") or ""))
    user = _user(company, body.get("userid"))
    del company.users[user.userid]
    for dept in company.departments.values():
        if user.userid in dept.manager_userids:
            dept.manager_userids.remove(user.userid)
    if company is state.company:
        for chat in state.chats.values():
            if user.userid in chat.members:
                chat.members.remove(user.userid)
    state.directory_changed = True
    message = _user_event(state, gw, corp_id, "user_leave_org", [user.userid], now)
    return {"userid": user.userid, "event": message.as_dict()}


def dept_create(state, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    company, corp_id = company_for(state, str(body.get("corpId") or ""))
    name = str(body.get("name") or "").strip()
    if not name:
        raise DirectoryError("name is required")
    (parent,) = _dept_ids(company, [body.get("parentId") or 1])
    if any(d.parentid == parent and d.name == name for d in company.departments.values()):
        raise DirectoryError(f"a department named {name} already exists there")
    dept_id = max(company.departments) + 1
    siblings = company.children(parent)
    order = (max(d.order for d in siblings) + 1) if siblings else 1
    company.departments[dept_id] = Department(
        dept_id, name, str(body.get("nameEn") or ""), parent, order, create_dept_group=False
    )
    state.directory_changed = True
    message = _dept_event(state, gw, corp_id, "org_dept_create", [dept_id], now)
    return {"deptId": dept_id, "event": message.as_dict()}


def dept_modify(state, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    company, corp_id = company_for(state, str(body.get("corpId") or ""))
    (dept_id,) = _dept_ids(company, [body.get("deptId")])
    dept = company.departments[dept_id]
    if body.get("name"):
        dept.name = str(body["name"])
    if body.get("parentId"):
        (parent,) = _dept_ids(company, [body["parentId"]])
        if dept_id == 1 or parent == dept_id or dept_id in company.ancestors(parent):
            raise DirectoryError("a department cannot move under itself")
        dept.parentid = parent
    state.directory_changed = True
    message = _dept_event(state, gw, corp_id, "org_dept_modify", [dept_id], now)
    return {"deptId": dept_id, "event": message.as_dict()}


def dept_remove(state, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    """DingTalk removes only an empty department without sub-departments."""
    company, corp_id = company_for(state, str(body.get("corpId") or ""))
    (dept_id,) = _dept_ids(company, [body.get("deptId")])
    if dept_id == 1:
        raise DirectoryError("the root department cannot be removed")
    if company.children(dept_id):
        raise DirectoryError("the department has sub-departments")
    if company.members(dept_id):
        raise DirectoryError("the department has members")
    del company.departments[dept_id]
    state.directory_changed = True
    message = _dept_event(state, gw, corp_id, "org_dept_remove", [dept_id], now)
    return {"deptId": dept_id, "event": message.as_dict()}


def chat_members(state, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    """Add / remove group members (a chatid or an openConversationId): chat_add_member,
    chat_remove_member (data keys unverified: timeStamp, chatId, openConversationId,
    operator and the user key)."""
    key = str(body.get("chatId") or body.get("openConversationId") or "")
    chat = state.chats.get(key) or next(
        (c for c in state.chats.values() if c.open_conversation_id == key), None
    )
    if chat is None:
        raise DirectoryError(f"unknown chat {key}")
    add = [str(u) for u in body.get("add") or []]
    remove = [str(u) for u in body.get("remove") or []]
    unknown = [u for u in add if u not in state.company.users]
    if unknown:
        raise DirectoryError(f"unknown userid {unknown[0]}")
    add = [u for u in add if u not in chat.members]
    remove = [u for u in remove if u in chat.members]
    if not add and not remove:
        raise DirectoryError("nothing to change")
    corp_id = state.settings.corp_id
    base = {
        "chatId": chat.chatid,
        "openConversationId": chat.open_conversation_id,
        "operator": str(body.get("operator") or chat.owner),
    }
    events = []
    if add:
        chat.members.extend(add)
        data = {**base, gw.settings.user_key: add}
        events.append(_push(state, gw, corp_id, "chat_add_member", data, now).as_dict())
    if remove:
        chat.members[:] = [m for m in chat.members if m not in remove]
        data = {**base, gw.settings.user_key: remove}
        events.append(_push(state, gw, corp_id, "chat_remove_member", data, now).as_dict())
    return {"chatId": chat.chatid, "members": list(chat.members), "events": events}


def authorise(state, gw: Gateway, body: dict[str, Any], now: float) -> dict[str, Any]:
    """An ISV company authorises (or, `authorised: false`, deauthorises) the suite."""
    from dashboard.sandbox.isv import isv_state

    isv = isv_state(state)
    corp_id = str(body.get("corpId") or "")
    corp = isv.corps.get(corp_id)
    if corp is None:
        raise DirectoryError(f"unknown ISV corpId {corp_id}")
    authorised = body.get("authorised", True) not in (False, "false", "0", 0)
    corp.authorised = authorised
    event = gw.settings.auth_event if authorised else gw.settings.deauth_event
    data = {"authCorpId": corp_id, "suiteKey": isv.settings.suite_key, "syncAction": event}
    message = gw.push_event(isv.settings.suite_key, event, data, corp_id, now)
    return {"corpId": corp_id, "authorised": authorised, "event": message.as_dict()}


CHANGES = {
    "hire": hire,
    "update": update,
    "move": update,
    "leave": leave,
    "dept_create": dept_create,
    "dept_modify": dept_modify,
    "dept_remove": dept_remove,
    "chat_members": chat_members,
    "authorise": authorise,
}
