"""Every route and every API operation, walked for each role.

The rules live in one table (dashboard.auth.permissions); these tests walk
``app.url_map`` and the operation table, so an endpoint added later without a rule
fails here (it would be owner-only: closed, but probably not what its author meant).
"""

from __future__ import annotations

import pytest

from dashboard.api.operations import OPERATION_LIST
from dashboard.auth import permissions
from dashboard.auth.models import RANK, ROLES, upsert_user
from tests.security.conftest import sample_url

#: Requests that would change the walking client itself.
SKIPPED = {"auth.logout"}
PASSWORD = "walk-password"
#: Refused by the object, not the table: user 1 (the sample id) is an owner, whom admins
#: do not manage.
OBJECT_DENIALS = {("admin", "users.edit"), ("admin", "users.end_sessions")}


def _routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def test_every_endpoint_has_a_rule_for_every_role(isv_app):
    missing = []
    for rule, method in _routes(isv_app):
        if not permissions.has_rule(rule.endpoint, method):
            missing.append(f"{method} {rule.rule} ({rule.endpoint})")
        # every role gets an answer: a role named in the table (or public)
        assert permissions.rule_for(rule.endpoint, method).role in (*ROLES, permissions.PUBLIC)
    assert not missing, "endpoints without a rule (owner-only until named):\n" + "\n".join(missing)


def test_an_unknown_endpoint_is_owner_only():
    rule = permissions.rule_for("nobody.thought_of_this", "GET")
    assert rule is permissions.FAIL_CLOSED and rule.role == "owner"
    assert permissions.roles_allowed("nobody.thought_of_this") == ("owner",)


def test_defaults_by_area_and_method():
    assert permissions.roles_allowed("schedules.index", "GET") == ROLES
    assert permissions.roles_allowed("schedules.new", "POST") == ("sender", "admin", "owner")
    assert permissions.roles_allowed("settings.index", "GET") == ("admin", "owner")
    assert permissions.roles_allowed("api.tokens", "GET") == ("admin", "owner")
    assert permissions.roles_allowed("audit.index", "GET") == ("admin", "owner")
    assert permissions.roles_allowed("users.index", "GET") == ("admin", "owner")
    assert permissions.roles_allowed("notifications.recall", "POST") == ("sender", "admin", "owner")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_what_the_table_allows_and_gets_403_elsewhere(isv_app, role):
    upsert_user(f"walk-{role}", PASSWORD, role=role)
    client = isv_app.test_client()
    assert (
        client.post("/login", data={"username": f"walk-{role}", "password": PASSWORD}).status_code
        == 302
    )
    wrong, checked = [], 0
    for rule, method in _routes(isv_app):
        if rule.endpoint in SKIPPED:
            continue
        table_rule = permissions.rule_for(rule.endpoint, method)
        if table_rule.role == permissions.PUBLIC:
            continue
        url = sample_url(isv_app, rule)
        try:
            status = client.open(url, method=method).status_code
        except Exception:  # noqa: BLE001 - a view's own failure is not this test's subject
            status = 500  # the request got past the permission check
        allowed = RANK[role] >= RANK[table_rule.role]
        allowed = allowed and (role, rule.endpoint) not in OBJECT_DENIALS
        if allowed == (status == 403):
            wrong.append(f"{role} {method} {url} ({rule.endpoint}): {status}")
        checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked > 30


def test_every_api_operation_has_a_role():
    for op in OPERATION_LIST:
        assert permissions.operation_role(op) in ROLES, op.name
    assert (
        permissions.operation_role(next(o for o in OPERATION_LIST if o.name == "auditList"))
        == "admin"
    )


@pytest.mark.parametrize("role", ROLES)
def test_each_operation_answers_403_exactly_when_the_token_role_is_below_it(app, client, role):
    from dashboard.api.auth import create_token

    raw = create_token(name=f"walk-{role}", role=role, created_by="admin")[1]
    wrong = []
    for op in OPERATION_LIST:
        response = client.post(
            f"/api/dingtalkserve/{op.name}", json={}, headers={"Authorization": f"Bearer {raw}"}
        )
        allowed = RANK[role] >= RANK[permissions.operation_role(op)]
        body = response.get_json()
        if allowed == (response.status_code == 403) or body["success"] is not (
            response.status_code < 300
        ):
            wrong.append(f"{role} {op.name}: {response.status_code} {body}")
    assert not wrong, "\n".join(wrong)
