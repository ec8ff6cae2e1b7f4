"""Recipient groups: saved people and departments, resolved from the directory at send time.

A group stores ids; whom it reaches is worked out from the directory snapshot
(``dashboard.directory.snapshot``) each time it is shown or sent to, so a person
who joined a department of the group is reached and one who left is not:

- a person of the group: sent to by userid while the directory knows them
  (``unknown_userids`` lists the others, not sent to);
- a department, "including sub-departments" (the default): sent to by its id,
  which DingTalk's ``dept_id_list`` spreads over the whole subtree; its people now
  are counted from the snapshot;
- a department without its sub-departments: resolved to the userids of its direct
  members now (DingTalk would otherwise reach the subtree);
- a department the directory does not know: ``unknown_dept_ids``, not sent to.

For the schedules (and any other sender), inside an app context::

    from dashboard.groups.service import resolve_group, resolve_groups
    resolved = resolve_groups([3, 5])       # or resolve_group(group_or_id)
    resolved.userids, resolved.dept_ids, resolved.to_all   # what asyncsend_v2 takes
    resolved.people                          # everyone it reaches now (for counts, per person)
    resolved.record()                        # JSON of the resolution, kept on the send

``GroupError`` (a ValueError whose ``str()`` is the message to show) for a group
that does not exist. The functions that change groups write a ``GroupRevision``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.extensions import db
from dashboard.groups.i18n import gettext as _
from dashboard.groups.models import GroupRevision, RecipientGroup
from dashboard.services.dingtalk import current_company, of_current_company

NAME_MAX = 80
CREATED, UPDATED, DELETED = "created", "updated", "deleted"


class GroupError(ValueError):
    """A group that cannot be used or saved; ``str()`` is the message to show."""

    def __init__(self, message: str, *, group_id: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.group_id = group_id


@dataclass(frozen=True)
class ResolvedRecipients:
    """What one or more groups reach now.

    ``userids`` / ``dept_ids`` / ``to_all`` are what asyncsend_v2 is given; ``people``
    everyone reached per the directory snapshot (the departments' members included);
    ``unknown_*`` ids of the group the directory no longer knows (not sent to).
    """

    userids: tuple[str, ...] = ()
    dept_ids: tuple[int, ...] = ()
    to_all: bool = False
    people: tuple[str, ...] = ()
    unknown_userids: tuple[str, ...] = ()
    unknown_dept_ids: tuple[int, ...] = ()
    groups: tuple[dict[str, Any], ...] = field(default=(), compare=False)
    snapshot_at: float | None = None

    @property
    def count(self) -> int:
        """How many people it reaches now."""
        return len(self.people)

    @property
    def empty(self) -> bool:
        return not (self.userids or self.dept_ids or self.to_all)

    def merged(self, other: ResolvedRecipients) -> ResolvedRecipients:
        """Both together, each id once, in order."""
        return ResolvedRecipients(
            userids=tuple(dict.fromkeys((*self.userids, *other.userids))),
            dept_ids=tuple(dict.fromkeys((*self.dept_ids, *other.dept_ids))),
            to_all=self.to_all or other.to_all,
            people=tuple(dict.fromkeys((*self.people, *other.people))),
            unknown_userids=tuple(dict.fromkeys((*self.unknown_userids, *other.unknown_userids))),
            unknown_dept_ids=tuple(
                dict.fromkeys((*self.unknown_dept_ids, *other.unknown_dept_ids))
            ),
            groups=(*self.groups, *other.groups),
            snapshot_at=self.snapshot_at or other.snapshot_at,
        )

    def record(self) -> list[dict[str, Any]]:
        """Each group as it was resolved: id, name, the ids sent to, people and unknown ids."""
        return [dict(g) for g in self.groups]


def _snapshot():
    from dashboard.directory.snapshot import get_snapshot

    return get_snapshot()


def _subtree(snapshot, dept_id: int) -> list[int]:
    """A department and every department below it, per the snapshot."""
    found, pending = [], [dept_id]
    while pending:
        current = pending.pop()
        if current in found:
            continue
        found.append(current)
        pending.extend(d.id for d in snapshot.children(current))
    return found


def members_of(snapshot, dept_ids: Iterable[int], *, deep: bool) -> list[str]:
    """Userids of the departments' members now (below them too when ``deep``), in order."""
    wanted: set[int] = set()
    for dept_id in dept_ids:
        wanted.update(_subtree(snapshot, dept_id) if deep else [dept_id])
    return [u.userid for u in snapshot.users.values() if wanted.intersection(u.departments)]


def get_group(group_or_id: RecipientGroup | int | str) -> RecipientGroup:
    """The group itself, or this company's group with this id; GroupError when there is none."""
    if isinstance(group_or_id, RecipientGroup):
        return group_or_id
    try:
        group_id = int(group_or_id)
    except (TypeError, ValueError):
        group_id = None
    group = None
    if group_id is not None:
        group = db.session.execute(
            db.select(RecipientGroup).where(
                RecipientGroup.id == group_id, of_current_company(RecipientGroup.corpid)
            )
        ).scalar()
    if group is None:
        raise GroupError(
            _("There is no recipient group %(id)s.", id=group_or_id), group_id=group_or_id
        )
    return group


def resolve_group(group_or_id: RecipientGroup | int | str, *, snapshot=None) -> ResolvedRecipients:
    """Whom the group reaches now, from the directory snapshot (see the module docstring)."""
    group = get_group(group_or_id)
    snapshot = snapshot if snapshot is not None else _snapshot()
    known_users = [u for u in group.userids if u in snapshot.users]
    unknown_users = [u for u in group.userids if u not in snapshot.users]
    depts = [int(d) for d in group.dept_ids]
    known_depts = [d for d in depts if d in snapshot.departments]
    unknown_depts = [d for d in depts if d not in snapshot.departments]
    members = members_of(snapshot, known_depts, deep=group.include_sub_departments)
    if group.include_sub_departments:
        userids, dept_ids = known_users, known_depts
    else:
        userids, dept_ids = list(dict.fromkeys([*known_users, *members])), []
    people = tuple(dict.fromkeys([*known_users, *members]))
    entry = {
        "id": group.id,
        "name": group.name,
        "include_sub_departments": group.include_sub_departments,
        "userids": userids,
        "dept_ids": dept_ids,
        "people": list(people),
        "unknown_userids": unknown_users,
        "unknown_dept_ids": unknown_depts,
    }
    return ResolvedRecipients(
        userids=tuple(userids),
        dept_ids=tuple(dept_ids),
        people=people,
        unknown_userids=tuple(unknown_users),
        unknown_dept_ids=tuple(unknown_depts),
        groups=(entry,),
        snapshot_at=snapshot.built_at,
    )


def resolve_groups(group_ids: Iterable[RecipientGroup | int | str], *, snapshot=None):
    """Several groups merged (each id once); an empty ResolvedRecipients for no groups."""
    resolved = ResolvedRecipients()
    ids = list(group_ids or [])
    if not ids:
        return resolved
    snapshot = snapshot if snapshot is not None else _snapshot()
    for group in ids:
        resolved = resolved.merged(resolve_group(group, snapshot=snapshot))
    return resolved


def people_of(
    userids: Iterable[str], dept_ids: Iterable[int], to_all: bool, *, snapshot=None
) -> list[str]:
    """Everyone a send reaches, person by person (a department with its subtree, as DingTalk
    sends to it; everyone for to_all): for sends of one call per recipient."""
    snapshot = snapshot if snapshot is not None else _snapshot()
    if to_all:
        return list(snapshot.users)
    return list(dict.fromkeys([*userids, *members_of(snapshot, dept_ids, deep=True)]))


# --- changes, each on record ---------------------------------------------------------------


def _data(group: RecipientGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "description": group.description,
        "userids": list(group.userids or []),
        "dept_ids": list(group.dept_ids or []),
        "include_sub_departments": bool(group.include_sub_departments),
    }


def _check(name: str, userids, dept_ids, group_id: int | None = None):
    name = (name or "").strip()
    if not name:
        raise GroupError(_("Give the group a name."))
    if len(name) > NAME_MAX:
        raise GroupError(_("A name is at most %(max)d characters.", max=NAME_MAX))
    clash = db.session.execute(
        db.select(RecipientGroup).where(
            RecipientGroup.name == name, of_current_company(RecipientGroup.corpid)
        )
    ).scalar()
    if clash is not None and clash.id != group_id:
        raise GroupError(_("A group named “%(name)s” already exists.", name=name))
    users = parse_userids(userids)
    depts = parse_dept_ids(dept_ids)  # ValueError (translated) on a non-number
    if not (users or depts):
        raise GroupError(_("Add at least one person or department."))
    return name, users, depts


def save_group(
    group: RecipientGroup | None,
    *,
    name: str,
    userids,
    dept_ids,
    include_sub_departments: bool,
    user: str,
    description: str = "",
) -> RecipientGroup:
    """Create (``group`` None) or change a group, with a revision saying what changed."""
    name, users, depts = _check(name, userids, dept_ids, group.id if group else None)
    after = {
        "name": name,
        "description": (description or "").strip(),
        "userids": users,
        "dept_ids": depts,
        "include_sub_departments": bool(include_sub_departments),
    }
    if group is None:
        group = RecipientGroup(corpid=current_company(), created_by=user, updated_by=user, **after)
        db.session.add(group)
        db.session.flush()
        action, changed = CREATED, list(after)
    else:
        before = _data(group)
        changed = [k for k in after if before.get(k) != after[k]]
        if not changed:
            return group
        for key, value in after.items():
            setattr(group, key, value)
        group.updated_by = user
        action = UPDATED
    db.session.add(
        GroupRevision(
            group_id=group.id,
            action=action,
            user=user,
            name=group.name,
            changed=changed,
            data=after,
        )
    )
    db.session.commit()
    return group


def delete_group(group: RecipientGroup, *, user: str) -> None:
    """Delete a group; its history stays, ending with the delete."""
    db.session.add(
        GroupRevision(
            group_id=group.id, action=DELETED, user=user, name=group.name, data=_data(group)
        )
    )
    db.session.delete(group)
    db.session.commit()


def list_groups() -> list[RecipientGroup]:
    """This company's groups, by name."""
    return list(
        db.session.execute(
            db.select(RecipientGroup)
            .where(of_current_company(RecipientGroup.corpid))
            .order_by(RecipientGroup.name)
        ).scalars()
    )


def revisions(group_id: int) -> list[GroupRevision]:
    """The group's history, newest first."""
    return list(
        db.session.execute(
            db.select(GroupRevision).filter_by(group_id=group_id).order_by(GroupRevision.id.desc())
        ).scalars()
    )


def group_summary(group: RecipientGroup) -> dict[str, Any]:
    """A group as the JSON API and the pickers describe it (without resolving it)."""
    return {
        "id": group.id,
        "name": group.name,
        "description": group.description,
        "userids": list(group.userids or []),
        "dept_ids": [int(d) for d in group.dept_ids or []],
        "include_sub_departments": bool(group.include_sub_departments),
        "updated_at": group.updated_at.isoformat(timespec="seconds") + "Z",
        "updated_by": group.updated_by,
    }


def resolution_summary(resolved: ResolvedRecipients) -> dict[str, Any]:
    """A resolution as the JSON API gives it."""
    return {
        "userid_list": list(resolved.userids),
        "dept_id_list": list(resolved.dept_ids),
        "people": list(resolved.people),
        "count": resolved.count,
        "unknown_userids": list(resolved.unknown_userids),
        "unknown_dept_ids": list(resolved.unknown_dept_ids),
    }


def parse_group_ids(value: str | Iterable[Any] | Mapping | None) -> list[int]:
    """Group ids from a form or API value; GroupError on a non-number."""
    try:
        return parse_dept_ids(value if not isinstance(value, Mapping) else list(value))
    except ValueError:
        raise GroupError(_("Group ids are numbers.")) from None
