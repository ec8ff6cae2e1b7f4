"""A send made from a template and recipient groups: what ``send_work_notice`` is given.

One place turns "template 3 with these params, groups 1 and 2, these people" into
the msg, the recipients, the per-recipient messages and the record of how they
were chosen, for the composer, the JSON API and the schedules alike::

    from dashboard.msgtemplates.sends import prepare_send
    prepared = prepare_send(template_id=3, params={"project": "X"}, group_ids=[1],
                            userid_list=[], dept_id_list=[], to_all_user=False,
                            when=now, lang="zh")
    send = send_work_notice(**prepared.send_kwargs(), sender=..., source=...)

``prepare_send`` raises ``TemplateError`` (placeholders unfilled, unknown
template, a filled message DingTalk would refuse) or ``GroupError`` (an unknown
group, groups that reach nobody): both ValueErrors whose ``str()`` is the message.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app

from dashboard.groups.i18n import gettext as _
from dashboard.groups.service import GroupError, ResolvedRecipients, people_of, resolve_groups
from dashboard.msgtemplates import service
from dashboard.msgtemplates.service import SendCost, TemplateError


@dataclass
class PreparedSend:
    """The message and recipients of one send, ready for ``send_work_notice``."""

    msg: dict[str, Any]
    userid_list: list[str]
    dept_id_list: list[int]
    to_all_user: bool
    personal_msgs: dict[str, dict[str, Any]] | None = None
    origin: dict[str, Any] | None = None
    resolved: ResolvedRecipients | None = None

    @property
    def cost(self) -> SendCost | None:
        """A per-recipient send's calls and time at the client's rate; None otherwise."""
        if self.personal_msgs is None:
            return None
        return service.per_recipient_cost(len(self.personal_msgs), client_rate())

    def send_kwargs(self) -> dict[str, Any]:
        return {
            "msg": self.msg,
            "userid_list": self.userid_list,
            "dept_id_list": self.dept_id_list,
            "to_all_user": self.to_all_user,
            "personal_msgs": self.personal_msgs,
            "origin": self.origin,
        }


def client_rate() -> float:
    """The client's calls per second (DINGTALK_RATE_LIMIT), what a per-recipient send runs at."""
    try:
        return float(current_app.config.get("DINGTALK_RATE_LIMIT") or 20)
    except (TypeError, ValueError):
        return 20.0


def prepare_send(
    *,
    msg: dict[str, Any] | None = None,
    template_id: int | str | None = None,
    params: Mapping[str, Any] | None = None,
    userid_list: Iterable[str] = (),
    dept_id_list: Iterable[int] = (),
    to_all_user: bool = False,
    group_ids: Iterable[int | str] = (),
    when: datetime,
    lang: str = "zh",
    snapshot=None,
) -> PreparedSend:
    """Resolve the groups now, render the template (per person when it names one)."""
    userids = list(dict.fromkeys(str(u) for u in userid_list or []))
    dept_ids = list(dict.fromkeys(int(d) for d in dept_id_list or []))
    origin: dict[str, Any] = {}
    resolved = None
    group_ids = list(group_ids or [])
    if group_ids:
        resolved = resolve_groups(group_ids, snapshot=snapshot)
        origin["groups"] = resolved.record()
        if resolved.empty and not (userids or dept_ids or to_all_user):
            raise GroupError(_("The chosen groups reach nobody in the directory now."))
        userids = list(dict.fromkeys([*userids, *resolved.userids]))
        dept_ids = list(dict.fromkeys([*dept_ids, *resolved.dept_ids]))
        if resolved.to_all:
            to_all_user = True
    personal = None
    if template_id is not None and template_id != "":
        template = service.get_template(template_id)
        origin["template"] = {
            "id": template.id,
            "name": template.name,
            "params": service.clean_params(params),
        }
        if service.per_recipient(template):
            msg = service.render_template_message(
                template, params, when=when, lang=lang, keep_per_recipient=True
            )
            people = people_of(userids, dept_ids, to_all_user, snapshot=snapshot)
            personal = service.render_per_recipient(
                template, params, people, when=when, lang=lang, snapshot=snapshot
            )
            userids, dept_ids, to_all_user = list(personal), [], False
        else:
            msg = service.render_template_message(template, params, when=when, lang=lang)
    if msg is None:
        raise TemplateError(_("Give a message or choose a template."))
    return PreparedSend(
        msg=msg,
        userid_list=userids,
        dept_id_list=dept_ids,
        to_all_user=bool(to_all_user),
        personal_msgs=personal,
        origin=origin or None,
        resolved=resolved,
    )
