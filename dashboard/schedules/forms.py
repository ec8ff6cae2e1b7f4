"""The schedule's edit form: the composer's recipients and message, and when to send."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField

from dashboard.notifications.forms import ComposeForm
from dashboard.schedules.fields import LATER, ScheduleFields


class ScheduleForm(ComposeForm):
    """Editing a schedule: always "later" (the composer's form already has the when-fields)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.when.data = LATER


class ScheduleActionForm(FlaskForm):
    """Pause, resume, run now, delete: a CSRF-protected button."""

    submit = SubmitField()


__all__ = ["ScheduleActionForm", "ScheduleFields", "ScheduleForm"]


def msg_form_values(msg: dict) -> dict:
    """The composer's message fields for a saved msg (the inverse of ``build_msg``), to edit it."""
    t = msg.get("msgtype") or "text"
    body = msg.get(t) or {}
    values: dict = {"msgtype": t}
    if t == "text":
        values["msg"] = body.get("content", "")
    elif t == "markdown":
        values |= {"markdown_title": body.get("title", ""), "markdown_text": body.get("text", "")}
    elif t == "link":
        values |= {
            "link_message_url": body.get("messageUrl", ""),
            "link_pic_url": body.get("picUrl", ""),
            "link_title": body.get("title", ""),
            "link_text": body.get("text", ""),
        }
    elif t == "action_card":
        values |= {"card_title": body.get("title", ""), "card_markdown": body.get("markdown", "")}
        if body.get("btn_json_list"):
            values |= {
                "card_style": "buttons",
                "card_btn_orientation": str(body.get("btn_orientation") or "0"),
                "card_buttons": "\n".join(
                    f"{b.get('title', '')} | {b.get('action_url', '')}"
                    for b in body["btn_json_list"]
                ),
            }
        else:
            values |= {
                "card_single_title": body.get("single_title", ""),
                "card_single_url": body.get("single_url", ""),
            }
    elif t == "oa":
        head, status = body.get("head") or {}, body.get("status_bar") or {}
        content = body.get("body") or {}
        rich = content.get("rich") or {}
        values |= {
            "oa_message_url": body.get("message_url", ""),
            "oa_pc_message_url": body.get("pc_message_url", ""),
            "oa_head_bgcolor": head.get("bgcolor", ""),
            "oa_head_text": head.get("text", ""),
            "oa_status_value": status.get("status_value", ""),
            "oa_status_bg": status.get("status_bg", ""),
            "oa_title": content.get("title", ""),
            "oa_content": content.get("content", ""),
            "oa_form": "\n".join(
                f"{row.get('key', '')} {row.get('value', '')}".strip()
                for row in content.get("form") or []
            ),
            "oa_rich_num": rich.get("num", ""),
            "oa_rich_unit": rich.get("unit", ""),
            "oa_image": content.get("image", ""),
            "oa_file_count": str(content.get("file_count", "")),
            "oa_author": content.get("author", ""),
        }
    elif t in ("image", "file", "voice"):
        values["media_id"] = body.get("media_id", "")
        if t == "voice":
            values["voice_duration"] = str(body.get("duration", ""))
    return values
