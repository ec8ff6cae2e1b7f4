"""What the organisation pages show, read from DingTalk and the snapshot.

Views call these and render the result. Detail answers are cached briefly
(`snapshot.cached_answer`); names of other people and departments come from
the snapshot, so a page never lists the whole company.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _

from dashboard.dingtalk.errors import InvalidMessage, NotFound, PermissionDenied
from dashboard.directory.crawl_v2 import (
    classic_dept_detail,
    classic_user_detail,
    configured_v2,
)
from dashboard.directory.parsing import (
    ms_to_date,
    parse_dept_ids,
    parse_id_list,
    parse_loose_map,
    parse_parent_paths,
)
from dashboard.directory.snapshot import (
    ROOT_DEPT_ID,
    DirectorySnapshot,
    cached_answer,
    get_snapshot,
)
from dashboard.services.dingtalk import get_client, isv_mode

MEMBERS_PAGE_SIZE = 50  # user/listbypage and v2/user/list allow at most 100


class OutOfScope(Exception):
    """The department or person is outside this app's contact scope (60011)."""


def dingtalk_lang() -> str:
    """The `lang` DingTalk should answer in, following the UI language."""
    return "en_US" if str(get_locale() or "zh").startswith("en") else "zh_CN"


def use_v2() -> bool:
    """Whether the pages read through Contacts v2 (DIRECTORY_CONTACTS_API, default "v2")."""
    return configured_v2()


def _get_department(dept_id: int, lang: str) -> dict[str, Any]:
    """department/get, or v2/department/get in the classic field names."""
    client = get_client()
    if use_v2():
        return _call(
            "dept-v2",
            (dept_id, lang),
            lambda: classic_dept_detail(client.contacts_v2.get_department(dept_id, language=lang)),
        )
    return _call(
        "dept", (dept_id, lang), lambda: client.departments.get_department(dept_id, lang=lang)
    )


def _call(kind: str, ident: Any, fetch):
    """A cached DingTalk answer, with 60011-type errors turned into OutOfScope."""
    try:
        return cached_answer(kind, ident, fetch)
    except PermissionDenied as exc:
        raise OutOfScope(str(ident)) from exc
    except InvalidMessage as exc:  # v2 checks ids before sending (dept_id >= 1, userid <= 64)
        raise NotFound(str(exc)) from exc


# --- overview ------------------------------------------------------------------------


@dataclass
class Scope:
    """auth/scopes, parsed."""

    dept_ids: list[int]
    userids: list[str]
    fields: list[str]
    whole_org: bool


@dataclass
class Overview:
    count_all: int | None
    count_active: int | None
    scope: Scope
    snapshot: DirectorySnapshot | None


def read_scope() -> Scope:
    """The app's contact scope (auth/scopes, cached briefly)."""
    raw = cached_answer("scopes", "-", lambda: get_client().auth.get_scopes())
    org = raw.get("auth_org_scopes") or {}
    dept_ids = parse_dept_ids(org.get("authed_dept"))
    return Scope(
        dept_ids=dept_ids,
        userids=parse_id_list(org.get("authed_user")),
        fields=[str(f) for f in raw.get("auth_user_field") or []],
        whole_org=ROOT_DEPT_ID in dept_ids,
    )


def read_overview() -> Overview:
    """Head counts (user/get_org_user_count 0 and 1), the scope and the snapshot."""
    client = get_client()
    snapshot = get_snapshot()  # first: a new snapshot starts a new generation of cached answers
    counts = {}
    for only_active in (False, True):
        try:
            answer = cached_answer(
                "count", int(only_active), lambda a=only_active: client.users.count_org_users(a)
            )
            counts[only_active] = int(answer.get("count", 0))
        except PermissionDenied:
            counts[only_active] = None
    return Overview(counts[False], counts[True], read_scope(), snapshot)


# --- the tree ------------------------------------------------------------------------


@dataclass
class TreeNode:
    id: int
    name: str
    has_children: bool | None  # None: unknown until opened
    members: int | None = None  # direct members
    total: int | None = None  # members with the sub-departments', each person once


