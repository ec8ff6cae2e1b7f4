"""Honest pages: green only when people got it, what a recall leaves, plurals."""

from __future__ import annotations

import pytest

from dashboard.extensions import db
from dashboard.notifications.models import Send
from dashboard.notifications.results import outcome


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def send(client, userids: str, nonce: str) -> str:
    """Send a text notice despite any warning; the detail page's URL."""
    data = {"msgtype": "text", "msg": "请提交日报", "userid_list": userids, "nonce": nonce}
    data.update(confirm="y", send_anyway="1")
    reply = client.post("/notifications/new", data=data)
    assert reply.status_code == 302, reply.get_data(as_text=True)
    return reply.headers["Location"]


def the_send() -> Send:
    return db.session.execute(db.select(Send)).scalar_one()


def test_a_send_that_reached_nobody_is_a_failure(signed_in, sandbox):
    url = send(signed_in, "ghost-1,ghost-2", "n1")
    sandbox.advance(600)
    page = signed_in.get(url).get_data(as_text=True)
    assert the_send().state == "failed"
    assert 'data-status="state">失败' in page
    assert 'id="reach-alert"' in page and "没有人收到" in page
    history = signed_in.get("/notifications/").get_data(as_text=True)
    assert "text-bg-danger" in history and "text-bg-success" not in history


def test_a_send_that_reached_some_is_a_warning(signed_in, sandbox):
    url = send(signed_in, "u0001,ghost-1", "n2")
    sandbox.advance(600)
    page = signed_in.get(url).get_data(as_text=True)
    assert the_send().state == "partial"
    assert "text-bg-warning" in page and "2 名接收人中只有 1 名收到" in page


def test_a_send_that_reached_everyone_is_green(signed_in, sandbox):
    url = send(signed_in, "u0001,u0002", "n3")
    sandbox.advance(600)
    signed_in.get(url)
    assert the_send().state == "completed"


def test_after_a_recall_the_page_still_shows_who_had_received_and_read_it(signed_in, sandbox):
    url = send(signed_in, "u0001,u0002,u0003", "n4")
    sandbox.advance(24 * 3600 - 60)  # everyone had time to read, still within the window
    signed_in.post(url + "/recall")
    page = signed_in.get(url).get_data(as_text=True)
    assert the_send().state == "recalled"
    assert 'id="recalled-note"' in page
    before = outcome(the_send())
    assert len(before.read) + len(before.unread) == 3 and before.read
    assert f'data-count="read">已读: {len(before.read)}' in page


def test_english_plurals(signed_in, sandbox):
    signed_in.post("/lang/en", data={"next": "/"})
    send(signed_in, "u0001", "n5")
    history = signed_in.get("/notifications/").get_data(as_text=True)
    assert "1 user, 0 departments" in history
    assert "1 users" not in history


def test_the_api_send_status_says_a_send_reached_nobody(app, client, sandbox):
    from dashboard.api.auth import create_token

    headers = {
        "Authorization": f"Bearer {create_token(name='ui', scope='send', created_by='admin')[1]}"
    }
    app.config["DINGTALK_USERID_BATCH"] = 1  # two batches: answered 202 with the send's id
    body = {"userid_list": ["ghost-1", "ghost-2"], "msg": "x"}
    reply = client.post("/api/dingtalkserve/asyncsend_v2", json=body, headers=headers)
    send_id = reply.get_json()["data"]["send_id"]
    sandbox.advance(600)
    status = client.post(
        "/api/dingtalkserve/sendStatus", json={"send_id": send_id}, headers=headers
    ).get_json()["data"]
    assert status["state"] == "failed"


def test_demo_avatars_come_from_the_sandbox_not_an_outside_host(signed_in, sandbox):
    import re

    import requests

    page = signed_in.get("/users/u0001").get_data(as_text=True)
    (src,) = re.findall(r'<img src="([^"]+)"[^>]*data-avatar', page)
    assert src.startswith(sandbox.base_url + "/_sandbox/avatar/")
    reply = requests.get(src, timeout=5)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("image/svg+xml")
