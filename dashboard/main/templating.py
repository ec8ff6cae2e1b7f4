"""Template helpers that pages of several blueprints use; the app registers them.

`register_template_helpers` in `dashboard/__init__.py` installs the filters and
globals below for every blueprint, so no blueprint owns what another renders.
"""

from __future__ import annotations

from typing import Any

from flask_babel import format_datetime
from flask_babel import gettext as _

from dashboard.composer.recipients import SEPARATORS


def notice_time(value) -> str:
    """A stored UTC time in the console's time zone (BABEL_DEFAULT_TIMEZONE)."""
    return format_datetime(value, "yyyy-MM-dd HH:mm:ss") if value else ""


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
        },
    }
