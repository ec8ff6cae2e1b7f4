"""DingTalk's errmsg text is vendor data: a hostile one never reaches a page as markup
(flashes, failure panels, history)."""

from __future__ import annotations

HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"
ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def assert_escaped(page: str) -> None:
    assert "<script>alert" not in page
    assert "<img src=x" not in page


def test_hostile_errmsg_of_a_refused_send_is_escaped(client, auth, sandbox):
    auth.login()
    sandbox.inject("errcode", count=1, path=ASYNCSEND, errcode=40035, errmsg=HOSTILE)
    page = client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "hi", "userid_list": "u0001", "nonce": "x1"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert_escaped(page)
    assert_escaped(client.get("/notifications/").get_data(as_text=True))


def test_hostile_errmsg_of_a_chat_failure_is_escaped(client, auth, sandbox):
    auth.login()
    sandbox.inject("errcode", count=1, path="/chat/get", errcode=40035, errmsg=HOSTILE)
    assert_escaped(client.get("/chats/chatx").get_data(as_text=True))
