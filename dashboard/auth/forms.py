"""Forms of sign-in and of the users page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError
from wtforms.widgets import TextInput

from dashboard.auth.models import ROLE_ADMIN, ROLE_OWNER, ROLE_SENDER, ROLE_VIEWER

ROLE_LABELS = {
    ROLE_VIEWER: _l("Viewer: browse the organisation, follow sends"),
    ROLE_SENDER: _l("Sender: compose, send, schedule, recall own sends"),
    ROLE_ADMIN: _l("Admin: users, API tokens, ISV companies, settings"),
    ROLE_OWNER: _l("Owner: everything, including the other owners"),
}
#: The roles' names ("role" context: a chat's owner is another word in Chinese).
ROLE_NAMES = {
    ROLE_VIEWER: lazy_pgettext("role", "Viewer"),
    ROLE_SENDER: lazy_pgettext("role", "Sender"),
    ROLE_ADMIN: lazy_pgettext("role", "Admin"),
    ROLE_OWNER: lazy_pgettext("role", "Owner"),
}
PASSWORD_MIN = 8


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))


class DeptScopeField(Field):
    """Department ids, comma or space separated; ``data`` is a sorted list of ints (or [])."""

    widget = TextInput()

    def _value(self) -> str:
        return ", ".join(str(d) for d in self.data or [])

    def process_formdata(self, valuelist) -> None:
        text = " ".join(valuelist or ()).replace("，", ",").replace("、", ",")
        ids = set()
        for part in text.replace(",", " ").split():
            if not (part.isascii() and part.isdigit()) or not 0 < int(part) < 2**63:
                self.data = []
                raise ValueError(_l("Department ids are numbers, like 2, 15."))
            ids.add(int(part))
        if len(ids) > 100:
            raise ValueError(_l("At most 100 departments."))
        self.data = sorted(ids)


def check_scope_within(scope, limit) -> bool:
    """Whether departments lie within another scope (sub-departments from the directory)."""
    from dashboard.auth.permissions import scope_within
    from dashboard.directory.snapshot import get_snapshot

    try:
        snapshot = get_snapshot()
    except Exception:  # noqa: BLE001 - without the directory only the same ids count
        snapshot = None
    return scope_within(scope, limit, snapshot)


class UserForm(FlaskForm):
    """Add a person, or change one's role, departments, DingTalk userid and status."""

    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Give the user a name.")),
            Length(max=80),
            Regexp(r"^\S+$", message=_l("A username has no spaces.")),
        ],
    )
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    dept_scope = DeptScopeField(
        _l("Departments"),
        description=_l(
            "For senders: department ids they may send to, with their sub-departments; "
            "empty: the whole company."
        ),
    )
    dingtalk_userid = StringField(
        _l("DingTalk userid"),
        validators=[Optional(), Length(max=64)],
        description=_l("Their userid in the company, for signing in with DingTalk."),
    )
    password = PasswordField(
        _l("Password"),
        validators=[Optional(), Length(min=PASSWORD_MIN, max=200)],
        description=_l("At least 8 characters. Leave empty to keep the current one."),
    )
    disabled = BooleanField(_l("Disabled (cannot sign in)"))
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, roles=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [(r, ROLE_LABELS[r]) for r in roles]

    def validate_role(self, field) -> None:
        if field.data not in dict(field.choices):
            raise ValidationError(_l("You cannot give a role above your own."))


class ConfirmForm(FlaskForm):
    """A button's form (only its CSRF token)."""

    submit = SubmitField(_l("Confirm"))