def tree_children(dept_id: int) -> list[TreeNode]:
    """Direct sub-departments of `dept_id`, in the UI language.

    Internal apps: one department/list with fetch_child, which also tells
    which children have children. ISV apps may not recurse: department/list
    without it, then department/list_ids per child.
    """
    client = get_client()
    lang = dingtalk_lang()
    snapshot = get_snapshot(build_if_missing=False)
    if use_v2():
        return _tree_children_v2(dept_id, lang, snapshot)
    if not isv_mode():
        listing = _call(
            "tree",
            (dept_id, lang),
            lambda: client.departments.list_departments(dept_id, lang=lang, fetch_child=True),
        )
        rows = listing.get("department") or []
        parents = {int(r.get("parentid") or 0) for r in rows}
        direct = [r for r in rows if int(r.get("parentid") or 0) == dept_id]
        return [_node(r, int(r["id"]) in parents, snapshot) for r in direct]
    listing = _call(
        "tree-flat",
        (dept_id, lang),
        lambda: client.departments.list_departments(dept_id, lang=lang, fetch_child=False),
    )
    nodes = []
    for row in listing.get("department") or []:
        child = int(row["id"])
        try:
            ids = _call(
                "tree-ids", child, lambda c=child: client.departments.list_sub_department_ids(c)
            )
            has_children: bool | None = bool(ids.get("sub_dept_id_list"))
        except OutOfScope:
            has_children = None
        nodes.append(_node(row, has_children, snapshot))
    return nodes


def _tree_children_v2(
    dept_id: int, lang: str, snapshot: DirectorySnapshot | None
) -> list[TreeNode]:
    """v2/department/listsub (one level, internal and ISV apps alike); whether a child
    has children from the snapshot when it knows the child, else v2/department/listsubid."""
    api = get_client().contacts_v2
    rows = _call(
        "tree-v2", (dept_id, lang), lambda: api.list_sub_departments(dept_id, language=lang)
    )
    nodes = []
    for raw in rows:
        row = classic_dept_detail(raw)
        child = int(row["id"])
        has_children: bool | None
        if snapshot is not None and child in snapshot.departments:
            has_children = bool(snapshot.children(child))
        else:
            try:
                ids = _call("tree-ids-v2", child, lambda c=child: api.list_sub_department_ids(c))
                has_children = bool(ids)
            except OutOfScope:
                has_children = None
        nodes.append(_node(row, has_children, snapshot))
    return nodes


def _node(
    row: dict[str, Any], has_children: bool | None, snapshot: DirectorySnapshot | None
) -> TreeNode:
    dept_id = int(row["id"])
    known = snapshot is not None and dept_id in snapshot.departments
    members = snapshot.member_count(dept_id) if known else None
    total = snapshot.total_count(dept_id) if known else None
    return TreeNode(dept_id, str(row.get("name") or dept_id), has_children, members, total)


@dataclass
class TreeItem:
    node: TreeNode
    children: list[TreeNode]


@dataclass
class TreeTop:
    """Where the tree starts: the root, or the authorised departments when the root is out of scope."""

    items: list[TreeItem]
    root_out_of_scope: bool


def tree_top() -> TreeTop:
    """The starting departments (department/get) with their first level opened."""
    lang = dingtalk_lang()
    scope = read_scope()
    starts = [ROOT_DEPT_ID] if scope.whole_org or not scope.dept_ids else scope.dept_ids
    snapshot = get_snapshot(build_if_missing=False)
    items = []
    for dept_id in starts:
        try:
            info = _get_department(dept_id, lang)
            children = tree_children(dept_id)
        except (OutOfScope, NotFound):
            continue
        items.append(TreeItem(_node(info, bool(children), snapshot), children))
    return TreeTop(items, root_out_of_scope=ROOT_DEPT_ID not in starts)


