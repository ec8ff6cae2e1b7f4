"""Whom a send will reach, resolved from the directory snapshot, before it goes out.

The composer asks for a confirmation when a send goes to everyone or to more people
than SEND_CONFIRM_THRESHOLD (departments count with their sub-departments, each
person once), showing how many and a sample of names; recipients the directory does
not know are named in the pre-send warnings. Reads only the cached snapshot: this
never calls DingTalk (the pickers' lookups build the snapshot).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _

from dashboard.directory.snapshot import get_snapshot
from dashboard.services.dingtalk import NotConfigured

SAMPLE_SIZE = 8
NAMED_UNKNOWN = 10


@dataclass
class Audience:
    """How many people a send reaches (None: the directory is not known yet)."""

    count: int | None
    everyone: bool = False
    sample: list[str] = field(default_factory=list)
    unknown_users: list[str] = field(default_factory=list)
    unknown_depts: list[int] = field(default_factory=list)


def resolve(userid_list: list[str], dept_id_list: list[int], to_all_user: bool) -> Audience:
    try:
        snapshot = get_snapshot(build_if_missing=False)
    except NotConfigured:  # no credentials, or no company chosen: nothing to resolve
        snapshot = None
    if snapshot is None:
        count = None if to_all_user or dept_id_list else len(set(userid_list))
        return Audience(count, everyone=to_all_user)
    if to_all_user:
        people = list(snapshot.users)
    else:
        people = [u for u in dict.fromkeys(userid_list) if u in snapshot.users]
        below: set[int] = set()
        for dept_id in dept_id_list:
            if dept_id in snapshot.departments:
                below |= snapshot.subtree(dept_id)
        if below:
            listed = set(people)
            people += [
                u.userid
                for u in snapshot.users.values()
                if u.userid not in listed and below.intersection(u.departments)
            ]
    return Audience(
        count=len(people),
        everyone=to_all_user,
        sample=[snapshot.users[u].name for u in people[:SAMPLE_SIZE]],
        unknown_users=[] if to_all_user else [u for u in userid_list if u not in snapshot.users],
        unknown_depts=[]
        if to_all_user
        else [d for d in dept_id_list if d not in snapshot.departments],
    )


def needs_confirmation(audience: Audience) -> bool:
    """Everyone, or more people than the setting."""
    threshold = int(current_app.config.get("SEND_CONFIRM_THRESHOLD", 200))
    return audience.everyone or (audience.count is not None and audience.count > threshold)


def confirmation_token(audience: Audience) -> str:
    """What the confirmed form sends back: a changed audience asks again."""
    return "all" if audience.everyone else str(audience.count)


def unknown_warnings(audience: Audience) -> list[str]:
    """The recipients the directory does not know, named."""
    warnings = []
    if audience.unknown_users:
        shown = ", ".join(audience.unknown_users[:NAMED_UNKNOWN])
        more = len(audience.unknown_users) - NAMED_UNKNOWN
        warnings.append(
            _("Not in the directory, DingTalk will not deliver to them: %(ids)s", ids=shown)
            + (" " + _("and %(count)d more", count=more) if more > 0 else "")
        )
    if audience.unknown_depts:
        shown = ", ".join(str(d) for d in audience.unknown_depts[:NAMED_UNKNOWN])
        warnings.append(_("Departments not in the directory: %(ids)s", ids=shown))
    return warnings
