"""The composer's live preview: the message, its size, and the exact calls a send makes.

The message half (``preview_message``) is the same for every channel. The calls
half asks the client library for the request it will send (``*_request`` of
``dashboard.dingtalk.api``), so the preview cannot drift from the send; one
function per channel says which call and with which recipients:

- ``work_notice_requests(msg, batches)``: asyncsend_v2, one per batch of recipients
  (planned by the notifications, ``notifications.batches.plan_batches``);
- ``chat_message_requests(chatid, msg)``: chat/send.

Each returns ``{"requests": [{line, body, body_text}], "calls", "more"}`` with the
token shown as ``***``, the shape ``static/js/composer.js`` renders. The acting
client is used when one can be built; without one (no credentials yet, or ISV
mode with no company chosen) the preview still renders, with the configured
DINGTALK_AGENT_ID and DINGTALK_API_BASE.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup

from dashboard.composer.fields import MessageFields
from dashboard.composer.message import build_msg
from dashboard.dingtalk import DingTalkClient
from dashboard.dingtalk import messages as dtmsg
from dashboard.dingtalk.api.base import Request
from dashboard.dingtalk.api.chats import chat_message_request
from dashboard.dingtalk.api.work_notices import work_notice_request
from dashboard.dingtalk.errors import InvalidMessage
from dashboard.services.dingtalk import NotConfigured, get_client

log = logging.getLogger(__name__)

#: Requests shown in full; the rest are counted ("and N more requests").
SHOWN_REQUESTS = 3


class Recipients(Protocol):
    """One work-notice call's recipients (``notifications.batches.Batch``)."""

    userids: list[str]
    dept_ids: list[int]
    to_all_user: bool


def pretty_json(value: Any) -> str:
    """JSON as the admin should read it: key order kept, Chinese unescaped, indented."""
    return json.dumps(value, ensure_ascii=False, indent=2)


#: What DingTalk's markdown may keep once rendered: text structure, links and pictures.
MARKDOWN_TAGS = {
    "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
_markdown = None


def render_markdown(text: str | None) -> Markup:
    """DingTalk markdown as HTML: markdown-it-py (CommonMark, raw HTML off), then nh3.

    Links keep only http(s) and dingtalk: addresses; pictures are not loaded from other
    hosts (the preview must not call out), they show as their alt text.
    """
    global _markdown
    if _markdown is None:
        from markdown_it import MarkdownIt

        _markdown = MarkdownIt("commonmark", {"html": False, "breaks": True}).enable("table")
    import nh3

    html = _markdown.render(text or "")
    html = re.sub(r'<img src="[^"]*" alt="([^"]*)"[^>]*>', r"[\1]", html)
    return Markup(  # noqa: S704  (sanitised by nh3 / autoescaped template)
        nh3.clean(
            html,
            tags=MARKDOWN_TAGS - {"img"},
            attributes={"a": {"href", "title"}},
            url_schemes={"http", "https", "dingtalk"},
            link_rel="noopener noreferrer nofollow",
        )
    )


def address_host(url: str | None) -> str:
    """The host an address points at (what a phone shows under a link card)."""
    return urlsplit(url or "").netloc or (url or "")


def phone_html(msg: Mapping[str, Any]) -> Markup:
    """The message as DingTalk shows it on a phone (templates/composer/_phone.html)."""
    if not isinstance(msg, Mapping) or not isinstance(msg.get(msg.get("msgtype")), Mapping):
        return Markup("")
    return Markup(  # noqa: S704  (sanitised by nh3 / autoescaped template)
        render_template(
            "composer/_phone.html", msg=msg, markdown=render_markdown, host=address_host
        )
    )


def preview_message(form: MessageFields) -> dict[str, Any]:
    """The message half of a preview reply: msg, its size and the field errors so far."""
    valid = form.validate()
    msg = build_msg(form)
    size = dtmsg.msg_size(msg)
    errors = {name: list(errs) for name, errs in form.errors.items() if name and errs}
    return {
        "valid": valid,
        "msg": msg,
        "size": size,
        "max_bytes": dtmsg.MAX_MSG_BYTES,
        "size_text": _("%(size)d / %(max)d bytes", size=size, max=dtmsg.MAX_MSG_BYTES),
        "errors": errors,
        "form_errors": list(form.form_errors),
        "phone_html": str(phone_html(msg)),
    }


def acting_client() -> DingTalkClient | None:
    """The client a send would use now, or None when none can be built yet."""
    try:
        return get_client()
    except NotConfigured:  # no credentials, or no company chosen yet: the preview still renders
        return None


def configured_agent_id() -> int | None:
    agent_id = current_app.config.get("DINGTALK_AGENT_ID")
    return int(agent_id) if agent_id else None


def describe(requests: Iterable[Request], *, base_url: str, calls: int) -> dict[str, Any]:
    """Requests as the preview shows them: the line (token redacted) and the body."""
    shown = [
        {
            "line": f"{request.method} {base_url.rstrip('/')}{request.path}?access_token=***",
            "body": request.body,
            "body_text": pretty_json(request.body),
        }
        for request in requests
    ]
    return {"requests": shown, "calls": calls, "more": max(0, calls - len(shown))}


def _base_url(client: DingTalkClient | None) -> str:
    return client.base_url if client is not None else current_app.config["DINGTALK_API_BASE"]


def work_notice_requests(
    msg: Mapping[str, Any], batches: Sequence[Recipients], *, limit: int = SHOWN_REQUESTS
) -> dict[str, Any]:
    """The asyncsend_v2 calls of a work notice, one per batch (the first ``limit`` shown).

    With no recipients yet, one call without any is shown (what the message would
    look like). When the client would refuse a batch (a batch size configured above
    what one call takes), ``request_error`` says why instead.
    """
    client = acting_client()

    def prepare(batch: Recipients | None) -> Request:
        recipients: dict[str, Any] = {}
        if batch is not None:
            recipients = {
                "userid_list": batch.userids or None,
                "dept_id_list": batch.dept_ids or None,
                "to_all_user": batch.to_all_user,
            }
        if client is not None:
            return client.messages.work_notice_request(msg, **recipients)
        return work_notice_request(msg, agent_id=configured_agent_id(), **recipients)

    base_url = _base_url(client)
    try:
        requests = [prepare(batch) for batch in batches[:limit]] or [prepare(None)]
    except InvalidMessage as exc:
        reply = describe([], base_url=base_url, calls=len(batches))
        log.info("preview request refused by the client: %s", exc)
        if exc.field in ("userid_list", "dept_id_list"):
            error = _(
                "More recipients in one call than DingTalk takes (%(field)s): lower the batch size.",
                field=exc.field,
            )
        else:
            error = _("DingTalk would not accept this message; check its fields.")
        return reply | {"request_error": error}
    return describe(requests, base_url=base_url, calls=len(batches))


def chat_message_requests(chatid: str, msg: Mapping[str, Any]) -> dict[str, Any]:
    """The chat/send call that sends ``msg`` into ``chatid``."""
    client = acting_client()
    if client is not None:
        request = client.chats.chat_message_request(chatid, msg)
    else:
        request = chat_message_request(chatid, msg)
    return describe([request], base_url=_base_url(client), calls=1)
