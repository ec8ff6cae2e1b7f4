"""What a consumer does when it has no DingTalk client for a recorded send or message.

The web process records a send only once it has a client (``get_client()`` before
anything is written), so a consumer that cannot build one is configured differently
from the web (a worker started without the ``.env``, a suite secret missing) or acts
for a company that no longer authorises the suite. The send is then recorded
**failed, nothing sent**, with the reason in words, rather than left ``queued``:

* the admin sees at once, on the send's page and in the history, that it did not go
  out and why, instead of a send that says "queued" for ever;
* a notice that would go out hours later, whenever someone fixes and restarts the
  worker, is worse than none ("the meeting at 15:00" arriving at 18:00): sending it
  again is the admin's decision, one click on the history's prefilled composer;
* nothing was on the wire, so failing cannot lose or duplicate a delivery.

The words are recorded in the default language (the consumer serves no request), like
DingTalk's own errmsg beside them.
"""

from __future__ import annotations

from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _

from dashboard.services.dingtalk import NoCompanySelected, NotConfigured, UnknownCompany

#: The attempt reason of a call never made for want of a client (chats explain it by key).
NOT_CONFIGURED = "not_configured"


def not_configured_text(error: NotConfigured) -> str:
    """Why the consumer could not send, and what the admin does about it (default language
    outside a request: the locale selector reads the request's session)."""
    if has_request_context():
        return _words(error)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE") or "zh"):
        return _words(error)


def _words(error: NotConfigured) -> str:
    if isinstance(error, UnknownCompany):
        return _(
            "Not sent: the company no longer authorises the suite. Nothing went out; "
            "send it again once the company has authorised the suite again."
        )
    if isinstance(error, NoCompanySelected):
        return _(
            "Not sent: no company is recorded for it, and the console now runs as a suite. "
            "Nothing went out."
        )
    return _(
        "Not sent: the delivery worker has no DingTalk credentials (DINGTALK_APP_KEY and "
        "DINGTALK_APP_SECRET, or the suite's, in its environment). Nothing went out; give "
        "the worker the same configuration as the web process, restart it, then send again."
    )
