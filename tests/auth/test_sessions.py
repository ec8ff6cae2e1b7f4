"""Sessions end on every device when the password, role or scope changes or the account is
disabled (remember-me cookies too), and after the idle timeout (a controlled clock)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from dashboard.auth import sessions
from dashboard.auth.models import find_user, upsert_user
from dashboard.extensions import db
from tests.auth.conftest import PASSWORD


def signed_in(app, remember: bool = False):
    client = app.test_client()
    data = {"username": "hr", "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def is_signed_in(client) -> bool:
    response = client.get("/notifications/")
    return response.status_code == 200


def without_session(client):
    """The same browser after it was closed: only the remember-me cookie is left."""
    client.delete_cookie("session")
    return client


@pytest.fixture
def hr(app):
    upsert_user("hr", PASSWORD, role="sender")
    return find_user("hr")


@pytest.mark.parametrize(
    "change",
    [
        lambda owner, user: owner.post(f"/accounts/{user.id}", data={"username": "hr", "role": "viewer"}),
        lambda owner, user: owner.post(f"/accounts/{user.id}", data={"username": "hr", "role": "sender", "dept_scope": "4"}),
        lambda owner, user: owner.post(f"/accounts/{user.id}", data={"username": "hr", "role": "sender", "password": "a-new-password"}),
        lambda owner, user: owner.post(f"/accounts/{user.id}", data={"username": "hr", "role": "sender", "disabled": "y"}),
        lambda owner, user: owner.post(f"/accounts/{user.id}/end-sessions"),
    ],
    ids=["role", "scope", "password", "disabled", "sign-out-everywhere"],
)  # fmt: skip
def test_a_change_ends_every_session_of_the_person(app, auth, client, hr, change):
    laptop, phone = signed_in(app), signed_in(app, remember=True)
    assert is_signed_in(laptop) and is_signed_in(phone)
    auth.login()
    assert change(client, hr).status_code == 302
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert not is_signed_in(without_session(phone))  # the remember-me cookie is dead too
    assert is_signed_in(client)  # the owner who made the change stays


def test_an_unrelated_edit_keeps_the_sessions(app, auth, client, hr):
    laptop = signed_in(app)
    auth.login()
    client.post(
        f"/accounts/{hr.id}", data={"username": "hr", "role": "sender", "dingtalk_userid": "u0002"}
    )
    assert is_signed_in(laptop)


def test_the_cli_ends_sessions_too(app, hr, runner):
    laptop = signed_in(app)
    assert runner.invoke(args=["users", "add", "hr", "--role", "admin"]).exit_code == 0
    assert not is_signed_in(laptop)
    assert runner.invoke(args=["users", "disable", "hr"]).exit_code == 0
    response = app.test_client().post("/login", data={"username": "hr", "password": PASSWORD})
    assert response.status_code == 200 and "此账号已停用" in response.get_data(as_text=True)


def test_remember_me_survives_a_closed_browser_without_changes(app, hr):
    phone = signed_in(app, remember=True)
    assert is_signed_in(without_session(phone))


def test_idle_timeout(app, hr, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(sessions, "clock", lambda: now[0])
    app.config["SESSION_IDLE_MINUTES"] = 30
    client = signed_in(app)
    now[0] += 29 * 60
    assert is_signed_in(client)  # activity restarts the clock
    now[0] += 29 * 60
    assert is_signed_in(client)
    now[0] += 31 * 60
    response = client.get("/notifications/")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert "长时间无操作" in page
    from dashboard.audit.models import AuditEvent

    [event] = db.session.execute(db.select(AuditEvent).filter_by(action="signout")).scalars()
    assert event.detail == {"reason": "idle"} and event.actor == "hr"


def test_no_idle_timeout_when_set_to_zero(app, hr, monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(sessions, "clock", lambda: now[0])
    app.config["SESSION_IDLE_MINUTES"] = 0
    client = signed_in(app)
    now[0] += 10 * 24 * 3600
    assert is_signed_in(client)


def test_a_session_id_of_another_shape_is_no_session(app):
    from dashboard.auth.models import load_session_user

    assert load_session_user("1") is None and load_session_user("x:1") is None
    assert load_session_user("１:1") is None  # non-ASCII digits
