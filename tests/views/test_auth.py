"""Sign-in: every page but /login and static files needs a signed-in user."""

import re

import pytest

from dashboard.auth.models import User
from dashboard.extensions import db

PROTECTED = ["/", "/notifications/new", "/notifications/", "/org/", "/departments/", "/chats/"]


@pytest.mark.parametrize("path", PROTECTED)
def test_pages_redirect_to_login_when_signed_out(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_page_and_static_files_are_public(client):
    assert client.get("/login").status_code == 200
    assert client.get("/static/vendor/bootstrap/bootstrap.min.css").status_code == 200
    assert client.get("/healthz").status_code == 200


def test_login_with_right_password_then_logout(client, auth):
    response = auth.login()
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, auth):
    response = auth.login(password="nope")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_passwords_are_stored_hashed(app):
    user = db.session.execute(db.select(User).filter_by(username="admin")).scalar_one()
    assert "admin-password" not in user.password_hash
    assert user.check_password("admin-password")


def test_open_redirect_after_login_is_refused(client):
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "admin", "password": "admin-password"}
    )
    assert response.headers["Location"] == "/"


def test_ui_is_chinese_by_default_and_english_on_request(client, auth):
    auth.login()
    assert "发送工作通知" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    assert "Send a work notification" in client.get("/").get_data(as_text=True)


def test_cli_adds_a_user(runner, app):
    result = runner.invoke(args=["users", "add", "alice", "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    user = db.session.execute(db.select(User).filter_by(username="alice")).scalar_one()
    assert user.check_password("long-enough-pw")


def test_first_admin_from_environment(sandbox, tmp_path):
    from dashboard import create_app

    url = f"sqlite:///{tmp_path / 'first.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
    with app.app_context():
        db.create_all()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "x",
            "TESTING": True,
            "DASHBOARD_ADMIN_USERNAME": "boss",
            "DASHBOARD_ADMIN_PASSWORD": "from-the-env-1",
        }
    )
    with app.app_context():
        user = db.session.execute(db.select(User).filter_by(username="boss")).scalar_one()
        assert user.check_password("from-the-env-1")
        db.engine.dispose()


def test_forms_carry_a_csrf_token_and_reject_posts_without_it(sandbox, tmp_path):
    from dashboard import create_app

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'csrf.db'}",
            "SECRET_KEY": "x",
            "TESTING": True,
            "WTF_CSRF_ENABLED": True,
        }
    )
    with app.app_context():
        db.create_all()
        from dashboard.auth.models import upsert_user

        upsert_user("admin", "admin-password")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    refused = client.post("/login", data={"username": "admin", "password": "admin-password"})
    assert refused.status_code == 400
    accepted = client.post(
        "/login",
        data={"username": "admin", "password": "admin-password", "csrf_token": token.group(1)},
    )
    assert accepted.status_code == 302
    with app.app_context():
        db.engine.dispose()