def headcounts(parent: int = ROOT_DEPT_ID, limit: int = 12) -> list[tuple[str, int]]:
    """(name, people with the sub-departments) of the departments under `parent`, largest
    first, from the snapshot (empty without one; never calls DingTalk)."""
    snapshot = get_snapshot(build_if_missing=False)
    if snapshot is None:
        return []
    rows = [(child.name, snapshot.total_count(child.id)) for child in snapshot.children(parent)]
    direct = snapshot.member_count(parent)
    if direct:
        rows.append((_("Directly in %(name)s", name=snapshot.dept_name(parent) or parent), direct))
    return sorted(rows, key=lambda row: -row[1])[:limit]


# --- a department --------------------------------------------------------------------


@dataclass
class DepartmentPage:
    info: dict[str, Any]
    breadcrumbs: list[int]  # root first, without the department itself
    managers: list[str]
    sub_departments: list[dict[str, Any]]
    member_ids: list[str]
    members: list[dict[str, Any]]
    page: int
    pages: int
    flags: dict[str, bool] = field(default_factory=dict)
    total_members: int | None = None  # with the sub-departments' (from the snapshot)


def read_department(dept_id: int, page: int = 1) -> DepartmentPage:
    """The department, its parents, sub-departments and one page of its members.

    v2 (DIRECTORY_CONTACTS_API): v2/department/get, v2/department/listparentbydept,
    v2/department/listsub, topapi/user/listid, v2/user/list (cursor paging). Classic:
    department/get, list_parent_depts_by_dept, department/list, user/getDeptMember,
    user/listbypage. Raises NotFound (60003) and OutOfScope (60011).
    """
    lang = dingtalk_lang()
    info = _get_department(dept_id, lang)
    reader = _department_parts_v2 if use_v2() else _department_parts_classic
    path, sub_departments, member_ids, page, pages, members = reader(dept_id, page, lang)
    flags = {
        key: bool(info.get(key))
        for key in (
            "createDeptGroup",
            "autoAddUser",
            "groupContainSubDept",
            "deptHiding",
            "outerDept",
        )
        if key in info
    }
    return DepartmentPage(
        info=info,
        breadcrumbs=path,
        managers=parse_id_list(info.get("deptManagerUseridList")),
        sub_departments=sub_departments,
        member_ids=member_ids,
        members=members,
        page=page,
        pages=pages,
        flags=flags,
        total_members=_total_members(dept_id),
    )


def _page_of(page: int, count: int) -> tuple[int, int]:
    pages = max(1, math.ceil(count / MEMBERS_PAGE_SIZE))
    return min(max(1, page), pages), pages


def _department_parts_classic(dept_id: int, page: int, lang: str):
    client = get_client()
    parents = _call(
        "dept-parents", dept_id, lambda: client.departments.list_parent_ids_by_department(dept_id)
    )
    path = [d for d in reversed(parse_dept_ids(parents.get("parentIds"))) if d != dept_id]
    subs = _call(
        "dept-subs",
        (dept_id, lang),
        lambda: client.departments.list_departments(dept_id, lang=lang, fetch_child=False),
    )
    sub_departments = [
        d for d in subs.get("department") or [] if int(d.get("parentid") or dept_id) == dept_id
    ]
    ids = _call(
        "dept-member-ids", dept_id, lambda: client.users.list_department_member_ids(dept_id)
    )
    member_ids = parse_id_list(ids.get("userIds"))
    page, pages = _page_of(page, len(member_ids))
    offset = (page - 1) * MEMBERS_PAGE_SIZE
    listing = _call(
        "dept-members",
        (dept_id, page, lang),
        lambda: client.users.list_department_members_page(
            dept_id, offset, MEMBERS_PAGE_SIZE, lang=lang
        ),
    )
    return path, sub_departments, member_ids, page, pages, list(listing.get("userlist") or [])


