"""Lists of people and departments, as an admin types or pastes them.

One parser for every list of people in the console (work notifications, chats,
the JSON API): the server and both pickers (``static/js/picker.js``) split on
the same separators: commas, semicolons, the Chinese enumeration comma "、"
(in full and half width) and any whitespace.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from flask_babel import gettext as _

#: The separators between ids; picker.js uses the same class.
SEPARATORS = re.compile(r"[,，;；、\s]+")
#: The same separators, less whitespace, mapped to a space (the fast path of parse_userids).
_TO_SPACE = str.maketrans(dict.fromkeys(",，;；、", " "))


class UseridList(list):
    """Userids as :func:`parse_userids` returns them (trimmed, unique, in order): handed to
    it again (the pre-send warnings, the send), they are taken as they are, not re-read."""


def parse_userids(value: str | Iterable[str] | None) -> UseridList:
    """Userids from text or a list, trimmed, in order, without duplicates.

    Built from C-level steps (translate, split, map, dict.fromkeys), no Python step
    per id, and done once per list (see UseridList and _parse_text): a send to 100,000
    people is parsed in milliseconds, on the request that starts it.
    """
    if value is None:
        return UseridList()
    if isinstance(value, UseridList):
        return value
    if isinstance(value, str):
        return UseridList(_parse_text(value))
    values = value if isinstance(value, list | tuple) else list(value)
    try:
        unique = dict.fromkeys(map(str.strip, values))
    except TypeError:  # not only strings (numbers from JSON)
        unique = dict.fromkeys(str(v).strip() for v in values)
    unique.pop("", None)
    return UseridList(unique)


@lru_cache(maxsize=4)
def _parse_text(value: str) -> tuple[str, ...]:
    """Userids of a pasted list, remembered: the form's check, the pre-send warnings and
    the send read the same text of one request, and it is split once."""
    # The separators that are not whitespace become spaces; split() takes any run of
    # whitespace (Unicode's, as \s does), so nothing is left to trim.
    return tuple(dict.fromkeys(value.translate(_TO_SPACE).split()))


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
