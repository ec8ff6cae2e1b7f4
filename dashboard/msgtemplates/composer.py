"""The composer's templates and groups: the template chooser, its params, groups as recipients.

The work-notification composer (``notifications``) calls these; its form has a
hidden ``template_id`` (the template chosen, whose fields fill the message) and
``group_ids`` (recipient groups). A message from a template is rendered on
submission with the ``param.<name>`` fields (``prepare_composed``, called by the
form's validation, so an unfilled placeholder or an unknown group is a form error
and nothing is sent); ``composed_send`` then gives the view what to send.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import request
from flask_babel import get_locale
from flask_babel import gettext as _

from dashboard.composer.message import build_msg
from dashboard.composer.recipients import parse_dept_ids, parse_userids
from dashboard.extensions import db
from dashboard.groups.service import GroupError, list_groups
from dashboard.msgtemplates import service
from dashboard.msgtemplates.models import MessageTemplate
from dashboard.msgtemplates.sends import PreparedSend, client_rate, prepare_send
from dashboard.msgtemplates.service import TemplateError
from dashboard.msgtemplates.views import param_values

#: The message fields of the composer a template fills (everything it saved).
SKIP_FIELDS = frozenset({"csrf_token", "nonce", "confirm", "userid_list", "dept_id_list"})


def group_choices() -> list[tuple[int, str]]:
    """The recipient groups of this company, for the composer's select."""
    try:
        return [(g.id, g.name) for g in list_groups()]
    except Exception:  # noqa: BLE001 (no tables yet, no company: no groups to offer)
        db.session.rollback()
        return []


def prefill_template(form, args: Mapping[str, str]) -> None:
    """On the composer's GET: ``?template_id=`` fills the message fields from the template."""
    raw = args.get("template_id")
    if not raw:
        return
    template = db.session.get(MessageTemplate, int(raw)) if str(raw).isdigit() else None
    if template is None:
        form.form_errors.append(_("There is no message template %(id)s.", id=raw))
        return
    form.template_id.data = str(template.id)
    for name, value in (template.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and name not in SKIP_FIELDS:
            field.data = value


def chosen_template(form) -> MessageTemplate | None:
    raw = (form.template_id.data or "").strip()
    return db.session.get(MessageTemplate, int(raw)) if raw.isdigit() else None


def _message_fields(form) -> dict[str, Any]:
    return {k: v for k, v in form.data.items() if k not in SKIP_FIELDS and isinstance(v, str)}


def composer_params(form) -> list[tuple[str, str]]:
    """The free placeholders of the message as it stands, each with the value typed."""
    if chosen_template(form) is None:
        return []
    values = param_values(request.values)
    return [
        (name, values.get(name, "")) for name in service.free_placeholders(_message_fields(form))
    ]


def prepare_composed(form) -> bool:
    """Render a template's message and resolve the groups; errors land on the form."""
    form.prepared = None
    template = chosen_template(form)
    group_ids = [int(g) for g in form.group_ids.data or []]
    if template is None and not group_ids:
        return True
    fields = _message_fields(form)
    # The message as typed (a template's fields, perhaps changed), under the template's name.
    adhoc = MessageTemplate(id=template.id, name=template.name, fields=fields) if template else None
    try:
        prepared = prepare_send(
            msg=None if adhoc else build_msg(form),
            template_id=adhoc,
            params=param_values(request.form),
            userid_list=parse_userids(form.userid_list.data),
            dept_id_list=parse_dept_ids(form.dept_id_list.data),
            to_all_user=bool(form.to_all_user.data),
            group_ids=group_ids,
            when=datetime.now(UTC),
            lang=str(get_locale() or "zh"),
        )
    except (TemplateError, GroupError) as exc:
        form.form_errors.append(str(exc))
        return False
    form.prepared = prepared
    return True


def composed_send(form, msg: dict, recipients: dict) -> tuple[dict, dict, dict]:
    """(msg, recipients, extra send_work_notice arguments) of a validated composer form."""
    prepared: PreparedSend | None = getattr(form, "prepared", None)
    if prepared is None:
        return msg, recipients, {}
    kwargs = prepared.send_kwargs()
    extra = {"personal_msgs": kwargs.pop("personal_msgs"), "origin": kwargs.pop("origin")}
    return kwargs.pop("msg"), kwargs, extra


def cost_warnings(extra: dict) -> list[str]:
    """The cost of a per-recipient send, said before sending (it needs the confirm box)."""
    personal = extra.get("personal_msgs")
    if personal is None:
        return []
    cost = service.per_recipient_cost(len(personal), client_rate())
    return [
        _(
            "Each recipient gets a message of their own: %(calls)d people are %(calls)d DingTalk "
            "calls, about %(minutes)d minutes at %(rate)d calls a second, sent in the background.",
            calls=cost.calls,
            minutes=cost.minutes,
            rate=round(client_rate()),
        )
    ]


def composer_helpers() -> dict[str, Any]:
    """For templates/notifications/compose.html: the chooser's templates and the params."""
    return {"composer_templates": service.list_templates, "composer_params": composer_params}


def filled_preview(form, data: dict[str, Any]) -> None:
    """The composer's live preview with the template's values filled (the first
    recipient's own message for a per-recipient template) and its cost."""
    from dashboard.composer.preview import phone_html
    from dashboard.dingtalk import messages as dtmsg

    prepared: PreparedSend | None = getattr(form, "prepared", None)
    if prepared is None:
        return
    personal = prepared.personal_msgs
    msg = next(iter(personal.values())) if personal else prepared.msg
    size = dtmsg.msg_size(msg)
    data.update(
        msg=msg,
        size=size,
        size_text=_("%(size)d / %(max)d bytes", size=size, max=dtmsg.MAX_MSG_BYTES),
        phone_html=str(phone_html(msg)),
    )
    if personal is not None:
        data["per_recipient"] = cost_warnings({"personal_msgs": personal})
