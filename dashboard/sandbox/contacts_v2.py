"""Contacts v2: the topapi replacements of the classic contacts calls (dingtalk-v1.md §8).

All POST with a JSON body; the reply is the classic envelope plus `result` and
`request_id` (added by the app for every /topapi/ path, as are the errcode 88
wrapping of auth errors). The same directory and contacts scope as the classic
calls (contacts.py): 60003 unknown department, 33012 unknown userid, 60011
outside the scope, 400002 for a bad parameter (the v2 docs' code).
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint

from dashboard.sandbox.contacts import (
    avatar_url,
    dept_in_scope,
    dept_name,
    require_user,
    sort_members,
)
from dashboard.sandbox.demo import Company, Department, User
from dashboard.sandbox.errors import DEPT_NOT_FOUND, INVALID_USERID, NO_PERMISSION, OapiError
from dashboard.sandbox.params import Params
from dashboard.sandbox.routing import OapiCall, oapi_route
from dashboard.sandbox.state import department_chat_id

bp = Blueprint("sandbox_contacts_v2", __name__)

BAD_PARAMETER = 400002
ORDER_FIELDS = ("entry_asc", "entry_desc", "modify_asc", "modify_desc", "custom")
LANGUAGES = ("zh_CN", "en_US")
MAX_CURSOR = 100000
MAX_SIZE = 100
MAX_USERID = 64


def bad_parameter(detail: str) -> OapiError:
    return OapiError(BAD_PARAMETER, f"参数错误: {detail}")


def integer(params: Params, name: str, *, required: bool, default: int | None = None) -> int:
    """An integer body field; missing or not an integer is 400002."""
    if not params.has(name):
        if required:
            raise bad_parameter(f"{name} is required")
        return default  # type: ignore[return-value]
    value = params.raw(name)
    if isinstance(value, bool):
        raise bad_parameter(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise bad_parameter(f"{name} must be an integer")


def language(params: Params) -> str | None:
    lang = params.string("language")
    if lang is not None and lang not in LANGUAGES:
        raise bad_parameter(f"language must be one of {', '.join(LANGUAGES)}")
    return lang


def dept_of(call: OapiCall, *, default: int | None = None) -> Department:
    """The department of `dept_id` (≥ 1): 60003 unknown, 60011 outside the scope."""
    dept_id = integer(call.params, "dept_id", required=default is None, default=default)
    if dept_id < 1:
        raise bad_parameter("dept_id must be 1 or more")
    dept = call.company.departments.get(dept_id)
    if dept is None:
        raise OapiError(DEPT_NOT_FOUND, f"部门不存在: {dept_id}")
    if not dept_in_scope(call.company, call.settings, dept.id):
        raise OapiError(NO_PERMISSION)
    return dept


def user_of(call: OapiCall) -> User:
    userid = call.params.string("userid")
    if userid is not None and len(userid) > MAX_USERID:
        raise bad_parameter(f"userid must be at most {MAX_USERID} characters")
    if userid is None:
        raise bad_parameter("userid is required")
    return require_user(call, "userid", INVALID_USERID)


def user_v2(company: Company, user: User) -> dict[str, Any]:
    """The v2/user/get object (§8): snake_case, arrays instead of `|` strings."""
    return {
        "userid": user.userid,
        "unionid": user.unionid,
        "name": user.name,
        "avatar": avatar_url(user),
        "state_code": "86",
        "mobile": user.mobile,
        "hide_mobile": user.is_hide,
        "telephone": user.tel,
        "job_number": user.jobnumber,
        "title": user.position,
        "email": user.email,
        "org_email": user.org_email,
        "org_email_type": "profession" if user.org_email else "",
        "work_place": user.work_place,
        "remark": user.remark,
        "dept_id_list": list(user.departments),
        "dept_order_list": [
            {"dept_id": d, "order": user.order_in_depts.get(d, 0)} for d in user.departments
        ],
        "leader_in_dept": [
            {"dept_id": d, "leader": user.leader_in_depts.get(d, False)} for d in user.departments
        ],
        "dept_position_list": [
            {"dept_id": d, "is_main": i == 0, "title": user.position, "work_place": user.work_place}
            for i, d in enumerate(user.departments)
        ],
        "extension": json.dumps(dict(user.extattr), ensure_ascii=False),
        "hired_date": user.hired_date,
        "active": user.active,
        "admin": user.is_admin,
        "boss": user.is_boss,
        "senior": user.is_senior,
        "real_authed": user.active,
        "role_list": [
            {"id": r.get("id"), "name": r.get("name"), "group_name": r.get("groupName")}
            for r in user.roles
        ],
        "manager_userid": user.manager_userid,
        "exclusive_account": False,
        "exclusive_account_type": "",
        "login_id": "",
        "union_emp_ext": {},
    }


def dept_summary_v2(dept: Department, lang: str | None) -> dict[str, Any]:
    """One entry of v2/department/listsub."""
    return {
        "dept_id": dept.id,
        "name": dept_name(dept, lang),
        "parent_id": dept.parentid or 0,
        "create_dept_group": dept.create_dept_group,
        "auto_add_user": dept.auto_add_user,
        "from_union_org": False,
        "source_identifier": dept.source_identifier,
        "tags": "",
        "ext": "",
    }


def page_of(call: OapiCall, entry) -> dict[str, Any]:
    """A cursor page of a department's direct members (v2/user/list, user/listsimple)."""
    params = call.params
    dept = dept_of(call)
    cursor = integer(params, "cursor", required=True)
    size = integer(params, "size", required=True)
    if not 0 <= cursor <= MAX_CURSOR:
        raise bad_parameter(f"cursor must be between 0 and {MAX_CURSOR}")
    if not 1 <= size <= MAX_SIZE:
        raise bad_parameter(f"size must be between 1 and {MAX_SIZE}")
    order = params.string("order_field", default="custom") or "custom"
    if order not in ORDER_FIELDS:
        raise bad_parameter(f"order_field must be one of {', '.join(ORDER_FIELDS)}")
    language(params)
    members = sort_members(call.company.members(dept.id), order)
    page = members[cursor : cursor + size]
    has_more = cursor + size < len(members)
    result: dict[str, Any] = {"has_more": has_more, "list": [entry(u, dept.id) for u in page]}
    if has_more:
        result["next_cursor"] = cursor + size
    return {"result": result}


