"""The directory snapshot: one crawl of departments and people, cached for a while.

DingTalk asks apps to cache contact data instead of listing it per request (a
crawl per page view gets an app throttled or banned). One crawl reads the
app's contact scope, every department in it and every member of each
department, and is stored in Flask-Caching for DIRECTORY_SNAPSHOT_TTL seconds.
Names, search and the recipient pickers read only this snapshot; an admin can
refresh it on demand. A cache lock (`cache.add`) keeps two requests from
crawling at once.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from pypinyin import lazy_pinyin

from dashboard.dingtalk import DingTalkClient
from dashboard.dingtalk.errors import NotFound, PermissionDenied
from dashboard.directory.parsing import parse_dept_ids, parse_id_list
from dashboard.extensions import cache
from dashboard.services.dingtalk import get_client, isv_mode

log = logging.getLogger(__name__)

ROOT_DEPT_ID = 1
LOCK_SECONDS = 600  # a crawl that takes longer than this is assumed dead
WAIT_SECONDS = 30.0  # how long a request waits for another request's crawl
MAX_QUERY_LENGTH = 100

#: The wall clock a snapshot is dated and aged by (seconds, like time.time). The
#: snapshot expires by it after DIRECTORY_SNAPSHOT_TTL, whatever the cache backend
#: does; tests replace it to move time on.
clock = time.time


class SnapshotBusy(RuntimeError):
    """Another request is crawling the directory right now."""


@dataclass(frozen=True)
class DeptEntry:
    """A department as the snapshot knows it."""

    id: int
    name: str
    parentid: int | None
    order: int = 0
    pinyin: str = ""
    initials: str = ""
    name_en: str = ""  # department/list with lang=en_US, for the English UI


@dataclass(frozen=True)
class UserEntry:
    """A person as the snapshot knows it (no contact details beyond the name and position)."""

    userid: str
    name: str
    position: str = ""
    departments: tuple[int, ...] = ()
    active: bool = True
    pinyin: str = ""
    initials: str = ""


def pinyin_keys(name: str) -> tuple[str, str]:
    """Full pinyin and initials of a name, lower case: 张三 -> ("zhangsan", "zs")."""
    syllables = [s.lower() for s in lazy_pinyin(name or "") if s.strip()]
    return "".join(syllables).replace(" ", ""), "".join(s[0] for s in syllables if s)


@dataclass
class DirectorySnapshot:
    """Departments and people of the company, with lookups and search."""

    departments: dict[int, DeptEntry]
    users: dict[str, UserEntry]
    built_at: float
    unreachable: tuple[int, ...] = ()
    _members: dict[int, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        counts: dict[int, int] = {}
        for user in self.users.values():
            for dept_id in user.departments:
                counts[dept_id] = counts.get(dept_id, 0) + 1
        self._members = counts

    # --- lookups -------------------------------------------------------------------

    def age(self, now: float | None = None) -> float:
        """Seconds since the crawl finished."""
        return max(0.0, (clock() if now is None else now) - self.built_at)

    def user_name(self, userid: str) -> str | None:
        user = self.users.get(userid)
        return user.name if user else None

    def dept_name(self, dept_id: int, locale: str = "zh") -> str | None:
        """The department's name in the UI language (English when DingTalk has one)."""
        dept = self.departments.get(dept_id)
        if dept is None:
            return None
        return dept.name_en if locale.startswith("en") and dept.name_en else dept.name

    def member_count(self, dept_id: int) -> int:
        """Direct members of a department."""
        return self._members.get(dept_id, 0)

    def total_count(self, dept_id: int) -> int:
        """People in a department or any department below it, each counted once."""
        below = self.subtree(dept_id)
        return sum(1 for user in self.users.values() if below.intersection(user.departments))

    def subtree(self, dept_id: int) -> set[int]:
        """A department and every department below it (as far as the snapshot knows)."""
        kids: dict[int, list[int]] = {}
        for dept in self.departments.values():
            if dept.parentid is not None:
                kids.setdefault(dept.parentid, []).append(dept.id)
        found, stack = {dept_id}, [dept_id]
        while stack:
            for child in kids.get(stack.pop(), ()):
                if child not in found:
                    found.add(child)
                    stack.append(child)
        return found

    def children(self, dept_id: int) -> list[DeptEntry]:
        kids = [d for d in self.departments.values() if d.parentid == dept_id]
        return sorted(kids, key=lambda d: (d.order, d.id))

    def path(self, dept_id: int) -> list[int]:
        """Root-first path to a department, as far up as the snapshot knows."""
        path: list[int] = []
        current: int | None = dept_id
        while current is not None and current in self.departments and current not in path:
            path.append(current)
            current = self.departments[current].parentid
        return list(reversed(path))

    # --- search --------------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        types: Iterable[str] = ("users", "depts"),
        limit: int = 20,
        locale: str = "zh",
    ):
        """People and departments matching a name, pinyin, pinyin initials or id.

        A department also matches its English name (DingTalk's en_US name). Exact
        matches first, then prefixes, then substrings; returns the JSON rows of
        `/directory/search`, with department names in the UI language (`locale`).
        """
        q = "".join(query.split()).lower()
        if not q:
            return []
        ranked: list[tuple[tuple[int, int, str], dict[str, Any]]] = []
        if "users" in types:
            for user in self.users.values():
                score = _score(
                    q, (user.userid.lower(), user.name.lower()), (user.initials, user.pinyin)
                )
                if score is not None:
                    row = self._user_row(user, locale)
                    ranked.append(((score, 0, user.pinyin or user.userid), row))
        if "depts" in types:
            for dept in self.departments.values():
                english = "".join((dept.name_en or "").split()).lower()
                score = _score(
                    q, (str(dept.id), dept.name.lower(), english), (dept.initials, dept.pinyin)
                )
                if score is not None:
                    row = self._dept_row(dept, locale)
                    ranked.append(((score, 1, dept.pinyin or str(dept.id)), row))
        ranked.sort(key=lambda item: item[0])
        return [row for _, row in ranked[:limit]]

    def _user_row(self, user: UserEntry, locale: str = "zh") -> dict[str, Any]:
        first = next(
            (self.dept_name(d, locale) for d in user.departments if self.dept_name(d)), None
        )
        detail = " · ".join(part for part in (first, user.position) if part)
        return {"type": "user", "id": user.userid, "name": user.name, "detail": detail}

    def _dept_row(self, dept: DeptEntry, locale: str = "zh") -> dict[str, Any]:
        parents = [self.dept_name(d, locale) or str(d) for d in self.path(dept.id)[:-1]]
        name = self.dept_name(dept.id, locale) or dept.name
        return {"type": "dept", "id": dept.id, "name": name, "detail": " / ".join(parents)}

    # --- storage -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "departments": [asdict(d) for d in self.departments.values()],
            "users": [asdict(u) for u in self.users.values()],
            "built_at": self.built_at,
            "unreachable": list(self.unreachable),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DirectorySnapshot:
        departments = {d["id"]: DeptEntry(**d) for d in data["departments"]}
        users = {}
        for row in data["users"]:
            users[row["userid"]] = UserEntry(**{**row, "departments": tuple(row["departments"])})
        return cls(departments, users, data["built_at"], tuple(data.get("unreachable", ())))


