"""Forms of the API token pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from dashboard.api.models import SCOPE_READ, SCOPE_SEND


class TokenForm(FlaskForm):
    """Create an API token: a name to recognise it by, and what it may do."""

    name = StringField(
        _l("Token name"),
        validators=[DataRequired(message=_l("Give the token a name.")), Length(max=80)],
        description=_l("Who or what uses it, e.g. the HR report script."),
    )
    scope = RadioField(
        _l("Scope"),
        choices=[
            (SCOPE_READ, _l("Read only")),
            (SCOPE_SEND, _l("Read and send (notifications, chats)")),
        ],
        default=SCOPE_READ,
        validators=[DataRequired(message=_l("Choose a scope."))],
    )
    submit = SubmitField(_l("Create token"))


class RevokeForm(FlaskForm):
    """Revoke a token (a form only for its CSRF token)."""

    submit = SubmitField(_l("Revoke"))
