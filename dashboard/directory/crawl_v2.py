"""The directory crawl through Contacts v2 (``topapi/v2``, dingtalk-v1.md §8).

``v2/department/listsub`` answers one level only, so every department is listed
once; its English name and ``order`` come from ``v2/department/get`` with
``language=en_US`` and its people from ``v2/user/list`` (cursor paging, 100 a
page). The three kinds of call go to three APIs, each with its own budget in the
governor (per app, per API), so they run side by side, each in its own small
thread pool: departments are listed as soon as their parent's listing names
them, and the crawl takes about as long as its busiest API needs at the
governor's rate (``calls on that API / rate``), not the sum.

Calls: auth/scopes once; per authorised top department one v2/department/get;
per department one v2/department/listsub, one v2/department/get (en_US) and
v2/user/list pages; v2/user/get for individually authorised people.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import replace
from typing import Any

from flask import current_app, has_app_context

from dashboard.dingtalk import DingTalkClient
from dashboard.dingtalk.errors import NotFound, PermissionDenied
from dashboard.directory.parsing import parse_dept_ids, parse_id_list

#: Threads per kind of call (listsub, get, user/list): enough to keep each API at the
#: governor's rate while calls are in flight.
DEFAULT_WORKERS = 3
PAGE_SIZE = 100


def configured_v2() -> bool:
    """Whether DIRECTORY_CONTACTS_API says "v2" (the default) rather than "classic"."""
    cfg = current_app.config if has_app_context() else {}
    return str(cfg.get("DIRECTORY_CONTACTS_API", "v2")).strip().lower() != "classic"


def snapshot_user_fields(raw: dict[str, Any]) -> dict[str, Any]:
    """A v2 user (``title``, ``dept_id_list``) in the fields ``_merge_person`` reads."""
    return {
        "userid": raw.get("userid"),
        "name": raw.get("name"),
        "position": raw.get("title") or "",
        "department": raw.get("dept_id_list") or [],
        "active": raw.get("active", True),
    }


def snapshot_dept_fields(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": raw.get("dept_id"),
        "name": raw.get("name"),
        "parentid": raw.get("parent_id"),
        "order": raw.get("order"),
    }


def _per_dept(items: Any, key: str) -> dict[int, Any]:
    """``[{dept_id, <key>}]`` as ``{dept_id: value}`` (what ``orderInDepts`` held)."""
    result: dict[int, Any] = {}
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("dept_id") is not None:
            result[int(item["dept_id"])] = item.get(key)
    return result


def _json_object(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.strip():
        try:
            decoded = json.loads(value)
        except ValueError:
            return {}
        return decoded if isinstance(decoded, dict) else {}
    return {}


def classic_user_detail(raw: dict[str, Any]) -> dict[str, Any]:
    """A v2 user object (v2/user/get, or a v2/user/list item) in the classic user/get
    field names the directory pages read. The one place v2 user fields are mapped."""
    info = dict(snapshot_user_fields(raw))
    info.update(
        unionid=raw.get("unionid"),
        avatar=raw.get("avatar"),
        mobile=raw.get("mobile"),
        tel=raw.get("telephone"),
        jobnumber=raw.get("job_number"),
        email=raw.get("email"),
        orgEmail=raw.get("org_email"),
        workPlace=raw.get("work_place"),
        remark=raw.get("remark"),
        hiredDate=raw.get("hired_date"),
        isAdmin=raw.get("admin"),
        isBoss=raw.get("boss"),
        isSenior=raw.get("senior"),
        isHide=raw.get("hide_mobile"),
        managerUserId=raw.get("manager_userid"),
        orderInDepts=_per_dept(raw.get("dept_order_list"), "order"),
        isLeaderInDepts=_per_dept(raw.get("leader_in_dept"), "leader"),
        extattr=_json_object(raw.get("extension")),
        roles=[r for r in raw.get("role_list") or [] if isinstance(r, dict)],
    )
    if "leader" in raw:  # v2/user/list items: leader of the listed department
        info["isLeader"] = raw.get("leader")
    if "dept_order" in raw:
        info["order"] = raw.get("dept_order")
    return {key: value for key, value in info.items() if value is not None}


def classic_dept_detail(raw: dict[str, Any]) -> dict[str, Any]:
    """A v2 department object (v2/department/get or a listsub item) in the classic
    department/get field names (arrays where the classic call had ``|``-strings)."""
    info = dict(snapshot_dept_fields(raw))
    info.update(
        sourceIdentifier=raw.get("source_identifier"),
        deptGroupChatId=raw.get("dept_group_chat_id"),
        orgDeptOwner=raw.get("org_dept_owner"),
        deptManagerUseridList=raw.get("dept_manager_userid_list"),
        createDeptGroup=raw.get("create_dept_group"),
        autoAddUser=raw.get("auto_add_user"),
        groupContainSubDept=raw.get("group_contain_sub_dept"),
        deptHiding=raw.get("hide_dept"),
        outerDept=raw.get("outer_dept"),
    )
    return {key: value for key, value in info.items() if value is not None}


class _Pacer:
    """Spaces the starts of one API's calls at the governor's rate after its first second.

    The governor grants a whole second's budget at once, so the threads of a pool
    would send each second's budget as a burst, and bursts a second apart land on
    DingTalk's sliding window with jitter: some windows see one call too many
    (90018; 20-28 of 1,500 calls on the sandbox with three threads per API). The
    first second's budget goes out at once (a small company's crawl is not slowed);
    from then on the calls are spread ``1 / rate`` apart, which costs no time.
    """

    def __init__(self, rate: float | None, clock=time.monotonic, sleep=time.sleep) -> None:
        self.clock = clock
        self.sleep = sleep
        self.interval = 1.0 / rate if rate else 0.0
        self.free = int(rate or 0)
        self.lock = threading.Lock()
        self.count = 0
        self.next = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        with self.lock:
            now = self.clock()
            if self.count == 0:
                self.next = now + self.free * self.interval  # the first second's end
            self.count += 1
            if self.count <= self.free:
                return
            start = max(now, self.next)
            self.next = start + self.interval
        if start > now:
            self.sleep(start - now)


class _Pools:
    """One thread pool per kind of call, each worker inside the app context (the
    token store may be the app's cache)."""

    def __init__(self, kinds: tuple[str, ...], workers: int, rate: float | None) -> None:
        app = current_app._get_current_object() if has_app_context() else None  # type: ignore[attr-defined]

        def initializer() -> None:
            if app is not None:
                app.app_context().push()  # popped with the thread when the pool shuts down

        self.pools = {
            kind: ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix=f"crawl-{kind}", initializer=initializer
            )
            for kind in kinds
        }
        self.pacers = {kind: _Pacer(rate) for kind in kinds}
        self.pending: set[Future] = set()

    def submit(self, kind: str, fn: Callable, *args: Any) -> Future:
        pacer = self.pacers[kind]

        def paced() -> Any:
            pacer.wait()
            return fn(*args)

        future = self.pools[kind].submit(paced)
        future.kind = kind  # type: ignore[attr-defined]
        future.args = args  # type: ignore[attr-defined]
        self.pending.add(future)
        return future

    def shutdown(self) -> None:
        for pool in self.pools.values():
            pool.shutdown(wait=True, cancel_futures=True)


