"""The message fields of the composer, shared by every channel (notifications, chats, ...).

- ``MessageFields``: a mixin of WTForms fields for every DingTalk msgtype (text via
  the field ``msg``, markdown, link, action card with one button or a button list,
  OA, image / file / voice by media_id). Mix it in before ``FlaskForm``:
  ``class ChatMessageForm(MessageFields, FlaskForm)``. Its ``validate()`` checks the
  chosen type's fields against the reference's limits (§2.1, ``FIELD_RULES``) and
  the 2048-byte msg limit, with translated messages.
- ``MSGTYPE_CHOICES`` / ``MSGTYPE_LABELS`` / ``msgtype_label()``: each msgtype in
  the product's words.
- Template partials ``composer/_message_fields.html`` (the fields) and
  ``composer/_preview.html`` (the preview panel), and ``static/js/composer.js``.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from dashboard.composer.message import (
    build_msg,
    multiline_value,
    parse_buttons,
    parse_form_rows,
    text_value,
    whole_number,
)
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.errors import InvalidMessage

MSGTYPE_CHOICES = [
    ("text", _l("Text")),
    ("markdown", _l("Markdown")),
    ("link", _l("Link")),
    ("action_card", _l("Action card")),
    ("oa", _l("OA message")),
    ("image", _l("Image")),
    ("file", _l("File")),
    ("voice", _l("Voice")),
]

#: msgtype → its label (lazy, translated when shown).
MSGTYPE_LABELS = dict(MSGTYPE_CHOICES)


def msgtype_label(msgtype: str | None) -> str:
    """A msgtype in the product's words (the msgtype itself when unknown)."""
    label = MSGTYPE_LABELS.get(msgtype or "")
    return str(label) if label is not None else (msgtype or "")


_HEX8 = re.compile(r"[0-9A-Fa-f]{8}")

#: Per msgtype: (field name, required, max characters or None), from §2.1 of the reference.
#: URLs are held to the action card's 500 characters everywhere (the longest DingTalk documents).
FIELD_RULES: dict[str, list[tuple[str, bool, int | None]]] = {
    "text": [("msg", True, None)],
    "markdown": [("markdown_title", True, None), ("markdown_text", True, dtmsg.MARKDOWN_TEXT_MAX)],
    "link": [
        ("link_message_url", True, dtmsg.CARD_URL_MAX),
        ("link_pic_url", True, dtmsg.CARD_URL_MAX),
        ("link_title", True, dtmsg.LINK_TITLE_MAX),
        ("link_text", True, dtmsg.LINK_TEXT_MAX),
    ],
    "action_card": [
        ("card_title", True, dtmsg.CARD_TITLE_MAX),
        ("card_markdown", True, dtmsg.CARD_MARKDOWN_MAX),
    ],
    "oa": [
        ("oa_message_url", True, dtmsg.CARD_URL_MAX),
        ("oa_pc_message_url", False, dtmsg.CARD_URL_MAX),
        ("oa_head_bgcolor", True, None),
        ("oa_head_text", True, dtmsg.OA_HEAD_TEXT_MAX),
    ],
    "image": [("media_id", True, None)],
    "file": [("media_id", True, None)],
    "voice": [("media_id", True, None), ("voice_duration", True, None)],
}


#: Fields whose value is a web address the recipient's DingTalk opens (http(s), or
#: DingTalk's own dingtalk:// links); the picture may also be a media_id (@...).
URL_FIELDS = {"link_message_url", "link_pic_url", "card_single_url", "oa_message_url"}
URL_FIELDS |= {"oa_pc_message_url"}
URL_SCHEMES = ("http", "https", "dingtalk")


def url_problem(value: str, *, media_id: bool = False) -> str | None:
    """Why `value` is not an address DingTalk can open, in the UI language (None: it is)."""
    if media_id and value.startswith("@"):
        return None
    scheme, _sep, rest = value.partition("://")
    if scheme.lower() not in URL_SCHEMES or not rest or any(c.isspace() for c in value):
        return _("Enter a web address starting with http:// or https://.")
    return None


def _text(field) -> str:
    return text_value(field.data)


def _multiline(field) -> str:
    return multiline_value(field.data)


