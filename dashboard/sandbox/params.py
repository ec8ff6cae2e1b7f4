"""Reading request parameters the way the real gateway accepts them.

Classic GET endpoints read the query string; classic POST endpoints read a JSON
body; topapi endpoints read a JSON or form-urlencoded body (plus the query
string). Form values are strings, so the typed readers coerce "true"/"false"
and numeric strings, and parse nested objects sent as JSON strings (§0.1, §12.9).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dashboard.sandbox.errors import invalid_param, missing_param

_TRUE = ("true", "1", "yes")
_FALSE = ("false", "0", "no", "")


class Params:
    """Typed, coercing access to one request's parameters."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def has(self, name: str) -> bool:
        """True when the parameter is present and not an empty string."""
        value = self.values.get(name)
        return value is not None and value != ""

    def raw(self, name: str, default: Any = None) -> Any:
        """The parameter exactly as it arrived."""
        return self.values.get(name, default)

    def string(
        self, name: str, *, required: bool = False, default: str | None = None
    ) -> str | None:
        """A string parameter; numbers are accepted and turned into text."""
        if not self.has(name):
            if required:
                raise missing_param(name)
            return default
        value = self.values[name]
        if isinstance(value, (dict, list, bool)):
            raise invalid_param(name)
        return str(value)

    def integer(
        self, name: str, *, required: bool = False, default: int | None = None
    ) -> int | None:
        """An integer parameter; numeric strings are coerced."""
        if not self.has(name):
            if required:
                raise missing_param(name)
            return default
        return to_int(self.values[name], name)

    def boolean(self, name: str, *, default: bool = False) -> bool:
        """A boolean parameter; "true"/"false" and 1/0 are coerced."""
        if not self.has(name):
            return default
        value = self.values[name]
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise invalid_param(name)

    def obj(self, name: str, *, required: bool = False) -> dict[str, Any] | None:
        """A JSON object parameter; a JSON string (form bodies) is parsed."""
        if not self.has(name):
            if required:
                raise missing_param(name)
            return None
        value = self.values[name]
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise invalid_param(f"{name} is not valid JSON") from None
        if not isinstance(value, dict):
            raise invalid_param(f"{name} must be a JSON object")
        return value

    def string_list(self, name: str, shape: str = "any") -> list[str] | None:
        """A list given as a JSON array, a JSON-array string or comma-separated text.

        `shape` "comma" accepts only comma-separated text (or one bare id), the
        wire type of asyncsend_v2's userid_list; "array" only a JSON array, as
        chat/create's useridlist; "any" accepts every form.
        """
        if not self.has(name):
            return None
        value = self.values[name]
        if shape == "comma" and isinstance(value, (list, dict, bool)):
            raise invalid_param(f"{name} must be a comma-separated string")
        if shape == "array" and not isinstance(value, list):
            raise invalid_param(f"{name} must be a JSON array")
        if shape == "comma" and isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    value = json.loads(text)
                except ValueError:
                    raise invalid_param(f"{name} is not valid JSON") from None
            else:
                return [part.strip() for part in text.split(",") if part.strip()]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return [str(value)]
        if not isinstance(value, list):
            raise invalid_param(name)
        return [str(item).strip() for item in value if str(item).strip()]


def to_int(value: Any, name: str) -> int:
    """Coerce an int or a numeric string; anything else is 40035."""
    if isinstance(value, bool):
        raise invalid_param(name)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return int(text)
    raise invalid_param(name)
