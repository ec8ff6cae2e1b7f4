"""Tolerant parsers for DingTalk's loose contact formats.

The classic contact endpoints return maps as non-strict JSON strings with bare
integer keys ("{1:10,2:20}", "{1:true,2:false}"), id lists as `|`-separated
strings ("manager01|manager02") and, in some SDKs, nested lists as strings.
Every parser here accepts the documented shape, the already-decoded shape and
junk, and never raises on vendor data.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
_PAIR = re.compile(r"""^\s*["']?(-?\d+)["']?\s*[:=]\s*(.*?)\s*$""")


def _scalar(text: str) -> bool | int | str:
    """A loose value: true/false, an integer, or the text without quotes."""
    value = text.strip().strip("\"'")
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


def parse_loose_map(value: Any) -> dict[int, bool | int | str]:
    """Parse "{1:10,2:20}" (or a dict, or strict JSON) into {1: 10, 2: 20}.

    Entries whose key is not an integer are skipped; anything unparseable
    yields an empty dict.
    """
    if value is None:
        return {}
    if isinstance(value, dict):
        items: Iterable[tuple[Any, Any]] = value.items()
        result: dict[int, bool | int | str] = {}
        for key, item in items:
            try:
                int_key = int(str(key).strip())
            except ValueError:
                continue
            result[int_key] = item if isinstance(item, bool | int) else _scalar(str(item))
        return result
    if not isinstance(value, str):
        return {}
    text = value.strip()
    if text.startswith("{") and text.endswith("}"):
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        if isinstance(decoded, dict):
            return parse_loose_map(decoded)
        text = text[1:-1]
    result = {}
    for part in text.split(","):
        match = _PAIR.match(part)
        if match:
            result[int(match.group(1))] = _scalar(match.group(2))
    return result


def parse_id_list(value: Any) -> list[str]:
    """Parse "a|b|c" (or a list) into ["a", "b", "c"], dropping blanks and duplicates."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        items = [str(v).strip() for v in value]
    else:
        items = [v.strip() for v in str(value).split("|")]
    seen: dict[str, None] = {}
    for item in items:
        if item:
            seen.setdefault(item, None)
    return list(seen)


def parse_dept_ids(value: Any) -> list[int]:
    """Department ids from "1|2", [1, "2"] or "[1,2]"; non-integers are dropped."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            value = value.strip("[] ").replace(",", "|")
    ids: list[int] = []
    for item in parse_id_list(value if not isinstance(value, int) else [value]):
        try:
            ids.append(int(item))
        except ValueError:
            continue
    return ids


def parse_parent_paths(value: Any) -> list[list[int]]:
    """department/list_parent_depts `department`: [[456,123,1],[789,1]], maybe as a string."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    if not isinstance(value, list):
        return []
    if value and all(isinstance(v, int | str) and not isinstance(v, bool) for v in value):
        value = [value]
    paths: list[list[int]] = []
    for path in value:
        ids = parse_dept_ids(path if isinstance(path, list) else [path])
        if ids:
            paths.append(ids)
    return paths


def ms_to_date(value: Any) -> date | None:
    """A millisecond epoch (int or numeric string) as a calendar date in China time."""
    try:
        millis = int(value)
    except (TypeError, ValueError):
        return None
    if millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, CHINA).date()
    except (OverflowError, OSError, ValueError):
        return None
