"""Session cookies and the sign-in form: flags, the rate limit, and no hint for guessers."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from dashboard.config import ROOT


def cookie_headers(response, name: str) -> list[str]:
    return [h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}=")]


def test_session_and_remember_cookies_are_http_only_and_same_site(client):
    response = client.post(
        "/login", data={"username": "admin", "password": "admin-password", "remember": "y"}
    )
    assert response.status_code == 302
    (session,) = cookie_headers(response, "session")
    (remember,) = cookie_headers(response, "remember_token")
    for header in (session, remember):
        assert "HttpOnly" in header
        assert "SameSite=Lax" in header


def test_secure_cookies_when_configured():
    """SESSION_COOKIE_SECURE=1 (HTTPS behind nginx) marks the remember cookie Secure too."""
    code = "from dashboard.config import Config as C; print(C.SESSION_COOKIE_SECURE, C.REMEMBER_COOKIE_SECURE)"
    env = {**os.environ, "SESSION_COOKIE_SECURE": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["True", "True"]


def test_sign_in_is_rate_limited_per_address(client):
    statuses = [
        client.post("/login", data={"username": "admin", "password": f"guess-{i}"}).status_code
        for i in range(25)
    ]
    assert statuses[:20] == [200] * 20  # the form again, with "wrong username or password"
    assert set(statuses[20:]) == {429}
    # even the right password waits out the limit
    right = client.post("/login", data={"username": "admin", "password": "admin-password"})
    assert right.status_code == 429


def _without_csrf_tokens(page: str) -> str:
    """The page with its CSRF tokens masked: they carry the second they were signed in,
    so two pages rendered across a second boundary differ there (and only there)."""
    return re.sub(r'(name="csrf[-_]token" (?:content|value)=")[^"]*', r"\1…", page)


def test_wrong_user_and_wrong_password_look_the_same(client):
    unknown = client.post("/login", data={"username": "nobody", "password": "x"})
    wrong = client.post("/login", data={"username": "admin", "password": "x"})
    assert unknown.status_code == wrong.status_code == 200
    assert "csrf" in wrong.get_data(as_text=True)  # the masking below has something to mask
    assert _without_csrf_tokens(unknown.get_data(as_text=True).replace("nobody", "admin")) == (
        _without_csrf_tokens(wrong.get_data(as_text=True))
    )


def test_sign_out_ends_the_session(client, auth):
    auth.login()
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_behind_a_proxy_the_limit_is_per_client_not_per_proxy(app):
    """With PROXY_FIX_X_FOR=1 (nginx), X-Forwarded-For names the client, so one
    guesser exhausting the limit does not lock every other user out."""
    from dashboard import trust_proxies

    app.config["PROXY_FIX_X_FOR"] = 1
    trust_proxies(app)
    client = app.test_client()

    def attempt(ip):
        return client.post(
            "/login",
            data={"username": "admin", "password": "guess"},
            headers={"X-Forwarded-For": ip},
        ).status_code

    assert [attempt("203.0.113.7") for _ in range(21)][-1] == 429
    assert attempt("198.51.100.9") == 200
