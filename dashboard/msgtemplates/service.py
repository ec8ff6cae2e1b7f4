"""Message templates: placeholders, rendering, and the record of every change.

A template is the composer's message fields (any msgtype) with ``{placeholders}``
in their text. Three kinds of placeholder:

- built-ins, filled from the send's time in the UI language: ``{date}``
  (2026年12月2日 / December 2, 2026), ``{weekday}`` (星期三 / Wednesday), ``{time}``
  (09:30), in ``DISPLAY_TIMEZONE`` (Asia/Shanghai); a param of the same name wins;
- per-recipient: ``{name}`` and ``{department}`` (the person's name and first
  department, from the directory snapshot). A template with one of these is sent
  as one DingTalk call per person (:func:`per_recipient`, :func:`per_recipient_cost`);
- free fields: any other ``{word}`` (letters, digits, ``_``, Chinese), filled from
  ``params`` when composing or scheduling.

``{{`` and ``}}`` stand for literal braces. A placeholder left unfilled stops the
send: :func:`render_template_message` raises :class:`TemplateError` naming them.

For the schedules (and any other caller), without a request::

    from dashboard.msgtemplates.service import (
        TemplateError, per_recipient, render_template_message, render_per_recipient,
    )
    msg = render_template_message(template_id, {"project": "X"}, when=now, lang="zh")
    # per-recipient templates: one msg per userid (needs the app context: the snapshot)
    msgs = render_per_recipient(template_id, params, userids, when=now, lang="zh")

Both raise ``TemplateError`` (a ValueError: its ``str()`` is the message to show;
``.missing`` lists the unfilled placeholders; ``.template_id``). The functions that
change templates (:func:`create_template`, :func:`update_template`,
:func:`duplicate_template`, :func:`delete_template`) write a ``TemplateRevision``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from sqlalchemy.exc import IntegrityError

from dashboard.composer.message import build_msg
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.errors import InvalidMessage
from dashboard.extensions import db
from dashboard.groups.i18n import gettext as _
from dashboard.msgtemplates.models import (
    CREATED,
    DELETED,
    DUPLICATED,
    UPDATED,
    MessageTemplate,
    TemplateRevision,
)

DISPLAY_TIMEZONE = "Asia/Shanghai"
BUILTINS = ("date", "weekday", "time")
PER_RECIPIENT = ("name", "department")
#: Form fields that are choices, not text: never searched for placeholders.
CHOICE_FIELDS = frozenset({"msgtype", "card_style", "card_btn_orientation"})
NAME_MAX = 80
PARAM_MAX = 2000  # characters of one param value (DingTalk's whole msg is 2048 bytes)

_TOKEN = re.compile(r"\{\{|\}\}|\{([^\W\d]\w{0,39})\}")


class TemplateError(ValueError):
    """A template cannot be rendered (unfilled placeholders, unknown template, invalid msg).

    ``str(exc)`` is the message to show; ``missing`` the unfilled placeholders.
    """

    def __init__(self, message: str, *, missing: Iterable[str] = (), template_id=None) -> None:
        super().__init__(message)
        self.message = message
        self.missing = tuple(missing)
        self.template_id = template_id


@dataclass(frozen=True)
class Recipient:
    """What the per-recipient placeholders of one person are filled with."""

    userid: str
    name: str
    department: str = ""


@dataclass(frozen=True)
class SendCost:
    """The DingTalk calls of a send and how long they take at the client's rate."""

    calls: int
    seconds: float

    @property
    def minutes(self) -> int:
        """Whole minutes, rounded (at least 1 for any call): 500 s is about 8 minutes."""
        return max(1, round(self.seconds / 60)) if self.seconds else 0


# --- placeholders -----------------------------------------------------------------------


def text_fields(fields: Mapping[str, Any]) -> dict[str, str]:
    """The message fields that may hold placeholders (every text value but the choices)."""
    return {
        key: value
        for key, value in fields.items()
        if key not in CHOICE_FIELDS and isinstance(value, str)
    }


def placeholders_in(text: str) -> list[str]:
    """The ``{names}`` of a text, in order, each once (``{{`` / ``}}`` are literal braces)."""
    names = [m.group(1) for m in _TOKEN.finditer(text or "") if m.group(1)]
    return list(dict.fromkeys(names))


