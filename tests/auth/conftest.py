"""People of each role, signed in on their own test clients, and tokens of each role."""

from __future__ import annotations

import pytest

from dashboard.auth.models import ROLES, upsert_user
from dashboard.sandbox.demo import build_company

COMPANY = build_company()
MARKETING = 4  # 市场部, with its sub-department 品牌组 (15)
BRAND = 15
PASSWORD = "role-password"


def inside_marketing() -> list[str]:
    return sorted(u.userid for u in COMPANY.members_deep(MARKETING))


def outside_marketing() -> list[str]:
    inside = set(inside_marketing())
    return sorted(u for u in COMPANY.users if u not in inside)


def sign_in(app, username: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return client


@pytest.fixture
def as_role(app):
    """A function: a client signed in as a new user of `role` (and department `scope`)."""

    def make(role: str, scope=None, name: str | None = None):
        name = name or f"{role}-{'-'.join(map(str, scope or ())) or 'all'}"
        upsert_user(name, PASSWORD, role=role, dept_scope=scope)
        return sign_in(app, name)

    return make


@pytest.fixture
def role_clients(as_role):
    return {role: as_role(role) for role in ROLES}
