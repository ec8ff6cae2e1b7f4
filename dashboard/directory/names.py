"""Names for ids wherever the product shows a userid or a department id.

Registered as the Jinja filters `username` and `deptname`. They read the
cached directory snapshot only: rendering a page never starts a crawl, and an
id the snapshot does not know is shown as the id. The result is plain text;
Jinja autoescapes it like any other value. A page that lists people (a send's
result, a chat's read list) calls `warm_names()` first, so that a fresh install
shows names and not bare userids.
"""

from __future__ import annotations

import logging

from dashboard.directory.snapshot import get_snapshot, peek_snapshot

log = logging.getLogger(__name__)


def warm_names() -> None:
    """Build the directory snapshot behind the filters if there is none yet (one cached crawl).

    A failed crawl only costs the names, never the page.
    """
    try:
        get_snapshot(build_if_missing=True)
    except Exception as exc:  # noqa: BLE001 (names must never break a page)
        log.info("no directory names for this page: %s", exc.__class__.__name__)


def display_user(userid: str | None) -> str:
    """ "张三 (u0001)" for a known userid, else the userid itself."""
    if not userid:
        return ""
    userid = str(userid)
    snapshot = peek_snapshot()
    name = snapshot.user_name(userid) if snapshot else None
    return f"{name} ({userid})" if name else userid


def display_dept(dept_id: int | str | None) -> str:
    """ "研发中心 (2)" for a known department id, else the id itself."""
    if dept_id is None or dept_id == "":
        return ""
    try:
        key = int(dept_id)
    except (TypeError, ValueError):
        return str(dept_id)
    snapshot = peek_snapshot()
    name = snapshot.dept_name(key, ui_locale()) if snapshot else None
    return f"{name} ({key})" if name else str(dept_id)


def ui_locale() -> str:
    """The UI language of this request ("zh" outside one)."""
    from flask import has_request_context
    from flask_babel import get_locale

    return str(get_locale() or "zh") if has_request_context() else "zh"
