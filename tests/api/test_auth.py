"""Bearer tokens, scopes, the automation token, CSRF exemption and the per-token rate limit."""

from __future__ import annotations

import re

import pytest

from dashboard.api.auth import create_token, rate_limit_key
from dashboard.api.models import ApiToken, hash_token
from dashboard.extensions import db

SENDING = ("asyncsend_v2", "createChat", "chatSend")


def test_no_token_is_a_401_with_www_authenticate(client, sandbox):
    response = client.post("/api/dingtalkserve/authScopes", json={})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["success"] is False
    assert sandbox.stats()["total"] == 0


@pytest.mark.parametrize(
    "header", ["Bearer wrong-token", "Basic YWRtaW46YWRtaW4=", "Bearer ", "dtk_x"]
)
def test_a_wrong_token_is_a_401(client, sandbox, send_token, header):
    response = client.post(
        "/api/dingtalkserve/authScopes", json={}, headers={"Authorization": header}
    )
    assert response.status_code == 401


def test_a_signed_in_browser_session_is_not_an_api_token(client, auth, sandbox):
    auth.login()
    assert client.post("/api/dingtalkserve/authScopes", json={}).status_code == 401


def test_a_revoked_token_is_a_401(api, sandbox, send_token):
    assert api("authScopes").status_code == 200
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    token.revoked_at = token.created_at
    db.session.commit()
    assert api("authScopes").status_code == 401


@pytest.mark.parametrize("operation", SENDING)
def test_a_read_only_token_cannot_send(api, sandbox, read_token, operation):
    response = api(operation, {"userid_list": "u0002", "msg": "hi"}, token=read_token)
    assert response.status_code == 403
    assert response.get_json()["success"] is False
    assert sandbox.stats()["total"] == 0


def test_a_read_only_token_can_read(api, sandbox, read_token):
    assert api("get_org_user_count", {"onlyActive": 1}, token=read_token).status_code == 200


def test_the_automation_token_has_full_scope(app, api, sandbox):
    app.config["DASHBOARD_API_TOKEN"] = "automation-token-123456"
    response = api(
        "asyncsend_v2", {"userid_list": "u0002", "msg": "自动化"}, token="automation-token-123456"
    )
    assert response.status_code == 200
    assert api("authScopes", token="automation-token-12345").status_code == 401


def test_tokens_are_stored_hashed_and_last_use_is_recorded(api, sandbox, send_token):
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.token_hash == hash_token(send_token) and send_token not in token.token_hash
    assert token.last_used_at is None
    api("authScopes")
    db.session.refresh(token)
    assert token.last_used_at is not None


def test_the_api_is_exempt_from_csrf_and_only_it(app, client, auth, sandbox, send_token):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post(
        "/api/dingtalkserve/authScopes", json={}, headers={"Authorization": f"Bearer {send_token}"}
    )
    assert response.status_code == 200
    app.config["WTF_CSRF_ENABLED"] = False
    auth.login()
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/api/tokens", data={"name": "x", "scope": "read"}).status_code == 400
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert client.post(f"/api/tokens/{token.id}/revoke").status_code == 400
    assert db.session.execute(db.select(ApiToken).filter_by(name="x")).scalar_one_or_none() is None


def test_the_rate_limit_is_per_token_with_retry_after(app, api, sandbox, send_token, read_token):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    app.config["DIRECTORY_DETAIL_TTL"] = 0  # every read reaches DingTalk: the count below tells
    for _ in range(3):
        assert api("authScopes").status_code == 200
    response = api("authScopes")
    assert response.status_code == 429
    assert response.get_json()["success"] is False
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert sandbox.stats()["calls"]["/auth/scopes"] == 3
    assert api("authScopes", token=read_token).status_code == 200


def test_the_rate_limit_key_never_holds_the_raw_token(app, send_token):
    with app.test_request_context(headers={"Authorization": f"Bearer {send_token}"}):
        key = rate_limit_key()
    assert send_token not in key and key == f"token:{hash_token(send_token)[:16]}"


# --- the token pages -----------------------------------------------------------------------


def test_token_pages_need_a_signed_in_admin(app, client, auth, sandbox):
    assert client.get("/api/tokens").status_code == 302
    from dashboard.auth.models import upsert_user

    upsert_user("viewer", "viewer-password", is_admin=False)
    auth.login("viewer", "viewer-password")
    assert client.get("/api/tokens").status_code == 403
    assert client.post("/api/tokens", data={"name": "x", "scope": "send"}).status_code == 403


def test_create_shows_the_token_once_and_it_works(client, auth, sandbox):
    auth.login()
    response = client.post("/api/tokens", data={"name": "报表脚本", "scope": "read"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1)
    token = db.session.execute(db.select(ApiToken)).scalar_one()
    assert token.name == "报表脚本" and token.scope == "read" and token.created_by == "admin"
    assert token.token_hash == hash_token(raw)

    listing = client.get("/api/tokens").get_data(as_text=True)
    assert "报表脚本" in listing and raw not in listing
    call = client.post(
        "/api/dingtalkserve/authScopes", json={}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert call.status_code == 200


def test_create_without_a_name_shows_the_error(client, auth, sandbox):
    auth.login()
    response = client.post("/api/tokens", data={"name": "", "scope": "read"})
    assert response.status_code == 400
    assert "请为令牌命名" in response.get_data(as_text=True)
    assert db.session.execute(db.select(ApiToken)).first() is None


def test_revoke_stops_the_token(client, auth, api, sandbox):
    token, raw = create_token(name="old-script", scope="send", created_by="admin")
    auth.login()
    response = client.post(f"/api/tokens/{token.id}/revoke", follow_redirects=True)
    assert "old-script" in response.get_data(as_text=True)
    assert api("authScopes", token=raw).status_code == 401
    assert client.post("/api/tokens/9999/revoke").status_code == 404