def placeholders(template: MessageTemplate | Mapping[str, Any]) -> list[str]:
    """Every placeholder of a template (or of message fields), in order of appearance."""
    fields = template.fields if isinstance(template, MessageTemplate) else template
    names: list[str] = []
    for value in text_fields(fields or {}).values():
        names.extend(placeholders_in(value))
    return list(dict.fromkeys(names))


def free_placeholders(template: MessageTemplate | Mapping[str, Any]) -> list[str]:
    """The placeholders the sender fills (neither built-in nor per-recipient)."""
    return [p for p in placeholders(template) if p not in BUILTINS and p not in PER_RECIPIENT]


def per_recipient(template: MessageTemplate | Mapping[str, Any]) -> bool:
    """True when the template names a person ({name}, {department}): one call per recipient."""
    return any(p in PER_RECIPIENT for p in placeholders(template))


def per_recipient_cost(recipients: int, rate_per_second: float) -> SendCost:
    """One call per recipient at the client's rate (10,000 people at 20/s: about 8 minutes)."""
    rate = rate_per_second if rate_per_second > 0 else 20.0
    return SendCost(calls=recipients, seconds=recipients / rate)


def builtin_values(when: datetime, lang: str, tz: str = DISPLAY_TIMEZONE) -> dict[str, str]:
    """{date}, {weekday}, {time} of ``when`` in the UI language (naive = UTC)."""
    moment = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    local = moment.astimezone(ZoneInfo(tz))
    locale = "en" if str(lang or "zh").lower().startswith("en") else "zh"
    return {
        "date": format_date(local, "long", locale=locale),
        "weekday": format_date(local, "EEEE", locale=locale),
        "time": format_time(local, "HH:mm", locale=locale),
    }


def fill(text: str, values: Mapping[str, str]) -> tuple[str, list[str]]:
    """``text`` with its placeholders filled from ``values``; and the names left unfilled."""
    missing: list[str] = []

    def one(match: re.Match) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name in values:
            return str(values[name])
        missing.append(name)
        return token

    return _TOKEN.sub(one, text or ""), missing


# --- rendering --------------------------------------------------------------------------


def get_template(template_or_id: MessageTemplate | int | str) -> MessageTemplate:
    """The template itself, or the one with this id; TemplateError when there is none."""
    if isinstance(template_or_id, MessageTemplate):
        return template_or_id
    try:
        template_id = int(template_or_id)
    except (TypeError, ValueError):
        template_id = None
    template = db.session.get(MessageTemplate, template_id) if template_id else None
    if template is None:
        raise TemplateError(
            _("There is no message template %(id)s.", id=template_or_id),
            template_id=template_or_id,
        )
    return template


def clean_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """Param values as text; TemplateError for a value that is not text or a number."""
    values: dict[str, str] = {}
    for key, value in (params or {}).items():
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise TemplateError(_("The value of “%(name)s” must be text.", name=key))
        text = str(value)
        if len(text) > PARAM_MAX:
            raise TemplateError(
                _(
                    "The value of “%(name)s” is longer than %(max)d characters.",
                    name=key,
                    max=PARAM_MAX,
                )
            )
        values[str(key)] = text
    return values


