"""The demo company is deterministic and shaped for the tests that rely on it."""

from __future__ import annotations

import dataclasses

from dashboard.sandbox.demo import build_company, loose_map


def test_same_company_every_time():
    first, second = build_company(), build_company()
    assert [dataclasses.asdict(u) for u in first.users.values()] == [
        dataclasses.asdict(u) for u in second.users.values()
    ]


def test_shape():
    company = build_company()
    assert len(company.departments) == 15
    assert len(company.users) == 150
    assert {d.id for d in company.departments.values() if d.parentid is None} == {1}
    depth = max(len(company.ancestors(d)) for d in company.departments)
    assert depth == 3
    assert len(company.members(5)) > 100
    assert sum(1 for u in company.users.values() if not u.active) == 2
    assert sum(1 for u in company.users.values() if len(u.departments) > 1) > 3
    assert len({u.name for u in company.users.values()}) == 150
    assert len({u.unionid for u in company.users.values()}) == 150
    assert all(u.userid.startswith(("u0", "manager", "boss")) for u in company.users.values())


def test_loose_map_syntax():
    assert loose_map({1: 10, 2: 20}) == "{1:10,2:20}"
    assert loose_map({1: True, 2: False}) == "{1:true,2:false}"