def _score(q: str, exact_fields: tuple[str, ...], pinyin_fields: tuple[str, ...]) -> int | None:
    """0 for an exact id or name, 1 for a prefix, 2 for a substring; None for no match."""
    if q in exact_fields:
        return 0
    fields = [f for f in (*exact_fields, *pinyin_fields) if f]
    if any(f.startswith(q) for f in fields):
        return 1
    if any(q in f for f in fields):
        return 2
    return None


# --- the crawl ---------------------------------------------------------------------


def _name(raw: dict[str, Any]) -> str:
    return str(raw.get("name") or "")


def _dept_entry(raw: dict[str, Any], order: int) -> DeptEntry:
    name = str(raw.get("name") or raw.get("id"))
    full, initials = pinyin_keys(name)
    parent = raw.get("parentid")
    return DeptEntry(
        id=int(raw["id"]),
        name=name,
        parentid=int(parent) if parent not in (None, "", 0) else None,
        order=int(raw.get("order") if raw.get("order") is not None else order),
        pinyin=full,
        initials=initials,
    )


def crawl(client: DingTalkClient, *, fetch_child: bool = True) -> DirectorySnapshot:
    """Read the contact scope, its departments and their members from DingTalk.

    Calls: auth/scopes once; per authorised top department, department/get
    and department/list (fetch_child, or one list per department when
    `fetch_child` is false, as ISV apps must); user/listbypage per department
    (100 a page); user/get for individually authorised people. Departments
    the app may not read are recorded in `unreachable`, not raised.
    """
    scopes = client.auth.get_scopes()
    org = scopes.get("auth_org_scopes") or {}
    authed_depts = parse_dept_ids(org.get("authed_dept"))
    authed_users = parse_id_list(org.get("authed_user"))
    departments: dict[int, DeptEntry] = {}
    english: dict[int, str] = {}
    unreachable: list[int] = []

    for top in authed_depts:
        if top in departments:
            continue
        try:
            departments[top] = _dept_entry(client.departments.get_department(top), 0)
        except (PermissionDenied, NotFound):
            unreachable.append(top)
            continue
        english[top] = _name(client.departments.get_department(top, lang="en_US"))
        pending = [top]
        while pending:
            parent = pending.pop(0)
            try:
                listing = client.departments.list_departments(parent, fetch_child=fetch_child)
                listing_en = client.departments.list_departments(
                    parent, lang="en_US", fetch_child=fetch_child
                )
            except (PermissionDenied, NotFound):
                unreachable.append(parent)
                continue
            english.update((int(r["id"]), _name(r)) for r in listing_en.get("department") or [])
            for index, raw in enumerate(listing.get("department") or []):
                entry = _dept_entry(raw, index)
                if entry.id not in departments:
                    departments[entry.id] = entry
                    if not fetch_child:
                        pending.append(entry.id)

    departments = {
        key: replace(dept, name_en=english[key]) if english.get(key) else dept
        for key, dept in departments.items()
    }
    people: dict[str, dict[str, Any]] = {}
    for dept_id in list(departments):
        try:
            for raw in client.users.iter_department_members(dept_id, size=100):
                _merge_person(people, raw, dept_id)
        except (PermissionDenied, NotFound):
            unreachable.append(dept_id)
    for userid in authed_users:
        if userid in people:
            continue
        try:
            _merge_person(people, client.users.get_user(userid), None)
        except (PermissionDenied, NotFound):
            continue

    return assemble(departments, people, unreachable)


