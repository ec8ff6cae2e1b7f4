"""Departments, users and the contacts scope (§3, §4, §5).

Every contacts call is gated by the configured `auth/scopes`: a department is
in scope when it or one of its parents is in `scope_authed_dept`; a person is
in scope when listed in `scope_authed_user` or a member of an in-scope
department. Outside the scope the answer is 60011.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from markupsafe import escape

from dashboard.sandbox.demo import Company, Department, User, loose_map
from dashboard.sandbox.errors import (
    DEPT_NOT_FOUND,
    INVALID_USERID,
    NO_PERMISSION,
    USER_NOT_FOUND,
    OapiError,
    invalid_param,
)
from dashboard.sandbox.routing import OapiCall, oapi_route
from dashboard.sandbox.settings import SandboxSettings
from dashboard.sandbox.state import department_chat_id

bp = Blueprint("sandbox_contacts", __name__)

ORDERS = ("entry_asc", "entry_desc", "modify_asc", "modify_desc", "custom")


def dept_in_scope(company: Company, settings: SandboxSettings, dept_id: int) -> bool:
    """A department is visible when it or an ancestor is an authorized department."""
    authed = set(settings.scope_authed_dept)
    return any(d in authed for d in company.ancestors(dept_id))


def user_in_scope(company: Company, settings: SandboxSettings, user: User) -> bool:
    """A person is visible when authorized by name or through a visible department."""
    if user.userid in settings.scope_authed_user:
        return True
    return any(dept_in_scope(company, settings, d) for d in user.departments)


def require_dept(call: OapiCall, name: str, *, default: int | None = None) -> Department:
    """The department named by parameter `name`: 60003 unknown, 60011 outside the scope."""
    dept_id = call.params.integer(name, required=default is None, default=default)
    dept = call.company.departments.get(dept_id or 0)
    if dept is None:
        raise OapiError(DEPT_NOT_FOUND, f"部门不存在: {dept_id}")
    if not dept_in_scope(call.company, call.settings, dept.id):
        raise OapiError(NO_PERMISSION)
    return dept


def require_user(call: OapiCall, name: str, not_found: int) -> User:
    """The person named by parameter `name`: `not_found` if unknown, 60011 outside the scope."""
    userid = call.params.string(name, required=True)
    user = call.company.users.get(userid or "")
    if user is None:
        raise OapiError(not_found)
    if not user_in_scope(call.company, call.settings, user):
        raise OapiError(NO_PERMISSION)
    return user


def dept_name(dept: Department, lang: str | None) -> str:
    """Chinese by default, English for lang=en_US."""
    return dept.name_en if lang == "en_US" else dept.name


def department_summary(dept: Department, lang: str | None) -> dict[str, Any]:
    """One entry of department/list."""
    summary: dict[str, Any] = {
        "id": dept.id,
        "name": dept_name(dept, lang),
        "parentid": dept.parentid,
        "createDeptGroup": dept.create_dept_group,
        "autoAddUser": dept.auto_add_user,
        "sourceIdentifier": dept.source_identifier,
        "isFromUnionOrg": False,
    }
    if dept.parentid is None:
        del summary["parentid"]
    return summary


@oapi_route(bp, "/department/list_ids", "GET")
def department_list_ids(call: OapiCall) -> dict[str, Any]:
    """Direct sub-department ids (§3.1)."""
    dept = require_dept(call, "id")
    return {"sub_dept_id_list": [d.id for d in call.company.children(dept.id)]}


@oapi_route(bp, "/department/list", "GET")
def department_list(call: OapiCall) -> dict[str, Any]:
    """Sub-departments, recursive unless fetch_child=false, ordered by `order` (§3.2)."""
    dept = require_dept(call, "id", default=1)
    lang = call.params.string("lang")
    company = call.company
    fetch_child = call.params.boolean("fetch_child", default=call.settings.fetch_child_default)
    found = company.descendants(dept.id) if fetch_child else company.children(dept.id)
    if call.settings.list_includes_self:
        found = [dept, *found]
    return {"department": [department_summary(d, lang) for d in found]}


@oapi_route(bp, "/department/get", "GET")
def department_get(call: OapiCall) -> dict[str, Any]:
    """Department details with `|`-separated multi-value fields (§3.3)."""
    dept = require_dept(call, "id")
    lang = call.params.string("lang")
    company = call.company
    child_ids = "|".join(str(d.id) for d in company.children(dept.id))
    managers = "|".join(dept.manager_userids)
    chat_id = department_chat_id(dept.id) if dept.id and dept.create_dept_group else ""
    body: dict[str, Any] = {
        "id": dept.id,
        "name": dept_name(dept, lang),
        "order": dept.order,
        "parentid": dept.parentid,
        "createDeptGroup": dept.create_dept_group,
        "autoAddUser": dept.auto_add_user,
        "autoApproveApply": False,
        "groupContainSubDept": dept.group_contain_sub_dept,
        "deptGroupChatId": chat_id if chat_id in call.state.chats else "",
        "orgDeptOwner": dept.manager_userids[0] if dept.manager_userids else "",
        "deptManagerUseridList": managers,
        "deptHiding": dept.dept_hiding,
        "deptPermits": child_ids,
        "deptPerimits": child_ids,
        "userPermits": managers,
        "userPerimits": managers,
        "outerDept": False,
        "outerPermitDepts": "",
        "outerPermitUsers": "",
        "sourceIdentifier": dept.source_identifier,
    }
    if dept.parentid is None:
        del body["parentid"]
    return body


@oapi_route(bp, "/department/list_parent_depts_by_dept", "GET")
def department_list_parent_depts_by_dept(call: OapiCall) -> dict[str, Any]:
    """The department itself first, then its parents up to root 1 (§3.4)."""
    dept = require_dept(call, "id")
    return {"parentIds": call.company.ancestors(dept.id)}


@oapi_route(bp, "/department/list_parent_depts", "GET")
def department_list_parent_depts(call: OapiCall) -> dict[str, Any]:
    """One path to the root per department the person belongs to (§3.5)."""
    user = require_user(call, "userId", INVALID_USERID)
    company = call.company
    return {"department": [company.ancestors(d) for d in user.departments]}


@oapi_route(bp, "/user/get_org_user_count", "GET")
def user_get_org_user_count(call: OapiCall) -> dict[str, Any]:
    """onlyActive=0 counts everyone (not-activated included), 1 activated only (§4.1)."""
    only_active = call.params.integer("onlyActive", required=True)
    if only_active not in (0, 1):
        raise invalid_param("onlyActive must be 0 or 1")
    users = call.company.users.values()
    return {"count": sum(1 for u in users if u.active or not only_active)}


def user_detail(company: Company, user: User) -> dict[str, Any]:
    """The classic user/get body (§4.2)."""
    return {
        "userid": user.userid,
        "unionid": user.unionid,
        "name": user.name,
        "mobile": user.mobile,
        "stateCode": "86",
        "tel": user.tel,
        "workPlace": user.work_place,
        "remark": user.remark,
        "email": user.email,
        "orgEmail": user.org_email,
        "active": user.active,
        "avatar": avatar_url(user),
        "position": user.position,
        "jobnumber": user.jobnumber,
        "hiredDate": user.hired_date,
        "isAdmin": user.is_admin,
        "isBoss": user.is_boss,
        "isHide": user.is_hide,
        "isSenior": user.is_senior,
        "realAuthed": user.active,
        "department": list(user.departments),
        "orderInDepts": loose_map(dict(user.order_in_depts)),
        "isLeaderInDepts": loose_map(dict(user.leader_in_depts)),
        "extattr": dict(user.extattr),
        "roles": [dict(r) for r in user.roles],
        "managerUserId": user.manager_userid,
    }


def avatar_url(user: User) -> str:
    """A stable placeholder avatar on the sandbox itself (empty for people who never
    activated): the demo asks no outside host."""
    return f"{request.host_url}_sandbox/avatar/{user.userid}.svg" if user.active else ""


# Under the control prefix (app.CONTROL_PREFIX): not an oapi path, never counted or faulted.
@bp.route("/_sandbox/avatar/<userid>.svg")
def avatar(userid: str) -> Response:
    """The demo avatar: the person's initial on a colour of their own."""
    hue = sum(map(ord, userid)) * 47 % 360
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">'
        f'<rect width="64" height="64" fill="hsl({hue},55%,55%)"/>'
        '<text x="32" y="41" font-size="26" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{escape(userid[-2:])}</text></svg>'
    )
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


