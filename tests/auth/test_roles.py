"""Roles on pages: the users page, own sends, scoped senders, tokens within their creator's."""

from __future__ import annotations

import re

from dashboard.api.models import ApiToken
from dashboard.audit.models import AuditEvent
from dashboard.auth.models import User, find_user, upsert_user
from dashboard.extensions import db
from dashboard.notifications.models import Send
from tests.auth.conftest import BRAND, MARKETING, inside_marketing, outside_marketing, sign_in

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"


def text(response) -> str:
    return response.get_data(as_text=True)


def compose(client, **fields):
    data = {"msgtype": "text", "msg": "请提交周报", "userid_list": "u0001"}
    data.update(fields)
    return client.post("/notifications/new", data=data)


def asyncsend_calls(sandbox) -> int:
    return sandbox.stats()["calls"].get(ASYNCSEND, 0)


def audit(action: str) -> list[AuditEvent]:
    return list(db.session.execute(db.select(AuditEvent).filter_by(action=action)).scalars())


# --- the menus ----------------------------------------------------------------------------


def nav(response) -> str:
    page = text(response)
    return page[page.index('<ul class="navbar-nav') : page.index("</nav>")]


def test_menus_follow_the_role(as_role):
    viewer, admin = as_role("viewer"), as_role("admin")
    menu = nav(viewer.get("/notifications/"))
    assert "/notifications/new" not in menu and "/accounts/" not in menu and "/audit/" not in menu
    assert 'id="user-menu"' in menu and "查看者" in menu
    menu = nav(admin.get("/notifications/"))
    assert "/notifications/new" in menu and "/accounts/" in menu and "/audit/" in menu


def test_a_viewer_cannot_send_and_the_attempt_is_audited(as_role, sandbox):
    viewer = as_role("viewer")
    response = compose(viewer)
    assert response.status_code == 403 and "你的角色（查看者）不能执行此操作，需要发送人" in text(
        response
    )
    assert asyncsend_calls(sandbox) == 0
    [event] = audit("forbidden")
    assert event.actor == "viewer-all" and event.object_id == "notifications.compose"
    assert event.outcome == "denied" and event.ip == "127.0.0.1"


# --- own sends ------------------------------------------------------------------------------


def test_a_sender_recalls_only_their_own_sends(as_role, sandbox):
    alice, bob = as_role("sender", name="alice"), as_role("sender", name="bob")
    assert compose(alice).status_code == 302
    send = db.session.execute(db.select(Send)).scalar_one()
    assert bob.get(f"/notifications/{send.id}").status_code == 200  # follows all sends
    assert bob.post(f"/notifications/{send.id}/recall").status_code == 403
    assert bob.post(f"/notifications/{send.id}/cancel").status_code == 403
    assert alice.post(f"/notifications/{send.id}/recall").status_code == 302


# --- a sender scoped to departments ---------------------------------------------------------


def test_a_scoped_sender_is_refused_outside_before_any_dingtalk_send(as_role, sandbox):
    marketing = as_role("sender", scope=[MARKETING], name="marketing")
    outsider = outside_marketing()[0]
    inside = inside_marketing()[0]
    response = compose(marketing, userid_list=f"{inside},{outsider}")
    assert response.status_code == 403
    assert outsider in text(response) and inside not in text(response)
    assert asyncsend_calls(sandbox) == 0 and db.session.execute(db.select(Send)).first() is None
    [refused] = audit("send.refused")
    assert refused.actor == "marketing" and outsider in refused.detail["message"]

    assert compose(marketing, userid_list=inside, dept_id_list="1").status_code == 403
    assert (
        compose(
            marketing, userid_list="", to_all_user="y", confirm="y", confirm_audience="all"
        ).status_code
        == 403
    )
    assert asyncsend_calls(sandbox) == 0

    # inside: the department, its sub-department, its people
    response = compose(marketing, userid_list=inside, dept_id_list=f"{MARKETING},{BRAND}")
    assert response.status_code == 302 and asyncsend_calls(sandbox) == 1