def assemble(
    departments: dict[int, Any], people: dict[str, dict[str, Any]], unreachable: list[int]
) -> DirectorySnapshot:
    """The snapshot of crawled departments and people (classic or v2 crawl), built now."""
    users = {}
    for userid, raw in people.items():
        full, initials = pinyin_keys(raw["name"])
        users[userid] = UserEntry(
            userid=userid,
            name=raw["name"],
            position=raw["position"],
            departments=tuple(raw["departments"]),
            active=raw["active"],
            pinyin=full,
            initials=initials,
        )
    return DirectorySnapshot(departments, users, clock(), tuple(dict.fromkeys(unreachable)))


def crawl_configured(client: DingTalkClient, *, fetch_child: bool = True) -> DirectorySnapshot:
    """The crawl DIRECTORY_CONTACTS_API names: "v2" (topapi/v2, the default) or "classic"."""
    cfg = current_app.config if has_app_context() else {}
    if str(cfg.get("DIRECTORY_CONTACTS_API", "v2")).strip().lower() == "classic":
        return crawl(client, fetch_child=fetch_child)
    from dashboard.directory.crawl_v2 import DEFAULT_WORKERS, crawl_v2

    return crawl_v2(client, workers=int(cfg.get("DIRECTORY_CRAWL_WORKERS", DEFAULT_WORKERS)))


def _merge_person(
    people: dict[str, dict[str, Any]], raw: dict[str, Any], dept_id: int | None
) -> None:
    userid = str(raw.get("userid") or "")
    if not userid:
        return
    person = people.setdefault(
        userid,
        {
            "name": str(raw.get("name") or userid),
            "position": str(raw.get("position") or ""),
            "departments": [],
            "active": bool(raw.get("active", True)),
        },
    )
    for dept in [*parse_dept_ids(raw.get("department")), *([dept_id] if dept_id else [])]:
        if dept not in person["departments"]:
            person["departments"].append(dept)


# --- the cache ---------------------------------------------------------------------


def _company_key() -> str:
    return str(getattr(get_client(), "app_id", None) or "internal")


def _keys() -> tuple[str, str, str]:
    base = f"directory:{_company_key()}:snapshot"
    return f"{base}:stamp", f"{base}:data", f"{base}:lock"


_MEMO: dict[str, DirectorySnapshot] = {}


def _ttl() -> int:
    return int(current_app.config.get("DIRECTORY_SNAPSHOT_TTL", 3600))