def crawl_v2(client: DingTalkClient, *, workers: int = DEFAULT_WORKERS):
    """Read the contact scope, its departments and their members through topapi/v2."""
    from dashboard.directory.snapshot import _dept_entry, _merge_person, _name, assemble

    api = client.contacts_v2
    scopes = client.auth.get_scopes()
    org = scopes.get("auth_org_scopes") or {}
    authed_depts = parse_dept_ids(org.get("authed_dept"))
    authed_users = parse_id_list(org.get("authed_user"))

    raw_depts: dict[int, dict[str, Any]] = {}  # every department found, classic-shaped
    children: dict[int, list[int]] = {}
    english: dict[int, dict[str, Any]] = {}
    members: dict[int, list[dict[str, Any]]] = {}
    unreachable: list[int] = []
    tops: list[int] = []

    def list_members(dept_id: int) -> list[dict[str, Any]]:
        return list(api.iter_users(dept_id, size=PAGE_SIZE))

    def get_english(dept_id: int) -> dict[str, Any]:
        return api.get_department(dept_id, language="en_US")

    rate = getattr(client.rate_limiter, "rate", None)
    pools = _Pools(("listsub", "get", "users"), max(1, workers), rate)

    def found(dept_id: int) -> None:
        pools.submit("listsub", api.list_sub_departments, dept_id)
        pools.submit("users", list_members, dept_id)

    try:
        for top in authed_depts:
            if top in raw_depts:
                continue
            try:
                raw_depts[top] = snapshot_dept_fields(api.get_department(top))
            except (PermissionDenied, NotFound):
                unreachable.append(top)
                continue
            tops.append(top)
            pools.submit("get", get_english, top)
            found(top)
        while pools.pending:
            done, _ = wait(pools.pending, return_when=FIRST_COMPLETED)
            for future in done:
                pools.pending.discard(future)
                kind, dept_id = future.kind, future.args[0]  # type: ignore[attr-defined]
                try:
                    result = future.result()
                except (PermissionDenied, NotFound):
                    unreachable.append(dept_id)
                    continue
                if kind == "get":
                    english[dept_id] = result
                elif kind == "users":
                    members[dept_id] = result
                else:
                    kids = []
                    for raw in result:
                        child = int(raw["dept_id"])
                        kids.append(child)
                        if child not in raw_depts:
                            raw_depts[child] = snapshot_dept_fields(raw)
                            pools.submit("get", get_english, child)
                            found(child)
                    children[dept_id] = kids
    finally:
        pools.shutdown()

    # Assemble in a stable order (each top, then breadth first), whatever finished first.
    departments = {}
    order: list[int] = []
    for top in tops:
        queue = [top]
        while queue:
            dept_id = queue.pop(0)
            if dept_id in order:
                continue
            order.append(dept_id)
            queue.extend(children.get(dept_id, []))
    siblings = {kid: index for kids in children.values() for index, kid in enumerate(kids)}
    for dept_id in order:
        raw = dict(raw_depts[dept_id])
        detail = english.get(dept_id) or {}
        if detail.get("order") is not None:
            raw["order"] = detail["order"]
        entry = _dept_entry(raw, siblings.get(dept_id, 0))
        name_en = _name(detail)
        departments[dept_id] = replace(entry, name_en=name_en) if name_en else entry

    people: dict[str, dict[str, Any]] = {}
    for dept_id in order:
        for raw in members.get(dept_id, []):
            _merge_person(people, snapshot_user_fields(raw), dept_id)
    for userid in authed_users:
        if userid in people:
            continue
        try:
            _merge_person(people, snapshot_user_fields(api.get_user(userid)), None)
        except (PermissionDenied, NotFound):
            continue

    return assemble(departments, people, unreachable)