def test_a_scoped_sender_sees_only_their_sends(as_role, app, sandbox):
    owner = sign_in(app, "admin", "admin-password")
    assert compose(owner, userid_list=outside_marketing()[0], msg="全员的").status_code == 302
    marketing = as_role("sender", scope=[MARKETING], name="marketing")
    assert compose(marketing, userid_list=inside_marketing()[0], msg="市场的").status_code == 302
    sends = {s.msg["text"]["content"]: s for s in db.session.execute(db.select(Send)).scalars()}
    page = text(marketing.get("/notifications/"))
    assert f"/notifications/{sends['市场的'].id}" in page
    assert f"/notifications/{sends['全员的'].id}" not in page
    assert marketing.get(f"/notifications/{sends['全员的'].id}").status_code == 403
    assert marketing.get(f"/notifications/{sends['市场的'].id}").status_code == 200


def test_a_scoped_token_is_refused_outside_with_the_names(client, make_token, sandbox):
    raw = make_token("sender", scope=[MARKETING])
    response = client.post(
        "/api/dingtalkserve/asyncsend_v2",
        json={"userid_list": outside_marketing()[0], "msg": "hi"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 403
    body = response.get_json()
    assert body["success"] is False and outside_marketing()[0] in body["msg"]
    assert asyncsend_calls(sandbox) == 0


# --- API tokens within their creator's ------------------------------------------------------


def test_a_token_cannot_exceed_its_creator(as_role, sandbox):
    admin = as_role("admin", name="it-admin")
    response = admin.post("/api/tokens", data={"name": "too much", "role": "owner"})
    assert response.status_code == 400 and "不能" in text(response)
    response = admin.post("/api/tokens", data={"name": "fine", "role": "admin"})
    assert response.status_code == 200
    token = db.session.execute(db.select(ApiToken).filter_by(name="fine")).scalar_one()
    assert token.role == "admin" and token.created_by == "it-admin"
    [created] = audit("token.create")
    assert created.object_id == str(token.id) and created.detail["role"] == "admin"


def test_a_scoped_creator_makes_tokens_only_within_their_departments(app, sandbox):
    upsert_user("scoped-admin", "role-password", role="admin", dept_scope=[MARKETING])
    client = sign_in(app, "scoped-admin")
    wider = client.post("/api/tokens", data={"name": "wide", "role": "sender", "dept_scope": "5"})
    assert wider.status_code == 400
    narrower = client.post(
        "/api/tokens", data={"name": "brand", "role": "sender", "dept_scope": str(BRAND)}
    )
    assert narrower.status_code == 200
    unscoped = client.post("/api/tokens", data={"name": "same", "role": "sender"})
    assert unscoped.status_code == 200
    tokens = {t.name: t for t in db.session.execute(db.select(ApiToken)).scalars()}
    assert tokens["brand"].dept_scope == [BRAND]
    assert tokens["same"].dept_scope == [MARKETING]  # empty means "as wide as mine"


def test_the_legacy_scope_field_still_makes_read_and_send_tokens(client, auth):
    auth.login()
    client.post("/api/tokens", data={"name": "r", "scope": "read"})
    client.post("/api/tokens", data={"name": "s", "scope": "send"})
    tokens = {t.name: t for t in db.session.execute(db.select(ApiToken)).scalars()}
    assert (tokens["r"].role, tokens["r"].scope) == ("viewer", "read")
    assert (tokens["s"].role, tokens["s"].scope) == ("sender", "send")


def test_the_environment_token_is_an_owners(make_isv_app, sandbox):
    from dashboard.sandbox.isv import DEMO_CORP_A

    app = make_isv_app(DEMO_CORP_A, DASHBOARD_API_TOKEN="env-token-for-tests")
    response = app.test_client().post(
        "/api/dingtalkserve/auditList",
        json={},
        headers={"Authorization": "Bearer env-token-for-tests"},
    )
    assert response.status_code == 200 and response.get_json()["success"] is True


# --- the users page ----------------------------------------------------------------------------


def test_admins_add_people_but_never_owners(as_role, sandbox):
    admin = as_role("admin", name="it")
    page = text(admin.get("/accounts/new"))
    assert 'value="owner"' not in page and 'value="admin"' in page
    response = admin.post(
        "/accounts/new",
        data={"username": "hr-li", "role": "sender", "dept_scope": "6，4",
              "password": "long-enough", "dingtalk_userid": "u0007"},
    )  # fmt: skip
    assert response.status_code == 302
    user = find_user("hr-li")
    assert (user.role, user.dept_scope, user.dingtalk_userid) == ("sender", [4, 6], "u0007")
    assert audit("user.create")[0].object_id == str(user.id)

    refused = admin.post(
        "/accounts/new", data={"username": "boss", "role": "owner", "password": "long-enough"}
    )
    assert refused.status_code == 400 and find_user("boss") is None
    owner = find_user("admin")
    assert admin.get(f"/accounts/{owner.id}").status_code == 403
    bad = admin.post(
        "/accounts/new",
        data={"username": "x", "role": "viewer", "dept_scope": "市场", "password": "long-enough"},
    )
    assert bad.status_code == 400 and "部门" in text(bad)


def test_the_last_owner_stays_an_owner(app, sandbox):
    owner = sign_in(app, "admin", "admin-password")
    me = find_user("admin")
    response = owner.post(f"/accounts/{me.id}", data={"username": "admin", "role": "admin"})
    assert response.status_code == 400 and find_user("admin").role == "owner"


def test_users_page_lists_roles_and_scopes(as_role, sandbox):
    upsert_user("mk", "role-password", role="sender", dept_scope=[MARKETING])
    page = text(as_role("owner").get("/accounts/"))
    assert re.search(r'data-username="mk".*?发送人.*?市场部', page, re.S)
    assert as_role("sender").get("/accounts/").status_code == 403


# --- the command line -----------------------------------------------------------------------------


def test_cli_creates_or_updates_role_scope_password(app, runner):
    result = runner.invoke(args=["users", "add", "hr", "--role", "sender", "--dept", "4",
                                 "--dept", "15", "--password", "first-password"])  # fmt: skip
    assert result.exit_code == 0, result.output
    user = find_user("hr")
    assert (user.role, user.dept_scope) == ("sender", [4, 15]) and user.check_password(
        "first-password"
    )
    version = user.session_version
    result = runner.invoke(args=["users", "add", "hr", "--role", "admin"])
    assert result.exit_code == 0 and "updated" in result.output
    db.session.expire_all()
    user = find_user("hr")
    assert (
        user.role == "admin"
        and user.dept_scope == [4, 15]
        and user.check_password("first-password")
    )
    assert user.session_version == version + 1
    result = runner.invoke(
        args=["users", "add", "hr", "--whole-company", "--password", "second-password"]
    )
    db.session.expire_all()
    user = find_user("hr")
    assert user.dept_scope is None and user.check_password("second-password")
    assert (
        runner.invoke(
            args=["users", "add", "x", "--role", "king", "--password", "long-enough"]
        ).exit_code
        != 0
    )
    assert runner.invoke(args=["users", "add", "y", "--password", "short"]).exit_code != 0
    listing = runner.invoke(args=["users", "list"]).output
    assert "hr\tadmin" in listing and "admin\towner" in listing


def test_the_environment_admin_is_an_owner(sandbox, tmp_path):
    from tests.conftest import dashboard_config, running_dashboard

    config = dashboard_config(sandbox, tmp_path, DASHBOARD_ADMIN_USERNAME="root",
                              DASHBOARD_ADMIN_PASSWORD="root-password")  # fmt: skip
    with running_dashboard(config) as app:
        from dashboard.auth.commands import ensure_admin_from_env

        with app.app_context():
            ensure_admin_from_env()
            assert (
                db.session.execute(db.select(User).filter_by(username="root")).scalar_one().role
                == "owner"
            )