class MessageFields:
    """WTForms fields for one DingTalk message of any type (mix in before FlaskForm)."""

    msgtype = SelectField(
        _l("Message type"), choices=MSGTYPE_CHOICES, default="text", validate_choice=False
    )
    msg = TextAreaField(_l("Text"), validators=[Optional()], render_kw={"rows": 4})

    markdown_title = StringField(_l("Title (shown in the conversation list)"))
    markdown_text = TextAreaField(_l("Markdown text"), render_kw={"rows": 6})

    link_message_url = StringField(_l("Link URL"))
    link_pic_url = StringField(_l("Picture (URL or media_id)"))
    link_title = StringField(_l("Title"))
    link_text = TextAreaField(_l("Description"), render_kw={"rows": 3})

    card_title = StringField(_l("Card title"))
    card_markdown = TextAreaField(_l("Card text (markdown)"), render_kw={"rows": 5})
    card_style = RadioField(
        _l("Buttons"),
        choices=[("single", _l("One button")), ("buttons", _l("Button list"))],
        default="single",
        validate_choice=False,
    )
    card_single_title = StringField(_l("Button title"))
    card_single_url = StringField(_l("Button URL"))
    card_buttons = TextAreaField(
        _l("Buttons, one per line: title | URL"),
        render_kw={"rows": 3, "placeholder": "同意 | https://example.com/ok"},
    )
    card_btn_orientation = SelectField(
        _l("Button layout"),
        choices=[("0", _l("Vertical")), ("1", _l("Horizontal"))],
        default="0",
        validate_choice=False,
    )

    oa_message_url = StringField(_l("Message URL"))
    oa_pc_message_url = StringField(_l("Message URL on PC (optional)"))
    oa_head_bgcolor = StringField(_l("Header colour (ARGB, 8 hex digits)"), default="FFBBBBBB")
    oa_head_text = StringField(_l("Header text"))
    oa_status_value = StringField(_l("Status bar text (optional)"))
    oa_status_bg = StringField(_l("Status bar colour (optional)"))
    oa_title = StringField(_l("Body title"))
    oa_content = TextAreaField(_l("Body content"), render_kw={"rows": 3})
    oa_form = TextAreaField(
        _l("Form rows, one per line: key: value"),
        render_kw={"rows": 3, "placeholder": "姓名: 张三"},
    )
    oa_rich_num = StringField(_l("Highlighted number (optional)"))
    oa_rich_unit = StringField(_l("Unit (optional)"))
    oa_image = StringField(_l("Body image media_id (optional)"))
    oa_file_count = StringField(_l("Attachment count (optional)"))
    oa_author = StringField(_l("Author (optional)"))

    media_id = StringField(_l("media_id"))
    voice_duration = StringField(_l("Duration in seconds (1-59)"))

    def validate(self, extra_validators=None) -> bool:
        self.form_errors = []
        ok = super().validate(extra_validators)
        return self.validate_message() and ok

    def validate_message(self) -> bool:
        """Check the chosen msgtype's fields and the whole msg's size; errors land on fields."""
        msgtype = self.msgtype.data
        if msgtype not in FIELD_RULES:
            self.msgtype.errors.append(_("Choose a message type."))
            return False
        ok = True
        for name, required, max_len in FIELD_RULES.get(msgtype, []):
            field = getattr(self, name)
            value = _text(field)
            # Counted as sent: a textarea keeps its text, one character per line break.
            sent = _multiline(field) if isinstance(field, TextAreaField) else value
            if required and not value:
                field.errors.append(_("This field is required."))
                ok = False
            elif max_len is not None and len(sent) > max_len:
                field.errors.append(
                    _("At most %(max)d characters (now %(count)d).", max=max_len, count=len(sent))
                )
                ok = False
            elif name in URL_FIELDS and value:
                problem = url_problem(value, media_id=name == "link_pic_url")
                if problem:
                    field.errors.append(problem)
                    ok = False
        checker = getattr(self, f"_check_{msgtype}", None)
        if checker is not None:
            ok = checker() and ok
        if not ok:
            return False
        msg = build_msg(self)
        size = dtmsg.msg_size(msg)
        if size > dtmsg.MAX_MSG_BYTES:
            self.form_errors.append(
                _(
                    "The message is %(size)d bytes; DingTalk accepts at most %(max)d bytes.",
                    size=size,
                    max=dtmsg.MAX_MSG_BYTES,
                )
            )
            return False
        try:
            dtmsg.validate_msg(msg)
        except InvalidMessage as exc:
            # The library's reason is English and names DingTalk's fields: say it in the UI
            # language, on the field when the form has one by that name.
            field = getattr(self, exc.field, None)
            message = _("DingTalk would not accept this value; please check it.")
            if field is not None and hasattr(field, "errors"):
                field.errors.append(message)
            else:
                self.form_errors.append(
                    _("DingTalk would not accept this message; check its fields.")
                )
            return False
        return True

    def _check_action_card(self) -> bool:
        ok = True
        if self.card_style.data == "buttons":
            if self.card_btn_orientation.data not in ("0", "1"):
                self.card_btn_orientation.errors.append(_("Choose vertical or horizontal."))
                ok = False
            try:
                buttons = parse_buttons(self.card_buttons.data)
            except ValueError as exc:
                self.card_buttons.errors.append(str(exc))
                return False
            if not buttons:
                self.card_buttons.errors.append(_("Add at least one button."))
                return False
            for title, url in buttons:
                if len(title) > dtmsg.CARD_BUTTON_TITLE_MAX:
                    self.card_buttons.errors.append(
                        _(
                            "Button title “%(title)s” is longer than %(max)d characters.",
                            title=title,
                            max=dtmsg.CARD_BUTTON_TITLE_MAX,
                        )
                    )
                    ok = False
                if len(url) > dtmsg.CARD_URL_MAX:
                    self.card_buttons.errors.append(
                        _("Button URLs are at most %(max)d characters.", max=dtmsg.CARD_URL_MAX)
                    )
                    ok = False
                elif url_problem(url):
                    self.card_buttons.errors.append(
                        _("Button “%(title)s”: %(problem)s", title=title, problem=url_problem(url))
                    )
                    ok = False
            return ok
        rules = (
            (self.card_single_title, dtmsg.CARD_BUTTON_TITLE_MAX),
            (self.card_single_url, dtmsg.CARD_URL_MAX),
        )
        for field, max_len in rules:
            value = _text(field)
            if not value:
                field.errors.append(_("This field is required."))
                ok = False
            elif len(value) > max_len:
                field.errors.append(
                    _("At most %(max)d characters (now %(count)d).", max=max_len, count=len(value))
                )
                ok = False
            elif field is self.card_single_url and url_problem(value):
                field.errors.append(url_problem(value))
                ok = False
        return ok

    def _check_oa(self) -> bool:
        ok = True
        bgcolor = _text(self.oa_head_bgcolor)
        if bgcolor and not _HEX8.fullmatch(bgcolor):
            self.oa_head_bgcolor.errors.append(
                _("Use 8 hex digits, alpha first and without 0x, e.g. FFBBBBBB.")
            )
            ok = False
        try:
            rows = parse_form_rows(self.oa_form.data)
        except ValueError as exc:
            self.oa_form.errors.append(str(exc))
            return False
        if len(rows) > dtmsg.OA_FORM_MAX:
            self.oa_form.errors.append(
                _(
                    "At most %(max)d form rows (now %(count)d).",
                    max=dtmsg.OA_FORM_MAX,
                    count=len(rows),
                )
            )
            ok = False
        body = (_text(self.oa_title), _text(self.oa_content), rows, _text(self.oa_rich_num))
        if not any(body):
            self.oa_content.errors.append(_("Give the body a title, content or form rows."))
            ok = False
        count = _text(self.oa_file_count)
        if count and whole_number(count) is None:
            self.oa_file_count.errors.append(_("Must be a whole number."))
            ok = False
        return ok

    def _check_voice(self) -> bool:
        value = _text(self.voice_duration)
        if not value:
            return False
        seconds = whole_number(value)
        if seconds is None or not 1 <= int(seconds) <= dtmsg.VOICE_DURATION_MAX:
            self.voice_duration.errors.append(
                _(
                    "Must be a whole number of seconds from 1 to %(max)d.",
                    max=dtmsg.VOICE_DURATION_MAX,
                )
            )
            return False
        return True
