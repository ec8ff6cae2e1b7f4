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

    def visit(response, *, lands_on: str | None = None):
        """Keep the page; it must be a 200 (after the one redirect of a form post)."""
        assert response.status_code == 200, (response.request.path, response.status_code)
        if lands_on is not None:
            assert [r.status_code for r in response.history] == [302]
            assert response.request.path == lands_on
        seen.append(response.get_data(as_text=True))
        return response

    def send(text: str, nonce: str, lands_on: str):
        data = {"msgtype": "text", "msg": text, "userid_list": "u0001", "nonce": nonce}
        return visit(
            client.post("/notifications/new", data=data, follow_redirects=True), lands_on=lands_on
        )

    visit(client.get("/notifications/new?userid_list=u0001"))
    visit(
        client.post(
            "/notifications/preview", data={"msgtype": "text", "msg": "hi", "userid_list": "u0001"}
        )
    )
    sent = send("hi", "s1", "/notifications/1")
    assert "已提交给钉钉" in sent.get_data(as_text=True)
    sandbox.inject(
        "errcode", count=1, path=ASYNCSEND, errcode=40014, errmsg=f"不合法的access_token={token}"
    )
    send("bad", "s2", "/notifications/2")
    app.config["DINGTALK_TIMEOUT"] = 0.5
    app.extensions["dingtalk"]["internal"] = None
    sandbox.inject("latency", count=1, path=ASYNCSEND, seconds=1.5)
    send("slow", "s3", "/notifications/3")
    sandbox.advance(60)
    visit(client.get("/notifications/1/status"))
    visit(client.get("/notifications/1"))
    visit(
        client.post("/notifications/1/recall", follow_redirects=True), lands_on="/notifications/1"
    )
    visit(client.get("/notifications/"))
    logs = "\n".join(record.getMessage() for record in caplog.records)

    assert len(seen) == 9
    for text in seen + [logs]:
        assert sandbox.app_secret not in text
        assert token not in text
    preview = seen[1]
    assert "access_token=***" in preview
