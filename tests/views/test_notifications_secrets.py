"""No page, JSON reply, flash message or log line of the notification flow shows a secret."""

from __future__ import annotations

import logging

from dashboard.services.dingtalk import get_client

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def test_no_secret_or_token_in_pages_flashes_or_logs(client, auth, sandbox, app, caplog):
    caplog.set_level(logging.DEBUG)
    auth.login()
    token = get_client().get_access_token()
    seen: list[str] = []

    def visit(response):
        seen.append(response.get_data(as_text=True))
        return response

    visit(client.get("/notifications/new?userid_list=u0001"))
    visit(
        client.post(
            "/notifications/preview", data={"msgtype": "text", "msg": "hi", "userid_list": "u0001"}
        )
    )
    sent = visit(client.post("/notifications/new", data={"msgtype": "text", "msg": "hi", "userid_list": "u0001", "nonce": "s1"}, follow_redirects=True))  # fmt: skip
    assert "已提交给钉钉" in sent.get_data(as_text=True)
    sandbox.inject(
        "errcode", count=1, path=ASYNCSEND, errcode=40014, errmsg=f"不合法的access_token={token}"
    )
    visit(client.post("/notifications/new", data={"msgtype": "text", "msg": "bad", "userid_list": "u0001", "nonce": "s2"}, follow_redirects=True))  # fmt: skip
    app.config["DINGTALK_TIMEOUT"] = 0.5
    app.extensions["dingtalk"]["internal"] = None
    sandbox.inject("latency", count=1, path=ASYNCSEND, seconds=1.5)
    visit(client.post("/notifications/new", data={"msgtype": "text", "msg": "slow", "userid_list": "u0001", "nonce": "s3"}, follow_redirects=True))  # fmt: skip
    sandbox.advance(60)
    visit(client.get("/notifications/1/status"))
    visit(client.get("/notifications/1"))
    visit(client.post("/notifications/1/recall", follow_redirects=True))
    visit(client.get("/notifications/"))
    logs = "\n".join(record.getMessage() for record in caplog.records)

    for text in seen + [logs]:
        assert sandbox.app_secret not in text
        assert token not in text
    preview = seen[1]
    assert "access_token=***" in preview