def render_fields(
    fields: Mapping[str, Any], values: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """The message fields with every placeholder filled; and the names left unfilled."""
    rendered = dict(fields)
    missing: list[str] = []
    for key, value in text_fields(fields).items():
        rendered[key], left = fill(value, values)
        missing.extend(left)
    return rendered, list(dict.fromkeys(missing))


def _missing_error(template: MessageTemplate, missing: list[str]) -> TemplateError:
    names = ", ".join(f"{{{name}}}" for name in missing)
    return TemplateError(
        _(
            "Template “%(template)s”: fill in %(names)s before sending.",
            template=template.name,
            names=names,
        ),
        missing=missing,
        template_id=template.id,
    )


def _msg_of(template: MessageTemplate, fields: Mapping[str, Any]) -> dict[str, Any]:
    msg = build_msg(fields)
    size = dtmsg.msg_size(msg)
    if size > dtmsg.MAX_MSG_BYTES:
        raise TemplateError(
            _(
                "Template “%(template)s” filled in is %(size)d bytes; DingTalk accepts at most %(max)d bytes.",
                template=template.name,
                size=size,
                max=dtmsg.MAX_MSG_BYTES,
            ),
            template_id=template.id,
        )
    try:
        dtmsg.validate_msg(msg)
    except InvalidMessage as exc:
        raise TemplateError(
            _(
                "Template “%(template)s” filled in is not a valid message: %(reason)s",
                template=template.name,
                reason=str(exc),
            ),
            template_id=template.id,
        ) from None
    return msg


def render_template_message(
    template_or_id: MessageTemplate | int | str,
    params: Mapping[str, Any] | None,
    *,
    when: datetime,
    lang: str = "zh",
    recipient: Recipient | None = None,
    keep_per_recipient: bool = False,
) -> dict[str, Any]:
    """The DingTalk msg of a template with built-ins, ``params`` and (if given) ``recipient``.

    Raises TemplateError naming every placeholder left unfilled. A per-recipient
    template needs ``recipient``, unless ``keep_per_recipient`` (the msg as the
    history shows it, {name} left in; or a preview).
    """
    template = get_template(template_or_id)
    values = builtin_values(when, lang) | clean_params(params)
    if recipient is not None:
        values |= {"name": recipient.name, "department": recipient.department}
    fields, missing = render_fields(template.fields, values)
    if keep_per_recipient:
        missing = [m for m in missing if m not in PER_RECIPIENT]
    if missing:
        raise _missing_error(template, missing)
    if keep_per_recipient and per_recipient(template):
        # Validated with sample values, so a too-long {name} shows now, not per call.
        _msg_of(template, render_fields(fields, {"name": "名" * 8, "department": "部" * 20})[0])
        return build_msg(fields)
    return _msg_of(template, fields)


def recipients_of(userids: Iterable[str], lang: str = "zh", snapshot=None) -> list[Recipient]:
    """Name and first department of each person, from the directory snapshot (the userid
    stands for an unknown person's name)."""
    if snapshot is None:
        from dashboard.directory.snapshot import get_snapshot

        snapshot = get_snapshot()
    people = []
    for userid in userids:
        user = snapshot.users.get(userid) if snapshot is not None else None
        department = ""
        if user is not None:
            department = next(
                (
                    snapshot.dept_name(d, lang)
                    for d in user.departments
                    if snapshot.dept_name(d, lang)
                ),
                "",
            )
        people.append(Recipient(userid, user.name if user else userid, department or ""))
    return people


def render_per_recipient(
    template_or_id: MessageTemplate | int | str,
    params: Mapping[str, Any] | None,
    userids: Iterable[str],
    *,
    when: datetime,
    lang: str = "zh",
    snapshot=None,
) -> dict[str, dict[str, Any]]:
    """One msg per userid (in order) with {name} and {department} filled for that person."""
    template = get_template(template_or_id)
    base = builtin_values(when, lang) | clean_params(params)
    fields, missing = render_fields(template.fields, base)
    missing = [m for m in missing if m not in PER_RECIPIENT]
    if missing:
        raise _missing_error(template, missing)
    msgs: dict[str, dict[str, Any]] = {}
    for person in recipients_of(list(dict.fromkeys(userids)), lang, snapshot):
        own, _left = render_fields(fields, {"name": person.name, "department": person.department})
        msgs[person.userid] = _msg_of(template, own)
    return msgs


def preview(
    template: MessageTemplate | Mapping[str, Any],
    params: Mapping[str, Any] | None,
    *,
    when: datetime,
    lang: str,
    sample: Recipient | None = None,
) -> dict[str, Any]:
    """What the preview panel shows: the msg filled as far as possible and what is missing."""
    fields = template.fields if isinstance(template, MessageTemplate) else dict(template)
    try:
        values = builtin_values(when, lang) | clean_params(params)
    except TemplateError as exc:
        return {"msg": build_msg(fields), "missing": [], "error": str(exc)}
    if sample is not None:
        values |= {"name": sample.name, "department": sample.department}
    rendered, missing = render_fields(fields, values)
    return {"msg": build_msg(rendered), "missing": missing, "error": None}


# --- changes, each on record -------------------------------------------------------------


def _changed(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    keys = dict.fromkeys([*before, *after])
    return [k for k in keys if (before.get(k) or "") != (after.get(k) or "")]


def _revision(template: MessageTemplate, action: str, user: str, changed, **extra) -> None:
    db.session.add(
        TemplateRevision(
            template_id=template.id,
            action=action,
            user=user,
            name=template.name,
            changed=list(changed),
            fields=dict(template.fields or {}),
            **extra,
        )
    )


def _check_name(name: str, template_id: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise TemplateError(_("Give the template a name."))
    if len(name) > NAME_MAX:
        raise TemplateError(_("A name is at most %(max)d characters.", max=NAME_MAX))
    clash = db.session.execute(db.select(MessageTemplate).filter_by(name=name)).scalar()
    if clash is not None and clash.id != template_id:
        raise TemplateError(_("A template named “%(name)s” already exists.", name=name))
    return name


def _commit() -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise TemplateError(_("A template of that name already exists.")) from None


def create_template(
    *, name: str, fields: Mapping[str, Any], user: str, description: str = ""
) -> MessageTemplate:
    """Save a new template (its msgtype is ``fields["msgtype"]``) and its first revision."""
    template = MessageTemplate(
        name=_check_name(name),
        description=(description or "").strip(),
        msgtype=str(fields.get("msgtype") or "text"),
        fields=dict(fields),
        created_by=user,
        updated_by=user,
    )
    db.session.add(template)
    db.session.flush()
    _revision(template, CREATED, user, ["name", *text_fields(fields)])
    _commit()
    return template


def update_template(
    template: MessageTemplate,
    *,
    name: str,
    fields: Mapping[str, Any],
    user: str,
    description: str = "",
) -> list[str]:
    """Change a template; records what changed (nothing changed: no revision). Returns it."""
    before = {
        "name": template.name,
        "description": template.description,
        **(template.fields or {}),
    }
    name = _check_name(name, template.id)
    after = {"name": name, "description": (description or "").strip(), **fields}
    changed = _changed(before, after)
    if not changed:
        return []
    template.name = after["name"]
    template.description = after["description"]
    template.msgtype = str(fields.get("msgtype") or "text")
    template.fields = dict(fields)
    template.updated_by = user
    _revision(template, UPDATED, user, changed)
    _commit()
    return changed


def duplicate_template(template: MessageTemplate, *, user: str) -> MessageTemplate:
    """A copy named “<name> (copy)” (or “(copy 2)”, ...), with its own history."""
    base = _("%(name)s (copy)", name=template.name)[:NAME_MAX]
    name, number = base, 1
    while db.session.execute(db.select(MessageTemplate.id).filter_by(name=name)).first():
        number += 1
        name = _("%(name)s (copy %(number)d)", name=template.name, number=number)[:NAME_MAX]
    copy = MessageTemplate(
        name=name,
        description=template.description,
        msgtype=template.msgtype,
        fields=dict(template.fields or {}),
        created_by=user,
        updated_by=user,
    )
    db.session.add(copy)
    db.session.flush()
    _revision(copy, DUPLICATED, user, ["name"], source_id=template.id)
    _commit()
    return copy


def delete_template(template: MessageTemplate, *, user: str) -> None:
    """Delete a template; its history stays, ending with the delete."""
    _revision(template, DELETED, user, [])
    db.session.delete(template)
    db.session.commit()


def revisions(template_id: int) -> list[TemplateRevision]:
    """The template's history, newest first."""
    return list(
        db.session.execute(
            db.select(TemplateRevision)
            .filter_by(template_id=template_id)
            .order_by(TemplateRevision.id.desc())
        ).scalars()
    )


def list_templates() -> list[MessageTemplate]:
    """Every template, by name."""
    return list(
        db.session.execute(db.select(MessageTemplate).order_by(MessageTemplate.name)).scalars()
    )


def template_summary(template: MessageTemplate) -> dict[str, Any]:
    """A template as the JSON API and the composer's chooser describe it."""
    return {
        "id": template.id,
        "name": template.name,
        "description": template.description,
        "msgtype": template.msgtype,
        "placeholders": placeholders(template),
        "params": free_placeholders(template),
        "per_recipient": per_recipient(template),
        "msg": build_msg(template.fields or {}),
        "fields": dict(template.fields or {}),
        "updated_at": template.updated_at.isoformat(timespec="seconds") + "Z",
        "updated_by": template.updated_by,
    }