@oapi_route(bp, "/user/get", "GET")
def user_get(call: OapiCall) -> dict[str, Any]:
    """One person's details; 60121 when unknown (§4.2)."""
    user = require_user(call, "userid", USER_NOT_FOUND)
    return user_detail(call.company, user)


@oapi_route(bp, "/user/getDeptMember", "GET")
def user_get_dept_member(call: OapiCall) -> dict[str, Any]:
    """Direct members' userids, no paging (§4.3)."""
    dept = require_dept(call, "deptId")
    return {"userIds": [u.userid for u in call.company.members(dept.id)]}


@oapi_route(bp, "/user/listbypage", "GET")
def user_listbypage(call: OapiCall) -> dict[str, Any]:
    """A page of direct members' details by offset and size (≤100) (§4.4)."""
    params = call.params
    dept = require_dept(call, "department_id")
    offset = params.integer("offset", required=True)
    size = params.integer("size", required=True)
    if offset is None or offset < 0:
        raise invalid_param("offset must be 0 or more")
    if size is None or not 1 <= size <= call.settings.listbypage_size_max:
        raise invalid_param(f"size must be between 1 and {call.settings.listbypage_size_max}")
    order = params.string("order", default="custom")
    if order not in ORDERS:
        raise invalid_param(f"order must be one of {', '.join(ORDERS)}")
    members = sort_members(call.company.members(dept.id), order or "custom")
    page = members[offset : offset + size]
    return {
        "hasMore": offset + size < len(members),
        "userlist": [list_entry(call.company, u, dept.id) for u in page],
    }


