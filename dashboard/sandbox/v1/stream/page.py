"""The sandbox's Stream page, `GET /_sandbox/v1/stream/`: connections, the messages and their
acks, and forms that change the directory (pushing the events), drop or disconnect
connections, ping, push any event, and change the gateway's settings.

Browser journeys find the forms by `form[data-change="hire"]` (and `move`, `leave`,
`dept_create`, `dept_remove`, `chat_members`, `event`, `drop`, `disconnect`, `ping`,
`suite_ticket`, `authorise`, `config`); after a submit the page comes back with the outcome
in `[role=status]` (or `[role=alert]`).
"""

from __future__ import annotations

from flask import render_template_string, request

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.v1.stream.gateway import gateway, suite_key
from dashboard.sandbox.v1.stream.views import bp


@bp.get("/_sandbox/v1/stream/")
def stream_page():
    from dashboard.sandbox.isv import isv_state

    state = get_state()
    with state.lock:
        gw = gateway(state)
        gw.schedule(state, state.clock.now())
        view = gw.as_dict()
        departments = sorted(
            ((d.id, d.name) for d in state.company.departments.values()), key=lambda d: d[0]
        )
        chats = [(c.chatid, c.name, len(c.members)) for c in state.chats.values() if c.status == 1]
        corps = [(c.corpid, c.corp_name, c.authorised) for c in isv_state(state).corps.values()]
        keys = {"app": state.settings.app_key, "suite": suite_key(state)}
    return render_template_string(
        PAGE,
        connections=list(reversed(view["connections"])),
        messages=list(reversed(view["messages"]))[:100],
        settings=view["settings"],
        departments=departments,
        chats=chats,
        corps=corps,
        keys=keys,
        done=request.args.get("done", ""),
        error=request.args.get("error", ""),
    )


