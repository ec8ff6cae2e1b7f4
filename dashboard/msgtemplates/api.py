"""The templates' JSON API: ``templateList``, and the fields every send operation adds.

``TEMPLATE_ID`` and ``PARAMS`` are the fields ``asyncsend_v2`` (and ``scheduleCreate``)
take beside ``msg``: a template's id and the values of its free placeholders (a JSON
object, or in a form body the same object as a JSON string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from dashboard.api.fields import INT64_MAX, Field, FieldError
from dashboard.api.models import SCOPE_READ
from dashboard.api.operation import CallContext, Operation
from dashboard.msgtemplates.service import list_templates, template_summary

PARAMS_MAX = 50


@dataclass(frozen=True)
class ParamsField(Field):
    """A JSON object of placeholder values (a JSON string of one in form bodies)."""

    def _parse_object(self, raw: Any) -> dict[str, str]:
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                raw = None
        if not isinstance(raw, dict):
            raise FieldError(
                _('%(field)s must be an object of placeholder values, e.g. {"project": "X"}',
                  field=self.name)
            )  # fmt: skip
        if len(raw) > PARAMS_MAX:
            raise FieldError(_("%(field)s has more than %(max)d values", field=self.name,
                               max=PARAMS_MAX))  # fmt: skip
        values = {}
        for key, value in raw.items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise FieldError(
                    _("%(field)s: the value of “%(name)s” must be text", field=self.name,
                      name=key)
                )  # fmt: skip
            values[str(key)] = str(value)
        return values


TEMPLATE_ID = Field(
    "template_id",
    "integer",
    None,
    _l(
        "A message template's id (templateList): sent instead of msg, its placeholders "
        "filled from params; {date}, {weekday} and {time} are filled in."
    ),
    minimum=1,
    maximum=INT64_MAX,
)
PARAMS = ParamsField(
    "params",
    "object",
    None,
    _l(
        'The template\'s placeholder values, e.g. {"project": "X"}. A placeholder left '
        "unfilled refuses the send (400) naming it."
    ),
)


def _template_list(ctx: CallContext, a: dict[str, Any]) -> dict[str, Any]:
    return {"templates": [template_summary(t) for t in list_templates()]}


TEMPLATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["templates"],
    "properties": {
        "templates": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "msgtype": {"type": "string"},
                    "placeholders": {"type": "array", "items": {"type": "string"}},
                    "params": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "the placeholders the caller fills",
                    },
                    "per_recipient": {
                        "type": "boolean",
                        "description": "names {name} or {department}: one call per recipient",
                    },
                    "msg": {"type": "object", "description": "the msg, placeholders unfilled"},
                },
            },
        }
    },
}

OPERATIONS = (
    Operation(
        "templateList",
        _l("The saved message templates, with their placeholders."),
        "(the console's message templates; no DingTalk call)",
        SCOPE_READ,
        _template_list,
        replies={"200": ("Every template, by name.", TEMPLATE_SCHEMA)},
    ),
)
