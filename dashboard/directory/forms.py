"""Forms of the organisation pages: search, unionid lookup, snapshot refresh."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length, Regexp

UNIONID_MAX = 100


class SearchForm(FlaskForm):
    """The people and department search box (GET, no CSRF)."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Search people and departments"),
        validators=[
            DataRequired(message=_l("Type a name, pinyin initials or an id.")),
            Length(max=100),
        ],
    )


class UnionidLookupForm(FlaskForm):
    """Find a userid by unionid (GET, no CSRF: it only reads)."""

    class Meta:
        csrf = False

    unionid = StringField(
        _l("unionid"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Enter a unionid.")),
            Length(
                max=UNIONID_MAX,
                message=_l("A unionid has at most %(max)d characters.", max=UNIONID_MAX),
            ),
            Regexp(
                r"^[A-Za-z0-9_\-+=/.]+$",
                message=_l("A unionid contains only letters, digits and _ - + = / ."),
            ),
        ],
    )
    submit = SubmitField(_l("Find"))


class RefreshForm(FlaskForm):
    """The admin's "refresh now" button (POST, CSRF-protected)."""

    submit = SubmitField(_l("Refresh now"))
