"""Group chat pages: create, list the remembered ones, open one, send into it, read lists."""

from __future__ import annotations

import re

from flask import (
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from dashboard.chats import bp, service
from dashboard.chats.forms import (
    CHATID_PATTERN,
    SETTING_TEXT,
    ChatMessageForm,
    NewChatForm,
    OpenChatForm,
)
from dashboard.chats.models import ChatMessage
from dashboard.composer.message import build_msg
from dashboard.composer.preview import chat_message_requests, preview_message
from dashboard.dingtalk.errors import DingTalkError, NotFound
from dashboard.directory.names import warm_names
from dashboard.extensions import db
from dashboard.services.dingtalk import NoCompanySelected


@bp.url_value_preprocessor
def reject_malformed_chatid(endpoint, values):
    """A chatid in the URL that no chat can have is a 404, before DingTalk or the database."""
    chatid = (values or {}).get("chatid")
    if chatid is not None and not re.fullmatch(CHATID_PATTERN, chatid):
        page = render_template(
            "errors/error.html",
            code=404,
            message=_("A chatid has only letters, digits and - _ . = +"),
        )
        abort(make_response(page, 404))


@bp.context_processor
def chat_helpers():
    return {
        "explain": service.explain_record,
        "setting_text": SETTING_TEXT,
        "message_state": message_state,
    }


@bp.route("/")
@login_required
def index():
    return render_template(
        "chats/index.html", chats=service.remembered_chats(), open_form=OpenChatForm()
    )


@bp.route("/open")
@login_required
def open_chat():
    form = OpenChatForm(formdata=request.args)
    if form.validate():
        return redirect(url_for("chats.show", chatid=form.chatid.data.strip()))
    return render_template(
        "chats/index.html", chats=service.remembered_chats(), open_form=form
    ), 400


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    form = NewChatForm()
    failure = None
    if form.validate_on_submit():
        try:
            chat = service.create_chat(
                name=form.name.data,
                owner=form.owner.data,
                useridlist=form.useridlist.data,
                settings=form.settings(),
                created_by=current_user.username,
            )
        except service.ValidationError as exc:
            _attach_errors(form, exc)
        except NoCompanySelected:  # nothing recorded: keep what was typed
            form.form_errors.append(_("Choose a company in the switcher first."))
        except DingTalkError as exc:
            failure = service.explain_record(exc.record)
        else:
            flash(_("Chat “%(name)s” created.", name=chat.name), "success")
            return redirect(url_for("chats.show", chatid=chat.chatid))
    return render_template("chats/new.html", form=form, failure=failure)


@bp.route("/<chatid>", methods=["GET", "POST"])
@login_required
def show(chatid: str):
    form = ChatMessageForm()
    if form.validate_on_submit():
        try:
            message = service.queue_chat_message(
                chatid=chatid, msg=build_msg(form), sender=current_user.username
            )
        except service.ValidationError as exc:
            form.form_errors.append(str(exc))
        except NoCompanySelected:  # nothing recorded: keep what was typed
            form.form_errors.append(_("Choose a company in the switcher first."))
        else:
            _flash_message(message)
            return redirect(url_for("chats.show", chatid=chatid))
    info, chat_failure, missing = None, None, False
    try:
        info = service.get_chat_info(chatid)
    except DingTalkError as exc:
        chat_failure = service.explain(exc, operation="get")
        missing = isinstance(exc, NotFound)
    record, messages = service.find_chat(chatid), service.chat_messages(chatid)
    page = render_template(
        "chats/show.html",
        chatid=chatid,
        info=info,
        chat_failure=chat_failure,
        chat_missing=missing,
        record=record,
        messages=messages,
        form=form,
    )
    # A chat DingTalk does not know and the console never saw: nothing here to act on.
    return (page, 404) if missing and record is None and not messages else page


def _flash_message(message: ChatMessage) -> None:
    """What became of a message just sent (queued, or its outcome in immediate mode)."""
    if message.state == "pending":
        flash(
            _("Message queued: it goes out in the background, its state below updates by itself."),
            "success",
        )
    elif message.ok:
        flash(_("Message sent into the chat."), "success")
    elif message.state == "unknown":
        flash(service.explain_record(message), "warning")
    else:
        flash(
            _("DingTalk did not send the message.") + " " + service.explain_record(message),
            "danger",
        )


def message_state(message: ChatMessage) -> tuple[str, str]:
    """A message's state in words and its badge colour."""
    if message.state == "pending":
        if message.queued:
            return _("Queued"), "secondary"
        return _("Sending"), "info"
    if message.ok:
        return _("Sent"), "success"
    if message.state == "unknown":
        return _("Outcome unknown"), "warning"
    return _("Failed"), "danger"


@bp.route("/<chatid>/messages/<int:message_pk>/status")
@login_required
def message_status(chatid: str, message_pk: int):
    """A message's state, for the chat page's rows that follow it until it settles."""
    message = db.session.get(ChatMessage, message_pk)
    if message is None or message.chatid != chatid:
        abort(404)
    label, colour = message_state(message)
    settled = message.state != "pending"
    detail = ""
    if settled and not message.ok:
        code = "" if message.errcode is None else f"{message.errcode} "
        detail = f"{service.explain_record(message)} {code}{message.errmsg or ''}".strip()
    reply = {
        "id": message.id,
        "state": message.state,
        "state_label": label,
        "state_colour": colour,
        "in_progress": not settled,
        "delivery_text": detail,
        "settled_text": detail,
    }
    if message.ok:
        reply["link_url"] = url_for("chats.read_list", chatid=chatid, message_pk=message.id)
        reply["link_text"] = _("Who read it")
    return jsonify(reply)


@bp.route("/<chatid>/preview", methods=["POST"])
@login_required
def preview(chatid: str):
    form = ChatMessageForm()
    reply = preview_message(form)
    return jsonify(reply | chat_message_requests(chatid, reply["msg"]))


@bp.route("/<chatid>/messages/<int:message_pk>")
@login_required
def read_list(chatid: str, message_pk: int):
    message = db.session.get(ChatMessage, message_pk)
    if message is None or message.chatid != chatid:
        abort(404)
    status, failure = None, None
    try:
        status = service.read_status(message)
        warm_names()  # the lists show names, also before anyone built the directory snapshot
    except service.ValidationError as exc:
        failure = str(exc)
    except DingTalkError as exc:
        failure = service.explain(exc, operation="read")
    chat = service.find_chat(chatid)
    return render_template(
        "chats/read_list.html",
        chatid=chatid,
        chat_name=chat.name if chat is not None else None,
        message=message,
        status=status,
        failure=failure,
    )


def _attach_errors(form, exc: service.ValidationError) -> None:
    """Put the service's rule violations next to the matching fields."""
    for field, message in exc.errors.items():
        target = form._fields.get(field)
        if target is not None:
            target.errors = [*target.errors, str(message)]
        else:
            form.form_errors.append(str(message))
