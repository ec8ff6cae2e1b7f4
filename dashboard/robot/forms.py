"""The robot composer: a msgKey of the catalogue, its msgParam fields, the recipients."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from dashboard.dingtalk.v1.msgkeys import MSG_KEYS
from dashboard.msgtemplates.composer import group_choices
from dashboard.schedules.fields import ScheduleFields

#: The catalogue's msgKeys as the composer offers them (reference §3.4).
MSG_KEY_LABELS = {
    "sampleText": _l("Text"),
    "sampleMarkdown": _l("Markdown"),
    "sampleImageMsg": _l("Image"),
    "sampleLink": _l("Link"),
    "sampleActionCard": _l("Action card, one button"),
    "sampleActionCard2": _l("Action card, 2 buttons"),
    "sampleActionCard3": _l("Action card, 3 buttons"),
    "sampleActionCard4": _l("Action card, 4 buttons"),
    "sampleActionCard5": _l("Action card, 5 buttons"),
    "sampleActionCard6": _l("Action card, 2 side-by-side buttons"),
    "sampleFile": _l("File"),
    "sampleAudio": _l("Audio"),
    "sampleVideo": _l("Video"),
}

#: Every msgParam key of the catalogue, in the order the form shows them.
PARAM_KEYS: list[str] = list(
    dict.fromkeys(k for spec in MSG_KEYS.values() for k in (*spec.required, *spec.optional))
)
#: Keys that take a long text.
LONG_KEYS = {"text", "content"}


def keys_using(param: str) -> list[str]:
    """The msgKeys whose msgParam has ``param``."""
    return [k for k, spec in MSG_KEYS.items() if param in (*spec.required, *spec.optional)]


class RobotComposeForm(ScheduleFields, FlaskForm):
    msg_key = SelectField(
        _l("Message type"),
        choices=[(k, v) for k, v in MSG_KEY_LABELS.items()],
        default="sampleMarkdown",
    )
    # The same pickers as the work-notice composer (static/js/picker.js enhances them).
    userid_list = TextAreaField(
        _l("Users (userids)"),
        validators=[Optional(), Length(max=200_000)],
        render_kw={"rows": 3, "data-picker": "users", "placeholder": "u0001, u0002"},
    )
    dept_id_list = TextAreaField(
        _l("Departments (ids)"),
        validators=[Optional(), Length(max=20_000)],
        render_kw={"rows": 2, "data-picker": "depts", "placeholder": "2, 3"},
    )
    #: Recipient groups (dashboard.groups), resolved from the directory when sending.
    group_ids = SelectMultipleField(_l("Recipient groups"), coerce=int, validate_choice=False)
    open_conversation_id = StringField(
        _l("Group (openConversationId)"), validators=[Optional(), Length(max=128)]
    )
    nonce = HiddenField()
    confirm = BooleanField(_l("I have read the warnings: send anyway"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_ids.choices = group_choices()

    def params(self, form_data) -> dict[str, str]:
        """The msgParam of the chosen msgKey from the posted ``p_<key>`` fields."""
        spec = MSG_KEYS.get(self.msg_key.data)
        if spec is None:
            return {}
        values = {}
        for key in (*spec.required, *spec.optional):
            value = (form_data.get(f"p_{key}") or "").strip()
            if value or key in spec.required:
                values[key] = value
        return values
