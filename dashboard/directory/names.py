"""Names for ids wherever the product shows a userid or a department id.

Placeholder: the directory snapshot replaces these with real names.
"""

from __future__ import annotations


def display_user(userid: str | None) -> str:
    return userid or ""


def display_dept(dept_id: int | str | None) -> str:
    return "" if dept_id is None else str(dept_id)
