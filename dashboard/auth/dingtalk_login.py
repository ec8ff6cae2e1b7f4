"""Sign in with DingTalk (OAuth2): the login page of DingTalk, the user access token, the
person's profile, their userid in the company, and their console account (docs/auth.md).

Only people who are users of the console (matched by their DingTalk userid, else by a
username equal to it) get in, with their role; with DINGTALK_OAUTH_ADMINS_ROLE set, the
company's DingTalk admins get in too (an account is made for them with that role).
"""

from __future__ import annotations

import logging
import secrets

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _

from dashboard.audit import record
from dashboard.auth import bp
from dashboard.auth.models import ROLES, User
from dashboard.dingtalk.errors import DingTalkError
from dashboard.dingtalk.v1.oauth import OAuthAPI, authorize_url
from dashboard.extensions import db, limiter
from dashboard.redirects import safe_next

log = logging.getLogger("dashboard.auth")
STATE_KEY = "_dingtalk_oauth"


def _enabled() -> bool:
    cfg = current_app.config
    return bool(cfg.get("DINGTALK_OAUTH_ENABLED") and cfg.get("DINGTALK_APP_KEY"))


def _refuse(message: str, reason: str, **detail):
    record("signin.failure", object_type="user", outcome="failure", actor=detail.pop("who", "-"),
           actor_kind="anonymous", detail={"method": "dingtalk", "reason": reason, **detail})  # fmt: skip
    flash(message, "error")
    return redirect(url_for("auth.login"))


@bp.route("/login/dingtalk")
@limiter.limit("20 per minute")
def dingtalk_login():
    """Off to DingTalk's login page, with a one-time state bound to this session."""
    if not _enabled():
        flash(_("Signing in with DingTalk is not enabled on this server."), "error")
        return redirect(url_for("auth.login"))
    state = secrets.token_urlsafe(24)
    session[STATE_KEY] = {"state": state, "next": safe_next(request.args.get("next"))}
    url = authorize_url(
        current_app.config["DINGTALK_LOGIN_BASE"],
        client_id=current_app.config["DINGTALK_APP_KEY"],
        redirect_uri=url_for("auth.dingtalk_callback", _external=True),
        state=state,
    )
    return redirect(url)


@bp.route("/login/dingtalk/callback")
@limiter.limit("20 per minute")
def dingtalk_callback():
    from dashboard.auth.views import complete_sign_in
    from dashboard.services.dingtalk import get_client, get_v1_client

    if not _enabled():
        return redirect(url_for("auth.login"))
    expected = session.pop(STATE_KEY, None) or {}
    code = request.args.get("authCode") or request.args.get("code")
    if not expected or not secrets.compare_digest(
        str(request.args.get("state", "")), str(expected.get("state", ""))
    ):
        return _refuse(_("The DingTalk sign-in expired or did not start here. Please try again."),
                       "state")  # fmt: skip
    if not code:
        return _refuse(_("DingTalk did not sign you in (no authorisation code)."), "no code")
    cfg = current_app.config
    try:
        oauth = OAuthAPI(get_v1_client())
        token = oauth.user_access_token(cfg["DINGTALK_APP_KEY"], cfg["DINGTALK_APP_SECRET"], code)
        me = oauth.current_user(token["accessToken"])
        found = get_client().users.get_userid_by_unionid(me["unionId"])
        userid = found.get("userid") or (found.get("result") or {}).get("userid")
    except (DingTalkError, KeyError, TypeError, ValueError) as exc:
        log.info("DingTalk sign-in failed: %s", exc.__class__.__name__)
        return _refuse(_("DingTalk did not confirm who you are: %(error)s", error=str(exc)),
                       "dingtalk", error=exc.__class__.__name__)  # fmt: skip
    if not userid:
        return _refuse(_("You are not in this company's directory."), "not in company",
                       who=me.get("nick", "-"))  # fmt: skip
    user = _account_of(userid)
    if user is None:
        return _refuse(_("%(name)s has no account on this console; ask an admin.",
                         name=me.get("nick") or userid), "no account", who=userid)  # fmt: skip
    if user.disabled:
        return _refuse(_("This account is disabled; ask an admin."), "disabled", who=user.username)
    return complete_sign_in(user, remember=False, method="dingtalk", next_url=expected.get("next"))


def _account_of(userid: str) -> User | None:
    user = db.session.execute(
        db.select(User).filter_by(dingtalk_userid=userid)
    ).scalar_one_or_none()
    if user is None:
        user = db.session.execute(
            db.select(User).filter_by(username=userid, dingtalk_userid=None)
        ).scalar_one_or_none()
    if user is not None:
        return user
    role = current_app.config.get("DINGTALK_OAUTH_ADMINS_ROLE")
    if role not in ROLES:
        return None
    from dashboard.services.dingtalk import get_client

    try:
        detail = get_client().users.get_user(userid)
    except DingTalkError:
        return None
    if not (detail.get("isAdmin") or detail.get("admin")):
        return None
    user = User(username=f"dingtalk:{userid}"[:80], role=role, dingtalk_userid=userid)
    user.set_password(secrets.token_urlsafe(32))  # no password sign-in for this account
    db.session.add(user)
    db.session.commit()
    record("user.create", object_type="user", object_id=user.id,
           detail={"username": user.username, "role": role, "via": "dingtalk admin"})  # fmt: skip
    return user