def _load_cached() -> DirectorySnapshot | None:
    """The cached snapshot, decoded once per process per crawl; None once it is too old."""
    stamp_key, data_key, _ = _keys()
    stamp = cache.get(stamp_key)
    if stamp is None or clock() - stamp >= _ttl():
        return None
    memo = _MEMO.get(data_key)
    revision = cache.get(_revision_key()) or ""
    if memo is not None and memo.built_at == stamp and _MEMO_REV.get(data_key) == revision:
        return memo
    data = cache.get(data_key)
    if not data:
        return None
    snapshot = DirectorySnapshot.from_dict(data)
    _MEMO[data_key] = snapshot
    _MEMO_REV[data_key] = revision
    return snapshot


_MEMO_REV: dict[str, str] = {}


def _revision_key() -> str:
    """Changes on each incremental patch, so every process decodes the patched snapshot."""
    return f"directory:{_company_key()}:snapshot:revision"


def _store(snapshot: DirectorySnapshot, *, ttl: int | None = None) -> None:
    stamp_key, data_key, _ = _keys()
    ttl = _ttl() if ttl is None else ttl
    revision = secrets.token_hex(4)
    cache.set(data_key, snapshot.to_dict(), timeout=ttl)
    cache.set(_revision_key(), revision, timeout=ttl)
    cache.set(stamp_key, snapshot.built_at, timeout=ttl)
    _MEMO[data_key] = snapshot
    _MEMO_REV[data_key] = revision
    bump_generation()


# --- incremental updates (contact events over Stream) --------------------------------


def _user_entry(raw: dict[str, Any]) -> UserEntry | None:
    people: dict[str, dict[str, Any]] = {}
    _merge_person(people, raw, None)
    if not people:
        return None
    userid, person = next(iter(people.items()))
    full, initials = pinyin_keys(person["name"])
    return UserEntry(
        userid=userid,
        name=person["name"],
        position=person["position"],
        departments=tuple(person["departments"]),
        active=person["active"],
        pinyin=full,
        initials=initials,
    )


def patch_snapshot(
    *,
    users: Iterable[str] = (),
    departments: Iterable[int] = (),
    removed_users: Iterable[str] = (),
    removed_departments: Iterable[int] = (),
) -> dict[str, list] | None:
    """Patch the cached snapshot in place of a full refresh: each changed person or
    department is read again (v2/user/get and v2/department/get, or user/get and
    department/get under DIRECTORY_CONTACTS_API=classic), one DingTalk no longer knows
    is dropped, and the removed ones are dropped. Keeps the snapshot's age; None (and no
    call) when there is no snapshot, as the next crawl reads everything anyway.

    Returns what changed: ``{"updated": [...], "removed": [...]}`` (ids as text).
    """
    snapshot = _load_cached()
    if snapshot is None:
        return None
    from dashboard.directory.crawl_v2 import (
        configured_v2,
        snapshot_dept_fields,
        snapshot_user_fields,
    )

    client = get_client()
    if configured_v2():  # v2/user/get, v2/department/get, mapped as the v2 crawl maps them

        def get_user(userid):
            return snapshot_user_fields(client.contacts_v2.get_user(userid))

        def get_dept(dept_id, lang=None):
            return snapshot_dept_fields(client.contacts_v2.get_department(dept_id, language=lang))
    else:

        def get_user(userid):
            return client.users.get_user(userid)

        def get_dept(dept_id, lang=None):
            return client.departments.get_department(dept_id, **({"lang": lang} if lang else {}))

    depts = dict(snapshot.departments)
    people = dict(snapshot.users)
    updated: list[str] = []
    removed: list[str] = []
    for dept_id in departments:
        try:
            raw = get_dept(dept_id)
        except NotFound:
            removed_departments = [*removed_departments, dept_id]
            continue
        entry = _dept_entry(raw, (depts.get(dept_id) or DeptEntry(dept_id, "", None)).order)
        try:
            english = _name(get_dept(dept_id, "en_US"))
        except (PermissionDenied, NotFound):
            english = ""
        depts[entry.id] = replace(entry, name_en=english) if english else entry
        updated.append(f"dept:{entry.id}")
    for dept_id in removed_departments:
        if depts.pop(int(dept_id), None) is not None:
            removed.append(f"dept:{dept_id}")
    for userid in users:
        try:
            entry = _user_entry(get_user(userid))
        except NotFound:
            entry = None
        if entry is None or not (set(entry.departments) & set(depts)):
            removed_users = [*removed_users, userid]
            continue
        people[entry.userid] = entry
        updated.append(entry.userid)
    for userid in removed_users:
        if people.pop(str(userid), None) is not None:
            removed.append(str(userid))
    patched = DirectorySnapshot(depts, people, snapshot.built_at, snapshot.unreachable)
    left = max(1, int(_ttl() - snapshot.age()))
    _store(patched, ttl=left)
    _remember(patched)
    return {"updated": updated, "removed": removed}


