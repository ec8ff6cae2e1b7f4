"""The recipient group editor: a name, people, departments and the sub-departments choice."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.groups.service import NAME_MAX


class GroupForm(FlaskForm):
    name = StringField(_l("Group name"), validators=[DataRequired(), Length(max=NAME_MAX)])
    description = TextAreaField(_l("Description (optional)"), render_kw={"rows": 2})
    userid_list = TextAreaField(
        _l("People (userids, comma or newline separated)"),
        render_kw={"rows": 3, "data-picker": "users", "placeholder": "u0001, u0002"},
    )
    dept_id_list = TextAreaField(
        _l("Departments (department ids, comma or newline separated)"),
        render_kw={"rows": 2, "data-picker": "depts", "placeholder": "2, 3"},
    )
    include_sub_departments = BooleanField(_l("Including sub-departments"), default=True)

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        try:
            depts = parse_dept_ids(self.dept_id_list.data)
        except ValueError as exc:
            self.dept_id_list.errors.append(str(exc))
            return False
        if not (parse_userids(self.userid_list.data) or depts):
            self.userid_list.errors.append(_("Add at least one person or department."))
            return False
        return ok
