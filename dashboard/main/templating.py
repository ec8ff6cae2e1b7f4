"""Template helpers that pages of several blueprints use; the app registers them.

`register_template_helpers` in `dashboard/__init__.py` installs the filters and
globals below for every blueprint, so no blueprint owns what another renders.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _

from dashboard.composer.recipients import SEPARATORS


def notice_time(value) -> str:
    """A stored UTC time in the console's time zone (BABEL_DEFAULT_TIMEZONE)."""
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss") if value else ""


def recipient_count(users: int, depts: int) -> str:
    """ "3 users, 1 department" with each noun in its plural form (ngettext)."""
    return _(
        "%(users)s, %(depts)s",
        users=ngettext("%(num)d user", "%(num)d users", users),
        depts=ngettext("%(num)d department", "%(num)d departments", depts),
    )


def task_count(count: int) -> str:
    return ngettext("%(num)d task", "%(num)d tasks", count)


def install_ui_helpers(app) -> None:
    """The globals of the pages' shared pieces: plurals, charts, read rates, head counts."""
    from dashboard.directory.service import headcounts
    from dashboard.main import charts
    from dashboard.notifications.results import read_rate, read_timeline

    for function in (recipient_count, task_count, read_rate, read_timeline, headcounts):
        app.add_template_global(function)
    for name in ("outcome_chart", "read_chart", "read_bar", "bars", "timeline"):
        app.add_template_global(getattr(charts, name), f"chart_{name}")


def picker_config() -> dict[str, Any]:
    """What static/js/picker.js shows and how it splits typed ids, in the UI language.

    Base.html hands it to the script as JSON (`#picker-config`): the words come
    from the translation catalogs and the separators are the server's own
    (`dashboard.composer.recipients.SEPARATORS`).
    """
    return {
        "separators": SEPARATORS.pattern,
        "strings": {
            "users": _("Search by name, pinyin initials or userid"),
            "depts": _("Search by department name, pinyin initials or id"),
            "remove": _("Remove %(name)s", name="{name}"),
            "none": _("No matches"),
            "failed": _("Search failed, please try again"),
            "no_company": _("Choose a company in the switcher first."),
            "results": _("Results: %(num)s", num="{n}"),
            "selected": _("Selected: %(name)s", name="{name}"),
            "unknown": _("not in the directory"),
        },
    }
