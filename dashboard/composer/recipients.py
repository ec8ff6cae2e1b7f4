"""Lists of people and departments, as an admin types or pastes them.

One parser for every list of people in the console (work notifications, chats,
the JSON API): the server and both pickers (``static/js/picker.js``) split on
the same separators: commas, semicolons, the Chinese enumeration comma "、"
(in full and half width) and any whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask_babel import gettext as _

#: The separators between ids; picker.js uses the same class.
SEPARATORS = re.compile(r"[,，;；、\s]+")


def parse_userids(value: str | Iterable[str] | None) -> list[str]:
    """Userids from text or a list, trimmed, in order, without duplicates."""
    if value is None:
        return []
    items = SEPARATORS.split(value) if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(item.strip() for item in items if item.strip()))


def parse_dept_ids(value: str | Iterable[int | str] | None) -> list[int]:
    """Department ids from text or a list; raises ValueError (translated) on a non-number."""
    if value is None:
        return []
    items = SEPARATORS.split(value) if isinstance(value, str) else list(value)
    ids: list[int] = []
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()):
            raise ValueError(_("Department ids are numbers: “%(value)s” is not.", value=text[:40]))
        ids.append(int(text))
    return list(dict.fromkeys(ids))
