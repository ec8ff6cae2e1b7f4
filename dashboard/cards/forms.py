"""The card composer and the update form: a template id and its parameters."""

from __future__ import annotations

import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError


def parse_params(text: str | None) -> dict[str, str]:
    """Card parameters from a JSON object or ``name=value`` lines (values kept as text)."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            raise ValidationError(_l("Not valid JSON.")) from None
        if not isinstance(data, dict):
            raise ValidationError(_l("Give a JSON object of names and values."))
        return data
    params: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValidationError(_l("Write one name=value per line."))
        params[name.strip()] = value.strip()
    return params


class ParamsField(TextAreaField):
    def pre_validate(self, form):
        self.params = parse_params(self.data)


class CardComposeForm(FlaskForm):
    card_template_id = StringField(
        _l("Card template id"), validators=[DataRequired(), Length(max=128)]
    )
    card_params = ParamsField(_l("Card parameters"), validators=[Optional(), Length(max=50_000)])
    userid_list = TextAreaField(_l("Users (userids)"), validators=[Optional(), Length(max=200_000)])
    dept_id_list = StringField(_l("Departments (ids)"), validators=[Optional(), Length(max=20_000)])
    open_conversation_id = StringField(
        _l("Group (openConversationId)"), validators=[Optional(), Length(max=128)]
    )
    nonce = HiddenField()


class CardUpdateForm(FlaskForm):
    out_track_id = HiddenField(validators=[DataRequired()])
    card_params = ParamsField(_l("New values"), validators=[DataRequired(), Length(max=50_000)])