def _department_parts_v2(dept_id: int, page: int, lang: str):
    api = get_client().contacts_v2
    parents = _call("dept-parents-v2", dept_id, lambda: api.list_parent_ids_by_department(dept_id))
    path = [d for d in reversed(parents) if d != dept_id]
    subs = _call(
        "dept-subs-v2", (dept_id, lang), lambda: api.list_sub_departments(dept_id, language=lang)
    )
    sub_departments = [classic_dept_detail(d) for d in subs]
    member_ids = _call("dept-member-ids-v2", dept_id, lambda: api.list_user_ids(dept_id))
    page, pages = _page_of(page, len(member_ids))
    # The cursor is DingTalk's to choose: follow next_cursor from the first page (each
    # page cached on its own, so paging on costs one call a page).
    cursor = 0
    listing: dict[str, Any] = {}
    for _number in range(page):
        listing = _call(
            "dept-members-v2",
            (dept_id, cursor, lang),
            lambda c=cursor: api.list_users_page(dept_id, c, MEMBERS_PAGE_SIZE, language=lang),
        )
        next_cursor = listing.get("next_cursor")
        if not listing.get("has_more") or not isinstance(next_cursor, int) or next_cursor <= cursor:
            break
        cursor = next_cursor
    members = [classic_user_detail(u) for u in listing.get("list") or []]
    return path, sub_departments, member_ids, page, pages, members


def _total_members(dept_id: int) -> int | None:
    snapshot = get_snapshot(build_if_missing=False)
    if snapshot is None or dept_id not in snapshot.departments:
        return None
    return snapshot.total_count(dept_id)


# --- a person ------------------------------------------------------------------------


@dataclass
class Membership:
    dept_id: int
    path: list[int]  # root first, the department last
    order: Any = None
    leader: bool = False


@dataclass
class UserPage:
    info: dict[str, Any]
    avatar: str | None
    hired: date | None
    memberships: list[Membership]
    manager: str | None
    extattr: dict[str, str]
    roles: list[str]


def read_user(userid: str) -> UserPage:
    """user/get and department/list_parent_depts, with the loose fields parsed.

    Raises NotFound (60121 / 33012) and OutOfScope (60011).
    """
    client = get_client()
    lang = dingtalk_lang()
    if use_v2():
        api = client.contacts_v2
        info = _call(
            "user-v2",
            (userid, lang),
            lambda: classic_user_detail(api.get_user(userid, language=lang)),
        )
    else:
        info = _call("user", (userid, lang), lambda: client.users.get_user(userid, lang=lang))
    try:
        if use_v2():
            raw = _call("user-paths-v2", userid, lambda: api.list_parent_paths_by_user(userid))
            paths = [list(reversed(p)) for p in raw]
        else:
            raw_paths = _call(
                "user-paths", userid, lambda: client.departments.list_parent_paths_by_user(userid)
            )
            paths = [list(reversed(p)) for p in parse_parent_paths(raw_paths.get("department"))]
    except OutOfScope:
        paths = []
    orders = parse_loose_map(info.get("orderInDepts"))
    leaders = parse_loose_map(info.get("isLeaderInDepts"))
    by_dept = {p[-1]: p for p in paths if p}
    dept_ids = parse_dept_ids(info.get("department")) or list(by_dept)
    memberships = [
        Membership(d, by_dept.get(d, [d]), orders.get(d), leaders.get(d) is True) for d in dept_ids
    ]
    avatar = str(info.get("avatar") or "")
    extattr = info.get("extattr") if isinstance(info.get("extattr"), dict) else {}
    roles = [
        str(r.get("name")) for r in info.get("roles") or [] if isinstance(r, dict) and r.get("name")
    ]
    return UserPage(
        info=info,
        avatar=avatar if avatar.startswith(("https://", "http://")) else None,
        hired=ms_to_date(info.get("hiredDate")),
        memberships=memberships,
        manager=info.get("managerUserId") or info.get("managerUserid") or None,
        extattr={str(k): str(v) for k, v in extattr.items()},
        roles=roles,
    )


def lookup_unionid(unionid: str) -> dict[str, Any] | None:
    """user/getUseridByUnionid; None when DingTalk knows no such person.

    Raises OutOfScope when the person exists outside the app's contact scope.
    """
    try:
        return get_client().users.get_userid_by_unionid(unionid)
    except NotFound:
        return None
    except PermissionDenied as exc:
        raise OutOfScope(unionid) from exc