@oapi_route(bp, "/user/list", "GET")
def user_list(call: OapiCall) -> dict[str, Any]:
    """The sibling of listbypage, same parameters and shape (§4.4).

    The public ``dingtalk-sdk`` client's ``listbypage()`` calls this path.
    """
    return user_listbypage(call)


def sort_members(members: list[User], order: str) -> list[User]:
    """Members in the requested order; "custom" is the department order, then pinyin."""
    if order.startswith("entry"):
        return sorted(
            members, key=lambda u: (u.hired_date, u.userid), reverse=order == "entry_desc"
        )
    if order.startswith("modify"):
        return sorted(members, key=lambda u: (u.modified, u.userid), reverse=order == "modify_desc")
    return members


def list_entry(company: Company, user: User, dept_id: int) -> dict[str, Any]:
    """One userlist entry of listbypage."""
    detail = user_detail(company, user)
    return {
        "userid": user.userid,
        "unionid": user.unionid,
        "name": user.name,
        "mobile": user.mobile,
        "tel": user.tel,
        "workPlace": user.work_place,
        "remark": user.remark,
        "order": user.order_in_depts.get(dept_id, 0),
        "isAdmin": user.is_admin,
        "isBoss": user.is_boss,
        "isHide": user.is_hide,
        "isLeader": user.leader_in_depts.get(dept_id, False),
        "active": user.active,
        "department": list(user.departments),
        "position": user.position,
        "email": user.email,
        "orgEmail": user.org_email,
        "avatar": detail["avatar"],
        "jobnumber": user.jobnumber,
        "hiredDate": user.hired_date,
        "extattr": dict(user.extattr),
    }


@oapi_route(bp, "/user/getUseridByUnionid", "GET")
def user_get_userid_by_unionid(call: OapiCall) -> dict[str, Any]:
    """userid for a unionid; contactType 0 = internal employee (§4.5)."""
    unionid = call.params.string("unionid", required=True)
    company = call.company
    user = company.user_by_unionid(unionid or "")
    if user is None:
        raise OapiError(USER_NOT_FOUND)
    if not user_in_scope(company, call.settings, user):
        raise OapiError(NO_PERMISSION)
    return {"contactType": 0, "userid": user.userid}


@oapi_route(bp, "/auth/scopes", "GET")
def auth_scopes(call: OapiCall) -> dict[str, Any]:
    """The contacts scope that gates the endpoints above (§5)."""
    settings = call.settings
    return {
        "auth_user_field": list(settings.scope_auth_user_field),
        "condition_field": [],
        "auth_org_scopes": {
            "authed_dept": list(settings.scope_authed_dept),
            "authed_user": list(settings.scope_authed_user),
        },
    }
