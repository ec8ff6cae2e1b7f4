"""Every route of the console needs a signed-in user, except a short, named list.

The test walks ``app.url_map``, so a route added later without ``@login_required``
fails here instead of being found by a visitor.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.security.conftest import sample_url

# Open by design: sign-in, assets, probes, DingTalk's push, the language switch,
# the JSON API (bearer token, checked in the view) and its public OpenAPI description.
PUBLIC_ENDPOINTS = {
    "static",
    "auth.login",
    "ops.healthz",
    "ops.readyz",
    "isv.callback",
    "main.set_language",
    "api.dingtalkserve",
    "api.openapi",
}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.mark.parametrize("mode", ["internal", "isv"])
def test_every_page_but_the_public_ones_sends_a_stranger_to_sign_in(request, mode):
    app = request.getfixturevalue("app" if mode == "internal" else "isv_app")
    checked = 0
    for rule, method in _routes(app):
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        if mode == "internal" and rule.endpoint.startswith("isv."):
            continue  # no ISV pages at all outside ISV mode (404), checked in ISV mode
        url = sample_url(app, rule)
        response = app.test_client().open(url, method=method)
        where = f"{method} {url} ({rule.endpoint})"
        if response.status_code == 401:
            checked += 1
            continue
        assert response.status_code == 302, where
        assert urlsplit(response.headers["Location"]).path == "/login", where
        checked += 1
    assert checked > 30


def test_the_public_list_names_real_routes(isv_app):
    endpoints = {rule.endpoint for rule in isv_app.url_map.iter_rules()}
    assert endpoints >= PUBLIC_ENDPOINTS


def test_the_api_needs_a_bearer_token_not_a_session(client):
    response = client.post("/api/dingtalkserve/getOrgUserCount", json={"onlyActive": 1})
    assert response.status_code == 401
    assert response.get_json()["success"] is False


def test_internal_mode_hides_the_isv_pages(app):
    for rule, method in _routes(app):
        if rule.endpoint.startswith("isv.") and rule.endpoint != "isv.callback":
            response = app.test_client().open(sample_url(app, rule), method=method)
            assert response.status_code in (302, 404), rule.endpoint
