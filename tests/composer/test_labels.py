"""Every page names a msgtype with the composer's one label table (composer.fields)."""

from __future__ import annotations

import re

import pytest

from dashboard.chats.models import ChatMessage
from dashboard.extensions import db
from dashboard.sandbox.state import department_chat_id

VOICE = {"msgtype": "voice", "media_id": "@lATPvoice", "voice_duration": "7"}


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def badge(page: str, msgtype: str) -> str:
    """The text of the msgtype badge titled ``msgtype`` on a chat page."""
    match = re.search(rf'title="{msgtype}">([^<]*)</span>', page)
    assert match, f"no badge for {msgtype}"
    return match.group(1).strip()


def test_chat_pages_label_the_msgtype_in_chinese(signed_in):
    chatid = department_chat_id(1)
    assert signed_in.post(f"/chats/{chatid}", data=VOICE).status_code == 302
    message = db.session.execute(db.select(ChatMessage)).scalar_one()

    page = signed_in.get(f"/chats/{chatid}").get_data(as_text=True)
    assert badge(page, "voice") == "语音"
    read = signed_in.get(f"/chats/{chatid}/messages/{message.id}").get_data(as_text=True)
    assert badge(read, "voice") == "语音"


def test_notification_history_labels_the_msgtype_in_chinese(signed_in):
    form = VOICE | {"userid_list": "u0001", "nonce": "label"}
    assert signed_in.post("/notifications/new", data=form).status_code == 302
    page = signed_in.get("/notifications/").get_data(as_text=True)
    assert re.search(r'<span class="badge text-bg-light border">\s*语音\s*</span>', page)
