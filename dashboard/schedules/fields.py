"""The "when" fields of a send: now, or on a schedule (once or a recurrence).

``ScheduleFields`` is a mixin for the composer's form (``notifications.forms.ComposeForm``)
and the schedule's edit form; the partial ``schedules/_when_fields.html`` renders it.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, SelectMultipleField, StringField
from wtforms.fields import DateField, TimeField
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dashboard.schedules.models import DEFAULT_TIMEZONE, RUN_LATE, SKIP

NOW, LATER = "now", "later"
KIND_CHOICES = [
    ("once", _l("Once")),
    ("daily", _l("Every day")),
    ("workdays", _l("Workdays (Monday to Friday)")),
    ("weekly", _l("Weekly, on chosen days")),
    ("monthly", _l("Monthly, on a day")),
    ("cron", _l("Cron expression")),
]
KIND_LABELS = dict(KIND_CHOICES)
WEEKDAY_CHOICES = [
    (1, _l("Monday")),
    (2, _l("Tuesday")),
    (3, _l("Wednesday")),
    (4, _l("Thursday")),
    (5, _l("Friday")),
    (6, _l("Saturday")),
    (7, _l("Sunday")),
]
MONTHDAY_CHOICES = [(str(d), str(d)) for d in range(1, 32)] + [("L", _l("Last day"))]
ON_MISSED_CHOICES = [
    (RUN_LATE, _l("Send once, late, with a note")),
    (SKIP, _l("Skip it, and record the skip")),
]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ScheduleFields:
    """When to send: ``when`` = now or later, then the schedule's fields."""

    when = RadioField(
        _l("When to send"),
        choices=[(NOW, _l("Send now")), (LATER, _l("Schedule"))],
        default=NOW,
        validators=[Optional()],
    )
    kind = SelectField(_l("Repeat"), choices=KIND_CHOICES, default="once")
    run_date = DateField(_l("Date"), validators=[Optional()])
    run_time = TimeField(_l("Time"), validators=[Optional()])
    time_of_day = TimeField(_l("Time of day"), validators=[Optional()])
    weekdays = CheckboxesField(_l("Days of the week"), choices=WEEKDAY_CHOICES, coerce=int)
    monthday = SelectField(_l("Day of the month"), choices=MONTHDAY_CHOICES, default="1")
    cron = StringField(
        _l("Cron expression"),
        validators=[Optional()],
        render_kw={"placeholder": "0 9 * * 1-5", "spellcheck": "false"},
    )
    timezone = StringField(_l("Time zone"), default=DEFAULT_TIMEZONE)
    on_missed = RadioField(
        _l("If the console was down at its time"),
        choices=ON_MISSED_CHOICES,
        default=RUN_LATE,
    )

    @property
    def scheduling(self) -> bool:
        return self.when.data == LATER

    def schedule_values(self) -> dict | None:
        """The ScheduleSpec's when-fields, or None with the errors on the fields."""
        kind = self.kind.data
        values: dict = {
            "kind": kind,
            "timezone": (self.timezone.data or DEFAULT_TIMEZONE).strip(),
            "on_missed": self.on_missed.data or RUN_LATE,
        }
        if kind == "once":
            if not self.run_date.data:
                self.run_date.errors = [*self.run_date.errors, _("Choose the date to send on.")]
            if not self.run_time.data:
                self.run_time.errors = [*self.run_time.errors, _("Choose the time to send at.")]
            if not (self.run_date.data and self.run_time.data):
                return None
            values["run_at"] = datetime.combine(self.run_date.data, self.run_time.data)
            return values
        if kind == "cron":
            values["cron"] = self.cron.data
            return values
        if not self.time_of_day.data:
            self.time_of_day.errors = [*self.time_of_day.errors, _("Choose the time of day.")]
            return None
        values["time_of_day"] = self.time_of_day.data.strftime("%H:%M")
        values["weekdays"] = list(self.weekdays.data or [])
        values["monthday"] = self.monthday.data
        return values

    def field_for(self, name: str):
        """The form field a ScheduleError names (the service's names are the API's)."""
        mapping = {"run_at": "run_date", "msg": "msg", "userid_list": "userid_list"}
        return getattr(self, mapping.get(name, name), None)