PAGE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<title>钉钉沙箱 · Stream 网关 / DingTalk sandbox · Stream gateway</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:2rem;max-width:75rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
.en{color:#777;font-size:.9em}.done{background:#e6f4ea;padding:.5rem}
.error{background:#fce8e6;padding:.5rem}
form.row{margin:.4rem 0}form.inline{display:inline}
fieldset{margin:0 0 1rem;border:1px solid #ddd}
</style></head><body>
<h1>Stream 网关 <span class="en">Stream gateway</span></h1>
<p><a href="../">机器人与卡片 <span class="en">Robot and cards</span></a> ·
AppKey <code>{{ keys.app }}</code> · SuiteKey <code>{{ keys.suite }}</code></p>
{% if done %}<p class="done" role="status">{{ done }}</p>{% endif %}
{% if error %}<p class="error" role="alert">{{ error }}</p>{% endif %}

<h2>连接 <span class="en">Connections</span></h2>
{% if not connections %}<p>没有连接 <span class="en">No connections</span></p>{% endif %}
<table>
<tr><th>连接 <span class="en">Connection</span></th><th>clientId</th><th>订阅 <span class="en">Subscriptions</span></th>
<th>状态 <span class="en">State</span></th><th>操作 <span class="en">Actions</span></th></tr>
{% for c in connections %}
<tr class="connection" data-connection-id="{{ c.connectionId }}"><td>{{ c.connectionId }}</td><td>{{ c.clientId }}</td>
<td>{% for s in c.subscriptions %}{{ s.type }} {{ s.topic }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td>
<td>{% if c.open %}在线 <span class="en">open</span>{% else %}已关闭 <span class="en">closed: {{ c.closeReason }}</span>{% endif %}
 · ping {{ c.pings|selectattr("ack")|list|length }}/{{ c.pings|length }}</td>
<td>{% if c.open %}
{% for change, label in [("drop", "断开 / Drop"), ("disconnect", "发送 disconnect / Send disconnect"), ("ping", "Ping")] %}
<form class="inline" method="post" action="{{ url_for('.stream_' ~ change) }}" data-change="{{ change }}">
<input type="hidden" name="connectionId" value="{{ c.connectionId }}">
{% if change == "drop" %}<select name="mode"><option value="close">关闭帧 / close frame</option><option value="abort">直接断 TCP / abort</option></select>{% endif %}
<button type="submit">{{ label }}</button></form>
{% endfor %}{% endif %}</td></tr>
{% endfor %}</table>

<h2>通讯录变更 <span class="en">Directory changes (each pushes its event)</span></h2>
<fieldset><legend>人员 <span class="en">People</span></legend>
<form class="row" method="post" action="{{ url_for('.directory_change', change='hire') }}" data-change="hire">
入职 <span class="en">Hire</span>: <input name="name" placeholder="姓名 / name" required>
<input name="userid" placeholder="userid (可选 / optional)">
<input name="deptIds" placeholder="部门 id / dept ids: 2,3" required>
<input name="position" placeholder="职位 / position">
<button type="submit">入职 <span class="en">Hire</span></button></form>
<form class="row" method="post" action="{{ url_for('.directory_change', change='update') }}" data-change="move">
调岗 <span class="en">Move</span>: <input name="userid" placeholder="userid" required>
<input name="deptIds" placeholder="新部门 / new dept ids: 3" required>
<button type="submit">调岗 <span class="en">Move</span></button></form>
<form class="row" method="post" action="{{ url_for('.directory_change', change='leave') }}" data-change="leave">
离职 <span class="en">Leave</span>: <input name="userid" placeholder="userid" required>
<button type="submit">离职 <span class="en">Remove</span></button></form>
</fieldset>
<fieldset><legend>部门 <span class="en">Departments</span></legend>
<form class="row" method="post" action="{{ url_for('.directory_change', change='dept_create') }}" data-change="dept_create">
新建 <span class="en">Create</span>: <input name="name" placeholder="部门名 / name" required>
<select name="parentId">{% for id, name in departments %}<option value="{{ id }}">{{ id }} {{ name }}</option>{% endfor %}</select>
<button type="submit">新建部门 <span class="en">Create</span></button></form>
<form class="row" method="post" action="{{ url_for('.directory_change', change='dept_remove') }}" data-change="dept_remove">
删除 <span class="en">Remove</span>:
<select name="deptId">{% for id, name in departments %}<option value="{{ id }}">{{ id }} {{ name }}</option>{% endfor %}</select>
<button type="submit">删除部门 <span class="en">Remove (empty only)</span></button></form>
</fieldset>
<fieldset><legend>群成员 <span class="en">Group members</span></legend>
<form class="row" method="post" action="{{ url_for('.directory_change', change='chat_members') }}" data-change="chat_members">
<select name="chatId">{% for id, name, n in chats %}<option value="{{ id }}">{{ name }} ({{ n }})</option>{% endfor %}</select>
<input name="add" placeholder="加入 / add: userid,…"> <input name="remove" placeholder="移出 / remove: userid,…">
<button type="submit">更新 <span class="en">Change</span></button></form>
</fieldset>

<h2>推送 <span class="en">Push</span></h2>
<form class="row" method="post" action="{{ url_for('.stream_event') }}" data-change="event">
事件 <span class="en">Event</span>: <input name="eventType" placeholder="eventType" required>
<input name="data" placeholder='data: {"userId":["manager01"]}' value="{}" size="40">
<input name="corpId" placeholder="corpId (可选 / optional)">
<button type="submit">推送 <span class="en">Push</span></button></form>
<form class="row" method="post" action="{{ url_for('.stream_suite_ticket') }}" data-change="suite_ticket">
<button type="submit">推送新 suite_ticket <span class="en">Push a new suite ticket</span></button></form>
{% for corpid, name, authorised in corps %}
<form class="row" method="post" action="{{ url_for('.directory_change', change='authorise') }}" data-change="authorise">
<input type="hidden" name="corpId" value="{{ corpid }}">
<input type="hidden" name="authorised" value="{{ 'false' if authorised else 'true' }}">
{{ name }} <span class="en">{{ corpid }}</span>:
<button type="submit">{% if authorised %}解除授权 <span class="en">Deauthorise</span>{% else %}授权 <span class="en">Authorise</span>{% endif %}</button></form>
{% endfor %}

<h2>消息 <span class="en">Messages (newest first)</span></h2>
<table><tr><th>#</th><th>类型 <span class="en">Type</span></th><th>eventId</th><th>状态 <span class="en">Status</span></th>
<th>投递 <span class="en">Deliveries</span></th><th>data</th></tr>
{% for m in messages %}
<tr class="message" data-event-id="{{ m.eventId }}"><td>{{ m.seq }}</td>
<td>{{ m.type }} {{ m.eventType or m.topic }}</td><td><code>{{ m.eventId }}</code></td>
<td>{{ m.status }}{% if m.error %} <span class="en">{{ m.error }}</span>{% endif %}</td>
<td>{% for d in m.deliveries %}{{ d.connectionId }}: {{ d.ack.code if d.ack else "—" }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td>
<td><code>{{ m.data|tojson }}</code></td></tr>
{% endfor %}</table>

<h2>设置 <span class="en">Settings</span></h2>
<form class="row" method="post" action="{{ url_for('.stream_config') }}" data-change="config">
<select name="name">{% for name in settings %}<option>{{ name }}</option>{% endfor %}</select>
<input name="value" placeholder="值 / value"><button type="submit">保存 <span class="en">Save</span></button></form>
<table>{% for name, value in settings.items() %}<tr><td><code>{{ name }}</code></td><td>{{ value }}</td></tr>{% endfor %}</table>
</body></html>
"""