def _crawl_with_lock(*, wait: bool) -> DirectorySnapshot | None:
    """Crawl under the cache lock; if another request holds it, wait for its result or give up."""
    _, _, lock_key = _keys()
    token = secrets.token_hex(8)
    if not cache.add(lock_key, token, timeout=LOCK_SECONDS):
        if not wait:
            raise SnapshotBusy()
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(0.2)
            snapshot = _load_cached()
            if snapshot is not None:
                return snapshot
            if cache.get(lock_key) is None:
                break
        return _load_cached()
    try:
        fetch_child = not isv_mode()
        started = time.monotonic()
        snapshot = crawl_configured(get_client(), fetch_child=fetch_child)
        log.info(
            "directory snapshot built: %d departments, %d people in %.1f s",
            len(snapshot.departments),
            len(snapshot.users),
            time.monotonic() - started,
        )
        _store(snapshot)
        _remember(snapshot)
        return snapshot
    finally:
        if cache.get(lock_key) == token:
            cache.delete(lock_key)


_REQUEST_ATTR = "_directory_snapshot"


def _remember(snapshot: DirectorySnapshot | None) -> None:
    """Keep the snapshot on the current request, so one page reads the cache once."""
    if has_request_context():
        setattr(request, _REQUEST_ATTR, snapshot)


def get_snapshot(*, build_if_missing: bool = True) -> DirectorySnapshot | None:
    """The cached snapshot; crawls first when there is none and `build_if_missing`.

    With `build_if_missing=False` this never calls DingTalk (for rendering names).
    """
    snapshot = getattr(request, _REQUEST_ATTR, None) if has_request_context() else None
    if snapshot is not None:
        return snapshot
    snapshot = _load_cached()
    if snapshot is None and build_if_missing:
        snapshot = _crawl_with_lock(wait=True)
    _remember(snapshot)
    return snapshot


def peek_snapshot() -> DirectorySnapshot | None:
    """The cached snapshot or None, never calling DingTalk and never raising."""
    if not has_app_context():
        return None
    try:
        return get_snapshot(build_if_missing=False)
    except Exception:  # noqa: BLE001 (names must never break a page)
        log.debug("no directory snapshot for names", exc_info=True)
        return None


def refresh_snapshot() -> DirectorySnapshot:
    """Crawl now and replace the cached snapshot; raises SnapshotBusy if a crawl is running."""
    snapshot = _crawl_with_lock(wait=False)
    assert snapshot is not None
    return snapshot


# --- short-lived caches of detail pages --------------------------------------------


def _generation_key() -> str:
    return f"directory:{_company_key()}:generation"


def bump_generation() -> None:
    """Invalidate every briefly cached detail answer (after a refresh)."""
    cache.set(_generation_key(), secrets.token_hex(4), timeout=0)


def cached_answer(kind: str, ident: Any, fetch, *, ttl: int | None = None):
    """`fetch()` cached under this snapshot generation.

    For DIRECTORY_DETAIL_TTL seconds, by default the snapshot's own lifetime
    (DIRECTORY_SNAPSHOT_TTL): page views within the snapshot's lifetime make no
    contact calls a second time, and a refresh (a new generation) reads afresh.
    Errors are not cached, so a fixed permission shows at once.
    """
    if ttl is None:
        config = current_app.config
        ttl = config.get("DIRECTORY_DETAIL_TTL")
        ttl = int(config.get("DIRECTORY_SNAPSHOT_TTL", 3600) if ttl is None else ttl)
    if ttl <= 0:
        return fetch()
    generation = cache.get(_generation_key()) or "0"
    key = f"directory:{_company_key()}:{generation}:{kind}:{ident}"
    value = cache.get(key)
    if value is None:
        value = fetch()
        cache.set(key, value, timeout=ttl)
    return value
