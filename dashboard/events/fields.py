"""Reading event data in either spelling (shared/dingtalk-v1.md §7.7: `userId`/`UserId`,
`deptId`/`DeptId`, `timeStamp`/`timestamp` are unverified): keys match case-insensitively."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def field(data: dict[str, Any], *names: str) -> Any:
    """The first of `names` in `data`, whatever its casing; None if none is there."""
    folded = {str(key).lower(): value for key, value in data.items()}
    for name in names:
        value = folded.get(name.lower())
        if value not in (None, "", []):
            return value
    return None


def id_list(value: Any) -> list[str]:
    """A list of ids from a list, a JSON list in a string, or a comma-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except ValueError:
                value = text.strip("[]").split(",")
        else:
            value = text.replace("|", ",").split(",")
    if not isinstance(value, list | tuple):
        value = [value]
    return [str(v).strip().strip('"') for v in value if str(v).strip().strip('"')]


def user_ids(data: dict[str, Any]) -> list[str]:
    return id_list(field(data, "userId", "userIds", "UserId", "staffId"))


def dept_ids(data: dict[str, Any]) -> list[int]:
    ids = []
    for value in id_list(field(data, "deptId", "deptIds", "DeptId", "departmentId")):
        try:
            ids.append(int(value))
        except ValueError:
            continue
    return ids


def epoch_ms(value: Any) -> datetime | None:
    """A naive UTC datetime from epoch ms (int or string; seconds accepted), None if unreadable."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    seconds = number / 1000 if number >= 10**11 else number
    try:
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return None


def timestamp(data: dict[str, Any]) -> datetime | None:
    return epoch_ms(field(data, "timeStamp", "timestamp"))
