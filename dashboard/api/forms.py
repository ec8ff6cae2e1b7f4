"""Forms of the API token pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from dashboard.api.models import SCOPE_READ, SCOPE_SEND
from dashboard.auth.forms import ROLE_LABELS, DeptScopeField, check_scope_within


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
        validators=[Optional()],
    )
    #: The token's role; not beyond its creator's (the choices are cut to it).
    role = SelectField(_l("Role"), choices=[], validators=[Optional()], validate_choice=False)
    dept_scope = DeptScopeField(
        _l("Departments"),
        description=_l(
            "Department ids the token may send to (with their sub-departments); "
            "empty: the whole company. Never wider than yours."
        ),
    )
    submit = SubmitField(_l("Create token"))

    creator = None

    @classmethod
    def for_creator(cls, creator) -> "TokenForm":
        from dashboard.auth.permissions import grantable_roles

        form = cls()
        form.creator = creator
        form.role.choices = [(r, ROLE_LABELS[r]) for r in grantable_roles(creator)]
        return form

    def token_role(self) -> str:
        """The role chosen, or the legacy scope's (read: viewer, send: sender)."""
        if self.role.data:
            return self.role.data
        return "sender" if self.scope.data == SCOPE_SEND else "viewer"

    @property
    def dept_scope_ids(self):
        return self.dept_scope.data or None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.role.data and self.role.data not in dict(self.role.choices):
            self.role.errors.append(_l("You cannot give a token a role above your own."))
            ok = False
        if self.creator is not None and self.creator.dept_scope:
            if not self.dept_scope.data:
                self.dept_scope.data = list(self.creator.dept_scope)  # at most the creator's
            elif not check_scope_within(self.dept_scope.data, self.creator.dept_scope):
                self.dept_scope.errors.append(_l("A token's departments must lie within your own."))
                ok = False
        return ok


class RevokeForm(FlaskForm):
    """Revoke a token (a form only for its CSRF token)."""

    submit = SubmitField(_l("Revoke"))
