"""Forms of the ISV pages: the company switcher, adding a company, the signature debugger."""

from __future__ import annotations

import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from dashboard.isv.models import CORPID_PATTERN


class SelectCompanyForm(FlaskForm):
    """POSTed by the navbar switcher: which company the console acts for."""

    corpid = HiddenField(
        _l("Company"),
        validators=[
            DataRequired(_l("Choose a company.")),
            Regexp(CORPID_PATTERN, message=_l("That is not a corpid.")),
        ],
    )
    next = HiddenField()


class AddCompanyForm(FlaskForm):
    """Look a company up with service/get_auth_info and add it to the switcher."""

    corpid = StringField(
        _l("Corp ID"),
        validators=[
            DataRequired(_l("Enter the company's corpid.")),
            Regexp(
                CORPID_PATTERN, message=_l("A corpid has only letters, digits, '.', '_' and '-'.")
            ),
        ],
    )


def _timestamp_ms(form, field) -> None:
    value = (field.data or "").strip()
    if not value.isdigit() or not 10**12 <= int(value) < 10**14:
        raise ValidationError(_l("Enter a timestamp in milliseconds, e.g. 1700000000000."))
    field.data = value


class SignatureDebugForm(FlaskForm):
    """Timestamp and ticket in; canonical string and signature out (§7.1)."""

    timestamp = StringField(
        _l("Timestamp (ms)"),
        validators=[DataRequired(_l("Enter a timestamp.")), _timestamp_ms],
        default=lambda: str(int(time.time() * 1000)),
    )
    ticket = StringField(
        _l("Suite ticket"),
        validators=[
            DataRequired(_l("Enter a suite ticket.")),
            Length(max=256, message=_l("The ticket is at most 256 characters.")),
        ],
    )
