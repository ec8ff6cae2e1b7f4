"""Fields of the API's requests under their original names, and how a raw value is read.

`Field.parse` coerces a JSON or form value (an id list may be an array or a
comma-separated string, a flag may be 1/0 or true/false) and raises
`FieldError` with the message the caller sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _

from dashboard.dingtalk.messages import text as text_msg
from dashboard.dingtalk.messages import validate_msg

INT64_MAX = 2**63 - 1
TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})
STRING_MAX = 256


class FieldError(ValueError):
    """A missing or invalid field; `message` is what the caller sees."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class Field:
    """One request field under its original name.

    kind: string, integer, boolean, idlist (array or comma-separated string),
    or message (text content, or a DingTalk msg object).
    """

    name: str
    kind: str = "string"
    required: str | None = None
    description: Any = ""
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] | None = None
    numeric_items: bool = False
    example: Any = None

    def parse(self, raw: Any) -> Any:
        """Coerce a JSON or form value; None when absent or empty (but 0 and false are values)."""
        if is_missing(raw):
            return None
        parser = getattr(self, f"_parse_{self.kind}")
        return parser(raw)

    def _parse_string(self, raw: Any) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise FieldError(_("%(field)s must be a string", field=self.name))
        value = str(raw).strip()
        if len(value) > STRING_MAX:
            raise FieldError(
                _(
                    "%(field)s is too long (at most %(max)s characters)",
                    field=self.name,
                    max=STRING_MAX,
                )
            )
        if self.choices and value not in self.choices:
            raise FieldError(
                _(
                    "%(field)s must be one of: %(choices)s",
                    field=self.name,
                    choices=", ".join(self.choices),
                )
            )
        return value

    def _parse_integer(self, raw: Any) -> int:
        value = as_int(raw)
        if value is None:
            raise FieldError(_("%(field)s must be an integer", field=self.name))
        low = self.minimum if self.minimum is not None else -INT64_MAX
        high = self.maximum if self.maximum is not None else INT64_MAX
        if not low <= value <= high:
            raise FieldError(
                _(
                    "%(field)s must be between %(min)s and %(max)s",
                    field=self.name,
                    min=low,
                    max=high,
                )
            )
        return value

    def _parse_boolean(self, raw: Any) -> bool:
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, int) and raw in (0, 1):
            return bool(raw)
        if isinstance(raw, str):
            word = raw.strip().lower()
            if word in TRUE_WORDS:
                return True
            if word in FALSE_WORDS:
                return False
        raise FieldError(_("%(field)s must be true or false (or 1 or 0)", field=self.name))

    def _parse_idlist(self, raw: Any) -> list[str] | None:
        if isinstance(raw, str):
            items = raw.split(",")
        elif isinstance(raw, list):
            items = raw
        else:
            items = [raw]
        values = []
        for item in items:
            if isinstance(item, bool) or not isinstance(item, str | int):
                raise FieldError(
                    _(
                        "%(field)s must be a list of ids or a comma-separated string",
                        field=self.name,
                    )
                )
            value = str(item).strip()
            if not value:
                continue
            if "," in value or len(value) > STRING_MAX:
                raise FieldError(
                    _(
                        "%(field)s must be a list of ids or a comma-separated string",
                        field=self.name,
                    )
                )
            if self.numeric_items and as_int(value) is None:
                raise FieldError(
                    _("%(field)s must list department ids (integers)", field=self.name)
                )
            values.append(value)
        return values or None

    def _parse_message(self, raw: Any) -> dict[str, Any]:
        if isinstance(raw, dict):
            msg = raw
        elif isinstance(raw, str):
            msg = text_msg(raw)
        else:
            raise FieldError(_("%(field)s must be text or a DingTalk msg object", field=self.name))
        try:
            validate_msg(msg)
        except ValueError as exc:
            raise FieldError(
                _("%(field)s is not a valid message: %(reason)s", field=self.name, reason=exc)
            ) from None
        return msg


def is_missing(raw: Any) -> bool:
    """Absent, null, blank or empty. 0 and false are values (the original got this wrong)."""
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | dict):
        return not raw
    return False


def as_int(raw: Any) -> int | None:
    """An integer from an int or a decimal string; None for anything else (bools included)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer() and abs(raw) <= INT64_MAX:
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isascii() and digits.isdigit() and len(digits) <= 19:
            return int(text)
    return None
