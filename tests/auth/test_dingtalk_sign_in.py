"""Sign in with DingTalk on the sandbox: the login page, userAccessToken, users/me, the
unionId mapped to the userid, the console account and its role."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from dashboard.audit.models import AuditEvent
from dashboard.auth.models import find_user, upsert_user
from dashboard.extensions import db


@pytest.fixture
def oauth_app(app, sandbox):
    app.config.update(DINGTALK_OAUTH_ENABLED=True, DINGTALK_LOGIN_BASE=sandbox.base_url)
    return app


def dingtalk_round_trip(client, userid: str, *, next_url: str | None = None):
    """The console's redirect, the sandbox page's consent, and back to the callback."""
    start = client.get("/login/dingtalk", query_string={"next": next_url} if next_url else {})
    assert start.status_code == 302
    authorize = start.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert urlsplit(authorize).path == "/oauth2/auth"
    assert query["response_type"] == ["code"] and query["scope"] == ["openid"]
    assert query["prompt"] == ["consent"] and query["state"][0]
    page = requests.get(authorize, timeout=5)
    assert page.status_code == 200 and 'id="oauth-consent"' in page.text
    consent = requests.post(authorize, data={**{k: v[0] for k, v in query.items()}, "userid": userid},
                            allow_redirects=False, timeout=5)  # fmt: skip
    assert consent.status_code == 302
    back = urlsplit(consent.headers["Location"])
    assert back.path == "/login/dingtalk/callback"
    return client.get(back.path, query_string=back.query)


def test_a_console_user_signs_in_with_dingtalk_with_their_role(oauth_app, client, sandbox):
    upsert_user("hr-wang", "role-password", role="sender")
    user = find_user("hr-wang")
    user.dingtalk_userid = "u0003"
    db.session.commit()
    response = dingtalk_round_trip(client, "u0003", next_url="/notifications/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/notifications/")
    assert "hr-wang" in client.get("/notifications/").get_data(as_text=True)
    [event] = db.session.execute(db.select(AuditEvent).filter_by(action="signin.success")).scalars()
    assert event.actor == "hr-wang" and event.detail == {"method": "dingtalk"}
    calls = sandbox.stats()["calls"]
    assert calls["/v1.0/oauth2/userAccessToken"] == 1 and calls["/v1.0/contact/users/me"] == 1


def test_someone_without_an_account_is_refused(oauth_app, client, sandbox):
    response = dingtalk_round_trip(client, "u0004")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    assert "没有此控制台的账号" in client.get("/login").get_data(as_text=True)
    assert client.get("/notifications/").status_code == 302
    [event] = db.session.execute(db.select(AuditEvent).filter_by(action="signin.failure")).scalars()
    assert event.detail["reason"] == "no account"


def test_dingtalk_admins_get_in_when_the_setting_allows(oauth_app, client, sandbox):
    oauth_app.config["DINGTALK_OAUTH_ADMINS_ROLE"] = "viewer"
    assert dingtalk_round_trip(client, "boss01").status_code == 302
    user = find_user("dingtalk:boss01")
    assert user is not None and user.role == "viewer"
    other = oauth_app.test_client()
    response = dingtalk_round_trip(other, "u0004")  # not an admin
    assert urlsplit(response.headers["Location"]).path == "/login"


def test_a_forged_state_or_a_reused_code_is_refused(oauth_app, client, sandbox):
    upsert_user("u0005", "role-password", role="viewer")  # username = userid
    start = client.get("/login/dingtalk")
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["Location"]).query).items()}
    consent = requests.post(start.headers["Location"], data={**query, "userid": "u0005"},
                            allow_redirects=False, timeout=5)  # fmt: skip
    back = urlsplit(consent.headers["Location"])
    forged = back.query.replace(query["state"], "forged")
    assert urlsplit(client.get(back.path, query_string=forged).headers["Location"]).path == "/login"
    # the state is used up, and a second try with the code is refused by DingTalk too
    assert (
        urlsplit(client.get(back.path, query_string=back.query).headers["Location"]).path
        == "/login"
    )
    assert client.get("/notifications/").status_code == 302


def test_the_sandbox_refuses_a_wrong_client_and_a_bad_code(sandbox):
    page = requests.get(f"{sandbox.base_url}/oauth2/auth", params={"client_id": "nope",
                        "redirect_uri": "http://x/", "response_type": "code", "scope": "openid"},
                        timeout=5)  # fmt: skip
    assert page.status_code == 400
    reply = requests.post(f"{sandbox.base_url}/v1.0/oauth2/userAccessToken", json={
        "clientId": sandbox.app_key, "clientSecret": sandbox.app_secret, "code": "nope",
        "grantType": "authorization_code"}, timeout=5)  # fmt: skip
    assert reply.status_code == 400 and reply.json()["code"] == "invalidAuthCode"
    me = requests.get(f"{sandbox.base_url}/v1.0/contact/users/me",
                      headers={"x-acs-dingtalk-access-token": "nope"}, timeout=5)  # fmt: skip
    assert me.status_code == 401


def test_off_unless_enabled(app, client):
    assert 'id="dingtalk-sign-in"' not in client.get("/login").get_data(as_text=True)
    assert urlsplit(client.get("/login/dingtalk").headers["Location"]).path == "/login"
