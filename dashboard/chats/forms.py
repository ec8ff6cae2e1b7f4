"""Forms of the group chat pages; the chat rules themselves live in the service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Regexp

from dashboard.chats.service import SETTINGS
from dashboard.composer.fields import MessageFields

CHATID_PATTERN = r"^[A-Za-z0-9_.=+-]{1,64}$"


#: Each optional chat/create setting: its label, then what 0 and 1 mean.
SETTING_TEXT = {
    "showHistoryType": (
        _l("History for new members"),
        _l("Hidden: new members see no earlier messages"),
        _l("Visible: new members see the last 100 messages"),
    ),
    "searchable": (
        _l("Searchable"),
        _l("No: the chat cannot be found by searching"),
        _l("Yes: people in the company can find the chat by its name"),
    ),
    "validationType": (
        _l("Join approval"),
        _l("Not required: anyone invited joins at once"),
        _l("Required: the owner or an admin approves each join"),
    ),
    "mentionAllAuthority": (
        _l("Who may @all"),
        _l("Everyone in the chat"),
        _l("Only the owner"),
    ),
    "managementType": (
        _l("Who manages the chat"),
        _l("Everyone may change the name and invite"),
        _l("Only the owner (and admins)"),
    ),
    "chatBannedType": (
        _l("Mute all"),
        _l("Off: everyone may speak"),
        _l("On: only the owner and admins may speak"),
    ),
}


def _setting(key: str) -> SelectField:
    label, no, yes = SETTING_TEXT[key]
    return SelectField(label, choices=[(0, no), (1, yes)], coerce=int, default=0)


class NewChatForm(FlaskForm):
    """chat/create, with the original service's field names; the rules are checked by the service."""

    name = StringField(_l("Chat name"))
    owner = StringField(_l("Owner (userid)"))
    useridlist = TextAreaField(
        _l("Members (userids)"), render_kw={"rows": 4, "data-picker": "users"}
    )
    showHistoryType = _setting("showHistoryType")
    searchable = _setting("searchable")
    validationType = _setting("validationType")
    mentionAllAuthority = _setting("mentionAllAuthority")
    managementType = _setting("managementType")
    chatBannedType = _setting("chatBannedType")

    def settings(self) -> dict[str, int]:
        return {key: self[key].data for key in SETTINGS}


class OpenChatForm(FlaskForm):
    """Open any chat by its chatid (for example one created outside the console)."""

    class Meta:
        csrf = False

    chatid = StringField(
        _l("chatid"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(_l("Enter a chatid.")),
            Regexp(CHATID_PATTERN, message=_l("A chatid has only letters, digits and - _ . = +")),
        ],
    )


class ChatMessageForm(MessageFields, FlaskForm):
    """chat/send: the composer's message fields (every msgtype), without recipients."""
