"""The work-notification composer form: the composer's message fields plus recipients."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectMultipleField, TextAreaField

from dashboard.composer.fields import MessageFields
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.msgtemplates.composer import group_choices, prepare_composed
from dashboard.schedules.fields import ScheduleFields


class ComposeForm(ScheduleFields, MessageFields, FlaskForm):
    """The work-notification composer: recipients, message, nonce, the confirm step, and
    when: now, or on a schedule (``dashboard.schedules``)."""

    userid_list = TextAreaField(
        _l("Users (userids, comma or newline separated)"),
        render_kw={"rows": 3, "data-picker": "users", "placeholder": "u0001, u0002"},
    )
    dept_id_list = TextAreaField(
        _l("Departments (department ids, comma or newline separated)"),
        render_kw={"rows": 2, "data-picker": "depts", "placeholder": "2, 3"},
    )
    to_all_user = BooleanField(_l("Everyone in the company"))
    #: Recipient groups (dashboard.groups), resolved from the directory when sending.
    group_ids = SelectMultipleField(_l("Recipient groups"), coerce=int, validate_choice=False)
    #: The message template chosen (dashboard.msgtemplates): its {placeholders} are filled.
    template_id = HiddenField()
    nonce = HiddenField()
    confirm = BooleanField(_l("I have read the warnings: send anyway"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group_ids.choices = group_choices()
        self.prepared = None  # a template's message and the groups, once validated

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return self.validate_recipients() and ok and prepare_composed(self)

    def validate_recipients(self) -> bool:
        """At least one recipient selector; department ids must be numbers."""
        users = parse_userids(self.userid_list.data)
        try:
            depts = parse_dept_ids(self.dept_id_list.data)
        except ValueError as exc:
            self.dept_id_list.errors.append(str(exc))
            return False
        if not (users or depts or self.to_all_user.data or self.group_ids.data):
            self.form_errors.append(
                _("At least one of userid_list, dept_id_list and to_all_user is required.")
            )
            return False
        return True