@oapi_route(bp, "/topapi/v2/user/get", "POST")
def v2_user_get(call: OapiCall) -> dict[str, Any]:
    user = user_of(call)
    language(call.params)
    return {"result": user_v2(call.company, user)}


@oapi_route(bp, "/topapi/v2/user/list", "POST")
def v2_user_list(call: OapiCall) -> dict[str, Any]:
    company = call.company

    def entry(user: User, dept_id: int) -> dict[str, Any]:
        item = user_v2(company, user)
        item["dept_order"] = user.order_in_depts.get(dept_id, 0)
        item["leader"] = user.leader_in_depts.get(dept_id, False)
        return item

    return page_of(call, entry)


@oapi_route(bp, "/topapi/user/listsimple", "POST")
def user_listsimple(call: OapiCall) -> dict[str, Any]:
    return page_of(call, lambda user, _dept: {"userid": user.userid, "name": user.name})


@oapi_route(bp, "/topapi/user/listid", "POST")
def user_listid(call: OapiCall) -> dict[str, Any]:
    dept = dept_of(call)
    return {"result": {"userid_list": [u.userid for u in call.company.members(dept.id)]}}


@oapi_route(bp, "/topapi/user/count", "POST")
def user_count(call: OapiCall) -> dict[str, Any]:
    if not call.params.has("only_active"):
        raise bad_parameter("only_active is required")
    try:
        only_active = call.params.boolean("only_active")
    except OapiError:
        raise bad_parameter("only_active must be true or false") from None
    users = call.company.users.values()  # as the classic user/get_org_user_count
    return {"result": {"count": sum(1 for u in users if u.active or not only_active)}}


@oapi_route(bp, "/topapi/v2/department/listsub", "POST")
def v2_department_listsub(call: OapiCall) -> dict[str, Any]:
    dept = dept_of(call, default=1)
    lang = language(call.params)
    return {"result": [dept_summary_v2(d, lang) for d in call.company.children(dept.id)]}


@oapi_route(bp, "/topapi/v2/department/listsubid", "POST")
def v2_department_listsubid(call: OapiCall) -> dict[str, Any]:
    dept = dept_of(call)
    return {"result": {"dept_id_list": [d.id for d in call.company.children(dept.id)]}}


@oapi_route(bp, "/topapi/v2/department/get", "POST")
def v2_department_get(call: OapiCall) -> dict[str, Any]:
    dept = dept_of(call)
    lang = language(call.params)
    company = call.company
    chat_id = department_chat_id(dept.id) if dept.create_dept_group else ""
    result: dict[str, Any] = {
        "dept_id": dept.id,
        "name": dept_name(dept, lang),
        "order": dept.order,
        "brief": "",
        "telephone": "",
        "source_identifier": dept.source_identifier,
        "tags": "",
        "extention": "",
        "create_dept_group": dept.create_dept_group,
        "auto_add_user": dept.auto_add_user,
        "auto_approve_apply": False,
        "group_contain_sub_dept": dept.group_contain_sub_dept,
        "dept_group_chat_id": chat_id if chat_id in call.state.chats else "",
        "org_dept_owner": dept.manager_userids[0] if dept.manager_userids else "",
        "dept_manager_userid_list": list(dept.manager_userids),
        "hide_dept": dept.dept_hiding,
        "dept_permits": [d.id for d in company.children(dept.id)],
        "user_permits": list(dept.manager_userids),
        "outer_dept": False,
        "outer_permit_depts": [],
        "outer_permit_users": [],
        "from_union_org": False,
        "member_count": len(company.members(dept.id)),
    }
    if dept.parentid is not None:
        result["parent_id"] = dept.parentid
    return {"result": result}


@oapi_route(bp, "/topapi/v2/department/listparentbyuser", "POST")
def v2_department_listparentbyuser(call: OapiCall) -> dict[str, Any]:
    user = user_of(call)
    paths = [{"parent_dept_id_list": call.company.ancestors(d)} for d in user.departments]
    return {"result": {"parent_list": paths}}


@oapi_route(bp, "/topapi/v2/department/listparentbydept", "POST")
def v2_department_listparentbydept(call: OapiCall) -> dict[str, Any]:
    dept = dept_of(call)
    return {"result": {"parent_id_list": call.company.ancestors(dept.id)}}
