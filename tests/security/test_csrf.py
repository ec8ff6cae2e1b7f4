"""CSRF: every HTML form POST without a token is refused (400), signed in or not.

Only the JSON API (bearer token) and DingTalk's callback (its own signature) are
exempt. The test walks ``app.url_map``, so a new POST route is covered by itself.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import csrf_token_of, sample_url

# Called by DingTalk (signed), never by a browser form: the API, the ISV and card callbacks.
CSRF_EXEMPT = {"api.dingtalkserve", "isv.callback", "cards.callback"}


@pytest.fixture
def csrf_client(isv_app):
    isv_app.config["WTF_CSRF_ENABLED"] = True
    client = isv_app.test_client()
    token = csrf_token_of(client.get("/login").get_data(as_text=True))
    signed_in = client.post(
        "/login", data={"username": "admin", "password": "admin-password", "csrf_token": token}
    )
    assert signed_in.status_code == 302
    return client


def post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint not in CSRF_EXEMPT:
            yield rule


def test_every_form_post_without_a_token_is_refused(isv_app, csrf_client):
    checked = []
    for rule in post_routes(isv_app):
        url = sample_url(isv_app, rule)
        response = csrf_client.post(url, data={"next": "/", "name": "x", "corpid": "x"})
        assert response.status_code == 400, f"POST {url} ({rule.endpoint})"
        checked.append(rule.endpoint)
    assert {"auth.logout", "main.set_language", "notifications.compose", "api.tokens"} <= set(
        checked
    )
    # still signed in: none of the refused posts did anything
    assert csrf_client.get("/").status_code == 200


def test_a_token_from_another_session_is_refused(isv_app, csrf_client):
    with isv_app.app_context():  # a context of its own: the fixture's g holds our user
        stranger = isv_app.test_client()
        foreign = csrf_token_of(stranger.get("/login").get_data(as_text=True))
    response = csrf_client.post("/logout", data={"csrf_token": foreign})
    assert response.status_code == 400


def test_the_sign_in_form_and_language_switch_need_a_token_too(isv_app):
    isv_app.config["WTF_CSRF_ENABLED"] = True
    client = isv_app.test_client()
    login = client.post("/login", data={"username": "admin", "password": "admin-password"})
    assert login.status_code == 400
    assert client.post("/lang/en", data={"next": "/login"}).status_code == 400


def test_pages_carry_the_token_their_forms_need(isv_app, csrf_client):
    """The forms the pages render really post (no page forgot its hidden field)."""
    page = csrf_client.get("/notifications/new").get_data(as_text=True)
    token = csrf_token_of(page)
    switched = csrf_client.post("/lang/en", data={"csrf_token": token, "next": "/"})
    assert switched.status_code == 302
    assert csrf_client.post("/logout", data={"csrf_token": token}).status_code == 302


def test_the_api_and_the_callback_are_exempt(isv_app, csrf_client):
    api = csrf_client.post("/api/dingtalkserve/getOrgUserCount", json={"onlyActive": 1})
    assert api.status_code == 401  # the bearer check answers, not CSRF
    callback = csrf_client.post("/isv/callback", json={"nothing": 1})
    assert callback.status_code == 400
    assert "csrf" not in callback.get_data(as_text=True).lower()
