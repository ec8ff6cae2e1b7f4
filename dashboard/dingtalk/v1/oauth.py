"""DingTalk's OAuth2 sign-in ("登录第三方网站"), Flask-free: the authorisation URL, the
user access token and the signed-in person's profile (docs/auth.md).

Calls go through the v1.0 transport (``V1Transport``): the same envelope decoding and
typed errors; ``userAccessToken`` carries no app token, ``users/me`` the user's token.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from .base import V1API, JSONDict, Request

DEFAULT_LOGIN_BASE = "https://login.dingtalk.com"
AUTHORIZE_PATH = "/oauth2/auth"
USER_TOKEN_PATH = "/v1.0/oauth2/userAccessToken"
USERS_ME_PATH = "/v1.0/contact/users/me"


def authorize_url(
    login_base: str,
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    scope: str = "openid",
    prompt: str = "consent",
) -> str:
    """The login page's URL; ``client_id`` is the app key. DingTalk sends the browser back
    to ``redirect_uri?authCode=...&state=...``."""
    query = {
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "client_id": client_id,
        "scope": scope,
        "state": state,
        "prompt": prompt,
    }
    return login_base.rstrip("/") + AUTHORIZE_PATH + "?" + urlencode(query)


def user_token_request(client_id: str, client_secret: str, code: str) -> Request:
    return Request(
        "POST",
        USER_TOKEN_PATH,
        {
            "clientId": client_id,
            "clientSecret": client_secret,
            "code": code,
            "grantType": "authorization_code",
        },
    )


class OAuthAPI(V1API):
    """The sign-in calls, bound to a v1.0 transport."""

    def user_access_token(self, client_id: str, client_secret: str, code: str) -> JSONDict:
        """POST /v1.0/oauth2/userAccessToken: ``accessToken``, ``expireIn``, ``corpId``."""
        if not code:
            raise ValueError("code is required")
        return self._client.call(
            user_token_request(client_id, client_secret, code), with_token=False
        )

    def current_user(self, user_token: str) -> dict[str, Any]:
        """GET /v1.0/contact/users/me with the user's token: ``unionId``, ``nick``, ..."""
        if not user_token:
            raise ValueError("the user's access token is required")
        # One try with the user's token in the header (the transport's app-token loop
        # would refresh and retry with the app's token, which this call must not carry).
        return self._client._send_once("GET", USERS_ME_PATH, None, None, user_token, False)
