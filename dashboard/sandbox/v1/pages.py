"""The sandbox's own page for the v1.0 host (/_sandbox/v1/) and its JSON control endpoints.

A demo user reads a robot message or presses a card button here; the press is called
back to the console's registered route (§6.4). Everything is also JSON for tests:

| endpoint | effect |
|---|---|
| `GET /_sandbox/v1/` | the page: robot messages with who read them, cards with their buttons |
| `GET /_sandbox/v1/state` | messages, cards (with presses), routes (no secrets), codes, stream outbox |
| `POST /_sandbox/v1/read` `{key, userId}` | the user reads the message now (sandbox clock) |
| `POST /_sandbox/v1/press` `{outTrackId, userId, action}` | press a button; the callback's outcome |
| `GET /_sandbox/v1/groups` | every group chat: chatid, openConversationId, name, robots |
| `POST /_sandbox/v1/robot_groups` `{openConversationId, robotCode?, member}` | robot in or out of a group |
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import Blueprint, jsonify, redirect, render_template_string, request, url_for

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.v1.cards import actions_of, press_card
from dashboard.sandbox.v1.state import Card, RobotMessage, v1_state

bp = Blueprint("sandbox_v1_pages", __name__, url_prefix="/_sandbox/v1")


def _form() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else request.form.to_dict()


def _wants_json() -> bool:
    return request.is_json


def message_view(state, message: RobotMessage) -> dict[str, Any]:
    settings = state.settings
    now = state.clock.now()
    company = state.company_of(message.app_id)
    readers = []
    for userid in message.recipients:
        when = message.read_time(userid, settings)
        user = company.users.get(userid)
        readers.append(
            {
                "userId": userid,
                "name": user.name if user else userid,
                "read": when is not None and when <= now,
                "readAt": int(when * 1000) if when is not None and when <= now else None,
            }
        )
    return {
        "processQueryKey": message.key,
        "kind": message.kind,
        "robotCode": message.robot_code,
        "openConversationId": message.open_conversation_id,
        "msgKey": message.msg_key,
        "msgParam": message.msg_param,
        "sentAt": int(message.sent_at * 1000),
        "recalled": message.recalled_at is not None,
        "recipients": readers,
    }


def card_view(state, card: Card) -> dict[str, Any]:
    company = state.company_of(card.app_id)
    return {
        "outTrackId": card.out_track_id,
        "cardTemplateId": card.template_id,
        "cardParamMap": card.card_data,
        "privateData": card.private_data,
        "callbackType": card.callback_type,
        "callbackRouteKey": card.callback_route_key,
        "userIdType": card.user_id_type,
        "deliverResults": card.spaces,
        "recipients": [
            {"userId": u, "name": company.users[u].name if u in company.users else u}
            for u in card.recipients
        ],
        "actions": [{"id": a, "label": label} for a, label in actions_of(card.template_id)],
        "updates": card.updates,
        "presses": [dataclasses.asdict(p) for p in card.presses],
    }


@bp.get("/state")
def state_json():
    state = get_state()
    with state.lock:
        v1 = v1_state(state)
        return jsonify(
            {
                "messages": [message_view(state, m) for m in v1.messages.values()],
                "cards": [card_view(state, c) for c in v1.cards.values()],
                "routes": [
                    {
                        "appId": app_id,
                        "callbackRouteKey": r.route_key,
                        "callbackUrl": r.url,
                        "hasApiSecret": bool(r.api_secret),
                    }
                    for (app_id, _), r in v1.routes.items()
                ],
                "robotGroups": {cid: sorted(codes) for cid, codes in v1.robot_groups.items()},
                "codes": dict(v1.codes),
                "streamOutbox": list(v1.stream_outbox),
            }
        )


@bp.post("/read")
def read_view():
    """A demo user reads a robot message (or the card it carries) now."""
    form = _form()
    state = get_state()
    with state.lock:
        v1 = v1_state(state)
        message = v1.messages.get(str(form.get("key", "")))
        userid = str(form.get("userId", ""))
        if message is None or userid not in message.recipients:
            return _refuse("unknown message or the user is not a recipient")
        message.reads.setdefault(userid, state.clock.now())
        result = message_view(state, message)
    if _wants_json():
        return jsonify(result)
    return redirect(url_for(".page", done=f"{userid} 已读 / read"))


@bp.post("/press")
def press_view():
    """A demo user presses a card button; the press is called back to the console."""
    form = _form()
    state = get_state()
    with state.lock:
        v1 = v1_state(state)
        try:
            press = press_card(
                state,
                v1,
                str(form.get("outTrackId", "")),
                str(form.get("userId", "")),
                str(form.get("action", "")),
            )
        except KeyError:
            return _refuse("unknown card", 404)
        except ValueError as exc:
            return _refuse(str(exc))
        result = dataclasses.asdict(press)
    if _wants_json():
        return jsonify(result)
    outcome = press.error or (f"HTTP {press.status}" if press.status else press.delivery)
    return redirect(url_for(".page", done=f"{press.user_id} → {press.action}: {outcome}"))


@bp.get("/groups")
def groups_json():
    """Every group chat with its openConversationId and the robots in it."""
    state = get_state()
    with state.lock:
        v1 = v1_state(state)
        return jsonify(
            [
                {
                    "chatid": c.chatid,
                    "openConversationId": c.open_conversation_id,
                    "name": c.name,
                    "members": len(c.members),
                    "robots": sorted(v1.robot_groups.get(c.open_conversation_id, ())),
                }
                for c in state.chats.values()
            ]
        )


@bp.post("/robot_groups")
def robot_groups_view():
    form = _form()
    state = get_state()
    with state.lock:
        v1 = v1_state(state)
        cid = str(form.get("openConversationId", ""))
        if not any(c.open_conversation_id == cid for c in state.chats.values()):
            return _refuse("unknown openConversationId", 404)
        code = str(form.get("robotCode") or state.settings.app_key)
        member = form.get("member", True) not in (False, "false", "0")
        if member:
            v1.robot_groups[cid].add(code)
        else:
            v1.robot_groups[cid].discard(code)
        robots = sorted(v1.robot_groups[cid])
    if _wants_json():
        return jsonify({"ok": True, "robots": robots})
    return redirect(
        url_for(
            ".page", done="机器人已入群 / robot added" if member else "机器人已移出 / robot removed"
        )
    )


def _refuse(message: str, status: int = 400):
    return jsonify({"ok": False, "error": message}), status


@bp.get("/")
def page():
    state = get_state()
    with state.lock:
        v1 = v1_state(state)
        messages = [message_view(state, m) for m in reversed(list(v1.messages.values()))]
        cards = [card_view(state, c) for c in reversed(list(v1.cards.values()))]
        groups = {c.open_conversation_id: c.name for c in state.chats.values()}
        app_key = state.settings.app_key
        chats = [
            {
                "cid": c.open_conversation_id,
                "name": c.name,
                "members": len(c.members),
                "robot": app_key in v1.robot_groups.get(c.open_conversation_id, ()),
            }
            for c in state.chats.values()
            if c.status == 1
        ]
    return render_template_string(
        PAGE,
        messages=messages,
        cards=cards,
        groups=groups,
        chats=chats,
        done=request.args.get("done", ""),
    )


PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>钉钉沙箱 · 机器人与卡片 / DingTalk sandbox · robot and cards</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:70rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.en{color:#777;font-size:.9em}.done{background:#e6f4ea;padding:.5rem}
form{display:inline}
</style></head><body>
<h1>钉钉沙箱：机器人消息与互动卡片 <span class="en">DingTalk sandbox: robot messages and cards</span></h1>
{% if done %}<p class="done" role="status">{{ done }}</p>{% endif %}
<h2>互动卡片 <span class="en">Interactive cards</span></h2>
{% if not cards %}<p>还没有卡片 <span class="en">No cards yet</span></p>{% endif %}
{% for card in cards %}
<section class="card" data-out-track-id="{{ card.outTrackId }}">
<h3>{{ card.outTrackId }} <span class="en">{{ card.cardTemplateId }} · {{ card.callbackType }}</span></h3>
<p>{% for k, v in card.cardParamMap.items() %}<code>{{ k }}</code> = {{ v }}{% if not loop.last %}; {% endif %}{% endfor %}</p>
<table><tr><th>成员 <span class="en">Member</span></th><th>按钮 <span class="en">Buttons</span></th></tr>
{% for person in card.recipients %}
<tr><td>{{ person.name }} <span class="en">{{ person.userId }}</span></td><td>
{% for action in card.actions %}
<form method="post" action="{{ url_for(".press_view") }}">
<input type="hidden" name="outTrackId" value="{{ card.outTrackId }}">
<input type="hidden" name="userId" value="{{ person.userId }}">
<input type="hidden" name="action" value="{{ action.id }}">
<button type="submit" data-user="{{ person.userId }}" data-action="{{ action.id }}">{{ action.label }}</button>
</form>{% endfor %}</td></tr>
{% endfor %}</table>
{% if card.presses %}<p>已按 <span class="en">Presses</span>:
{% for p in card.presses %}{{ p.user_id }} → {{ p.action }} ({{ p.error or p.status or p.delivery }}){% if not loop.last %}, {% endif %}{% endfor %}</p>{% endif %}
</section>
{% endfor %}
<h2>机器人消息 <span class="en">Robot messages</span></h2>
{% if not messages %}<p>还没有消息 <span class="en">No messages yet</span></p>{% endif %}
{% for m in messages %}
<section class="message" data-key="{{ m.processQueryKey }}">
<h3>{{ m.msgKey }} · {{ "单聊 / 1:1" if m.kind == "oto" else "群 / group " ~ groups.get(m.openConversationId, "") }}
{% if m.recalled %}<span class="en">已撤回 / recalled</span>{% endif %}</h3>
<p>{{ m.msgParam.get("title") or m.msgParam.get("content") or m.msgParam.get("text") or "" }}</p>
<table><tr><th>成员 <span class="en">Member</span></th><th>状态 <span class="en">State</span></th></tr>
{% for r in m.recipients %}
<tr><td>{{ r.name }} <span class="en">{{ r.userId }}</span></td><td>
{% if r.read %}已读 <span class="en">read</span>{% else %}未读 <span class="en">unread</span>
<form method="post" action="{{ url_for('.read_view') }}">
<input type="hidden" name="key" value="{{ m.processQueryKey }}">
<input type="hidden" name="userId" value="{{ r.userId }}">
<button type="submit" data-user="{{ r.userId }}">阅读 <span class="en">Read it</span></button>
</form>{% endif %}</td></tr>
{% endfor %}</table>
</section>
{% endfor %}
<h2>群与机器人 <span class="en">Groups and the app's robot</span></h2>
<table><tr><th>群 <span class="en">Group</span></th><th>人数 <span class="en">Members</span></th><th>机器人 <span class="en">Robot</span></th></tr>
{% for chat in chats %}
<tr class="group" data-cid="{{ chat.cid }}"><td>{{ chat.name }} <span class="en">{{ chat.cid }}</span></td><td>{{ chat.members }}</td><td>
<form method="post" action="{{ url_for('.robot_groups_view') }}">
<input type="hidden" name="openConversationId" value="{{ chat.cid }}">
<input type="hidden" name="member" value="{{ "false" if chat.robot else "true" }}">
{% if chat.robot %}在群中 <span class="en">in the group</span> <button type="submit">移出 <span class="en">Remove</span></button>
{% else %}<button type="submit">加入 <span class="en">Add</span></button>{% endif %}
</form></td></tr>
{% endfor %}</table>
</body></html>
"""
