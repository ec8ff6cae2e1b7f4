"""No redirect built from user input leaves the site (next=, the language switch, the
company switcher). Browsers read ``/\\evil.com`` and ``/\\t/evil.com`` as
``//evil.com``, so a "starts with one slash" check is not enough.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

OFF_SITE = [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/ /evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "  //evil.example",
    "/%5Cevil.example",
]


def stays_on_site(location: str) -> bool:
    """What a browser would do: tabs/newlines dropped, backslashes read as slashes."""
    cleaned = "".join(c for c in location if c not in "\t\n\r").strip().replace("\\", "/")
    parts = urlsplit(cleaned)
    return not parts.scheme and not parts.netloc and cleaned.startswith("/")


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_sends_you_off_site(app, client, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "admin", "password": "admin-password"},
    )
    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_language_switch_never_sends_you_off_site(client, target):
    response = client.post("/lang/en", data={"next": target})
    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_company_switcher_never_sends_you_off_site(isv_app, target):
    client = isv_app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-password"})
    response = client.post("/isv/select", data={"corpid": "dingisvcorpa", "next": target})
    assert response.status_code == 302
    assert stays_on_site(response.headers["Location"]), response.headers["Location"]


@pytest.mark.parametrize(
    "target", ["/notifications/", "/departments/2?page=2", "/org/?q=%E5%BC%A0"]
)
def test_same_site_targets_are_still_followed(client, target):
    response = client.post("/lang/en", data={"next": target})
    assert response.headers["Location"] == target
    signed_in = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "admin", "password": "admin-password"},
    )
    assert signed_in.headers["Location"] == target
