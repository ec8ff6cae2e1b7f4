"""The template editor: a name, a description and the composer's message fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from dashboard.composer.fields import MessageFields
from dashboard.msgtemplates.service import NAME_MAX


class TemplateForm(MessageFields, FlaskForm):
    """A saved message of any msgtype; {placeholders} may stand in any text."""

    name = StringField(_l("Template name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(_l("Description (optional)"), render_kw={"rows": 2})

    def message_fields(self) -> dict[str, str]:
        """The message fields as saved (everything but the name, description and token)."""
        skip = {"name", "description", "csrf_token"}
        return {k: v for k, v in self.data.items() if k not in skip and isinstance(v, str)}
