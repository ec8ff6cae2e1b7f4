"""DingTalk's OAuth2 sign-in on the sandbox: the login page, userAccessToken, users/me.

The flow (docs/auth.md):

1. ``GET /oauth2/auth?client_id=<app key>&redirect_uri=...&response_type=code&scope=openid
   &state=...&prompt=consent`` (login.dingtalk.com): here a page lists the demo people; the
   one chosen "scans" and consents, and the browser goes to
   ``redirect_uri?authCode=<code>&state=<state>`` (a code lives 5 minutes, used once).
2. ``POST /v1.0/oauth2/userAccessToken`` ``{clientId, clientSecret, code, grantType:
   "authorization_code"}`` -> ``{accessToken, refreshToken, expireIn, corpId}``.
3. ``GET /v1.0/contact/users/me`` with ``x-acs-dingtalk-access-token: <user token>``
   -> ``{nick, unionId, openId, avatarUrl, stateCode, ...}``; the console maps the unionId
   to the userid through the classic contacts API.

Codes that are unknown, used or expired are 400 ``invalidAuthCode`` (unverified: the code
DingTalk gives; a setting of the console does not depend on it).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template_string, request

from dashboard.sandbox.routing import get_state
from dashboard.sandbox.v1.errors import INVALID_AUTHENTICATION, V1Error, bad_request
from dashboard.sandbox.v1.routing import V1Call, v1_route

bp = Blueprint("sandbox_v1_oauth", __name__)
PAGE_PREFIXES = ("/oauth2/auth",)

CODE_SECONDS = 300
TOKEN_SECONDS = 7200
INVALID_CODE = "invalidAuthCode"


@dataclass
class OAuthState:
    codes: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # code -> app, user
    tokens: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> userid, expiry


_CURRENT: list = [None, None]  # [marker, OAuthState]


def oauth_state(marker) -> OAuthState:
    """The sign-in state of the sandbox state (started over when the sandbox is reset)."""
    if _CURRENT[0] is not marker:
        _CURRENT[0], _CURRENT[1] = marker, OAuthState()
    return _CURRENT[1]


PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>钉钉登录 · sandbox</title></head><body style="font-family:sans-serif;max-width:40em;margin:2em auto">
<h1>钉钉 · 登录 (sandbox)</h1>
{% if error %}<p id="oauth-error" style="color:#b00">{{ error }}</p>{% else %}
<p>应用 <code>{{ client_id }}</code> 请求获取你的个人信息（{{ scope }}）。选择一位演示用户并同意授权：</p>
<form method="post" id="oauth-consent">
  {% for k, v in hidden.items() %}<input type="hidden" name="{{ k }}" value="{{ v }}">{% endfor %}
  <select name="userid" id="oauth-user">
  {% for u in people %}<option value="{{ u.userid }}">{{ u.name }} ({{ u.userid }})</option>{% endfor %}
  </select>
  <button type="submit" id="oauth-agree">同意</button>
</form>{% endif %}
</body></html>"""


def _known_client(state, client_id: str) -> bool:
    settings = state.settings
    keys = {settings.app_key, getattr(settings, "suite_key", None)}
    return bool(client_id) and client_id in keys


@bp.route("/oauth2/auth", methods=["GET", "POST"])
def login_page():
    """The DingTalk login page for the sandbox's demo people."""
    state = get_state()
    args = request.values
    client_id = args.get("client_id", "")
    redirect_uri = args.get("redirect_uri", "")
    error = None
    if not _known_client(state, client_id):
        error = "client_id 无效"
    elif not redirect_uri.startswith(("http://", "https://")):
        error = "redirect_uri 无效"
    elif args.get("response_type") != "code":
        error = "response_type 必须为 code"
    elif "openid" not in (args.get("scope") or "").split():
        error = "scope 必须包含 openid"
    if error:
        return render_template_string(PAGE, error=error), 400
    company = state.company_of(None)
    if request.method == "POST":
        userid = request.form.get("userid", "")
        if userid not in company.users:
            return render_template_string(PAGE, error="用户不存在"), 400
        code = secrets.token_hex(16)
        with state.lock:
            oauth_state(state.calls).codes[code] = (client_id, userid, state.clock.now())
        query = {"authCode": code, "state": args.get("state", "")}
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(redirect_uri + separator + urlencode(query))
    people = sorted(company.users.values(), key=lambda u: u.userid)
    hidden = {k: args.get(k, "") for k in ("client_id", "redirect_uri", "response_type",
                                            "scope", "state", "prompt")}  # fmt: skip
    return render_template_string(
        PAGE, error=None, client_id=client_id, scope=args.get("scope"), people=people,
        hidden=hidden,
    )  # fmt: skip


@v1_route(bp, "/v1.0/oauth2/userAccessToken", "POST", needs_token=False, quota_exempt=True)
def user_access_token(call: V1Call) -> dict[str, Any]:
    client_id = call.string("clientId", required=True)
    client_secret = call.string("clientSecret", required=True)
    grant = call.string("grantType", required=True)
    settings = call.settings
    if client_id != settings.app_key or client_secret != settings.app_secret:
        raise bad_request("invalidClientIdOrSecret", "无效的clientId或者clientSecret")
    if grant != "authorization_code":
        raise bad_request("invalidGrantType", "grantType不合法")
    code = call.string("code", required=True)
    oauth = oauth_state(call.state.calls)
    entry = oauth.codes.pop(code, None)  # used once
    if entry is None or entry[0] != client_id or call.now - entry[2] > CODE_SECONDS:
        raise bad_request(INVALID_CODE, "不合法的临时授权码")
    token = secrets.token_hex(16)
    oauth.tokens[token] = (entry[1], call.now + TOKEN_SECONDS)
    return {
        "accessToken": token,
        "refreshToken": secrets.token_hex(16),
        "expireIn": TOKEN_SECONDS,
        "corpId": settings.corp_id,
    }


@v1_route(bp, "/v1.0/contact/users/me", "GET", needs_token=False, quota_exempt=True)
def users_me(call: V1Call) -> dict[str, Any]:
    entry = oauth_state(call.state.calls).tokens.get(call.token)
    if entry is None or call.now > entry[1]:
        raise V1Error(401, INVALID_AUTHENTICATION)
    user = call.company.users.get(entry[0])
    if user is None:
        raise V1Error(401, INVALID_AUTHENTICATION)
    return {
        "nick": user.name,
        "unionId": user.unionid,
        "openId": "open" + user.unionid,
        "avatarUrl": "",
        "stateCode": "86",
    }
