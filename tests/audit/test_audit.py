"""An audit row for each action, the page (filters, paging, CSV), auditList, append-only."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from dashboard.audit import record
from dashboard.audit.models import AppendOnly, AuditEvent
from dashboard.auth.models import find_user, upsert_user, utcnow
from dashboard.extensions import db
from dashboard.notifications.models import Send
from tests.auth.conftest import sign_in


def events(action: str | None = None) -> list[AuditEvent]:
    query = db.select(AuditEvent).order_by(AuditEvent.id)
    if action:
        query = query.filter_by(action=action)
    return list(db.session.execute(query).scalars())


def compose(client, **fields):
    data = {"msgtype": "text", "msg": "审计测试", "userid_list": "u0001"}
    data.update(fields)
    return client.post("/notifications/new", data=data)


def test_sign_in_success_failure_and_sign_out(app, client, auth):
    auth.login("admin", "wrong-password")
    auth.login("nobody", "whatever")
    auth.login()
    auth.logout()
    failures = events("signin.failure")
    assert [(e.actor, e.actor_kind, e.outcome) for e in failures] == [
        ("admin", "anonymous", "failure"),
        ("nobody", "anonymous", "failure"),
    ]
    [success] = events("signin.success")
    assert success.actor == "admin" and success.actor_kind == "user" and success.role == "owner"
    assert success.ip == "127.0.0.1" and success.object_id == str(find_user("admin").id)
    [signout] = events("signout")
    assert signout.actor == "admin"


def test_locked_out_after_too_many_attempts(app, client):
    for _ in range(21):
        response = client.post("/login", data={"username": "admin", "password": "guess"})
    assert response.status_code == 429
    [locked] = events("signin.locked")
    assert locked.actor == "admin" and locked.outcome == "denied"


def test_send_cancel_recall_and_the_time_zone(app, client, auth, sandbox):
    auth.login()
    assert compose(client).status_code == 302
    send = db.session.execute(db.select(Send)).scalar_one()
    client.post(f"/notifications/{send.id}/cancel")
    client.post(f"/notifications/{send.id}/recall")
    actions = [
        (e.action, e.object_type, e.object_id) for e in events() if e.action.startswith("send.")
    ]
    assert actions == [
        ("send.create", "send", str(send.id)),
        ("send.cancel", "send", str(send.id)),
        ("send.recall", "send", str(send.id)),
    ]
    row = events("send.create")[0].as_dict()
    assert row["at"].endswith("+08:00")  # Asia/Shanghai


def test_a_form_shown_again_is_no_send(app, client, auth, sandbox):
    auth.login()
    assert compose(client, msg="").status_code in (200, 400)
    assert events("send.create") == []


def test_tokens_created_and_revoked(app, client, auth):
    auth.login()
    client.post("/api/tokens", data={"name": "报表", "role": "viewer"})
    [created] = events("token.create")
    client.post(f"/api/tokens/{created.object_id}/revoke")
    [revoked] = events("token.revoke")
    assert revoked.object_type == "token" and revoked.object_id == created.object_id


def test_user_role_and_scope_changes(app, client, auth):
    auth.login()
    client.post(
        "/accounts/new", data={"username": "li", "role": "viewer", "password": "long-enough"}
    )
    li = find_user("li")
    client.post(f"/accounts/{li.id}", data={"username": "li", "role": "sender", "dept_scope": "4"})
    client.post(
        f"/accounts/{li.id}",
        data={"username": "li", "role": "sender", "dept_scope": "4", "disabled": "y"},
    )
    client.post(f"/accounts/{li.id}", data={"username": "li", "role": "sender", "dept_scope": "4", "disabled": "y",
                                      "password": "another-one"})  # fmt: skip
    assert [e.action for e in events() if e.action.startswith("user.")] == [
        "user.create", "user.update", "user.disable", "user.password",
    ]  # fmt: skip
    update = events("user.update")[0]
    assert update.detail["changes"] == {"role": ["viewer", "sender"], "dept_scope": [None, [4]]}


def test_forbidden_attempts_of_pages_and_the_api(app, client, make_token):
    upsert_user("v", "role-password", role="viewer")
    viewer = sign_in(app, "v")
    assert viewer.get("/audit/").status_code == 403
    raw = make_token("viewer")
    reply = client.post(
        "/api/dingtalkserve/auditList", json={}, headers={"Authorization": f"Bearer {raw}"}
    )
    assert reply.status_code == 403 and reply.get_json()["success"] is False
    forbidden = events("forbidden")
    assert [(e.actor, e.actor_kind, e.object_id) for e in forbidden] == [
        ("v", "user", "audit.index"),
        ("viewer-token", "token", "api.dingtalkserve"),
    ]


def test_an_api_send_is_recorded_with_its_token(app, client, make_token, sandbox):
    raw = make_token("sender")
    reply = client.post(
        "/api/dingtalkserve/asyncsend_v2",
        json={"userid_list": "u0001", "msg": "hi"},
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert reply.status_code == 200
    [event] = events("api.asyncsend_v2")
    assert event.actor == "sender-token" and event.actor_kind == "token" and event.role == "sender"
    # reads are not recorded
    client.post("/api/dingtalkserve/getOrgUserCount", json={"onlyActive": 1},
                headers={"Authorization": f"Bearer {raw}"})  # fmt: skip
    assert not [e for e in events() if e.action == "api.getOrgUserCount"]


def test_company_switch(isv_app, sandbox):
    from dashboard.sandbox.isv import DEMO_CORP_A

    client = isv_app.test_client()
    client.post("/login", data={"username": "admin", "password": "admin-password"})
    client.post("/isv/select", data={"corpid": DEMO_CORP_A})
    [switch] = events("company.switch")
    assert switch.object_type == "company" and switch.object_id == DEMO_CORP_A


def test_append_only(app):
    event = record("settings.change", object_type="setting", object_id="x")
    event.action = "nothing happened"
    with pytest.raises(AppendOnly):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(AppendOnly):
        db.session.delete(db.session.get(AuditEvent, event.id))
        db.session.commit()
    db.session.rollback()


def test_nothing_edits_or_deletes_the_log(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("audit.")]
    assert all(r.methods <= {"GET", "HEAD", "OPTIONS"} for r in rules)
    from dashboard.api.operations import OPERATION_LIST

    assert [op.name for op in OPERATION_LIST if "audit" in op.name.lower()] == ["auditList"]


# --- reading it ------------------------------------------------------------------------------


@pytest.fixture
def many(app):
    now = utcnow()
    for n in range(120):
        db.session.add(
            AuditEvent(at=now - timedelta(hours=n), actor_kind="user", actor=f"user{n % 3}",
                       action="send.create" if n % 2 else "token.create", outcome="success",
                       object_type="send", object_id=str(n), ip="10.0.0.1")
        )  # fmt: skip
    db.session.commit()


def test_page_filters_and_paging(app, client, auth, many):
    auth.login()
    page = client.get("/audit/").get_data(as_text=True)
    assert "共 121 条记录" in page  # and the sign-in of this test
    assert "1 / 3" in page and "page=2" in page
    page = client.get("/audit/", query_string={"actor": "user1", "action": "send."}).get_data(
        as_text=True
    )
    assert "共 20 条记录" in page
    page = client.get("/audit/", query_string={"object": "send:7"}).get_data(as_text=True)
    assert "共 1 条记录" in page
    bad = client.get("/audit/", query_string={"from": "yesterday"})
    assert bad.status_code == 200 and "2024-05-31" in bad.get_data(as_text=True)


def test_date_range_is_in_shanghai(app, client, auth):
    from datetime import datetime

    db.session.add(AuditEvent(at=datetime(2026, 1, 1, 17, 0), actor_kind="user", actor="x",
                              action="send.create", outcome="success"))  # fmt: skip
    db.session.commit()
    auth.login()
    # 2026-01-01 17:00 UTC is 2026-01-02 01:00 in Shanghai
    assert "共 1 条记录" in client.get("/audit/?from=2026-01-02&to=2026-01-02").get_data(
        as_text=True
    )
    assert "共 0 条记录" in client.get("/audit/?from=2026-01-01&to=2026-01-01").get_data(
        as_text=True
    )


def test_csv_export(app, client, auth, many):
    db.session.add(AuditEvent(at=utcnow(), actor_kind="user", actor="=cmd|calc", action="forbidden",
                              outcome="denied"))  # fmt: skip
    db.session.commit()
    auth.login()
    response = client.get("/audit/export.csv", query_string={"action": "send."})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:6] == ["id", "at", "actor_kind", "actor", "role", "action"]
    assert len(rows) == 61 and {r[5] for r in rows[1:]} == {"send.create"}
    everything = client.get("/audit/export.csv").get_data(as_text=True)
    assert "'=cmd|calc" in everything  # no formula


def test_audit_list_for_admins(app, client, make_token, many):
    raw = make_token("admin")
    reply = client.post(
        "/api/dingtalkserve/auditList",
        json={"action": "token.", "pageSize": 10, "page": 2},
        headers={"Authorization": f"Bearer {raw}"},
    )
    body = reply.get_json()
    assert reply.status_code == 200 and body["success"] is True
    assert body["data"]["total"] == 60 and len(body["data"]["events"]) == 10
    assert body["data"]["events"][0]["at"].endswith("+08:00")
    bad = client.post("/api/dingtalkserve/auditList", json={"from": "x"},
                      headers={"Authorization": f"Bearer {raw}"})  # fmt: skip
    assert bad.status_code == 400 and bad.get_json()["success"] is False
