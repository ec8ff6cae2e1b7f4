"""Head counts include the sub-departments; direct members are shown as such."""

from __future__ import annotations

import re

import pytest

from dashboard.sandbox.demo import build_company

COMPANY = build_company()


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    client.get("/directory/search?q=zs")  # builds the snapshot the counts come from
    return client


def test_the_root_counts_the_whole_company_and_its_direct_members_apart(signed_in):
    page = signed_in.get("/departments/").get_data(as_text=True)
    root = page[page.index('data-dept-id="1"') :].split("<ul", 1)[0]
    assert f'<span class="badge text-bg-light">{len(COMPANY.users)} 人</span>' in root
    direct = len(COMPANY.members(1))
    assert re.search(rf'data-count="direct">{direct} 名直属成员<', root)


def test_a_department_page_counts_its_sub_departments(signed_in):
    page = signed_in.get("/departments/1").get_data(as_text=True)
    assert f"含下级部门共 {len(COMPANY.users)} 人" in page


def test_english_plurals_of_the_counts(signed_in):
    signed_in.post("/lang/en", data={"next": "/"})
    page = signed_in.get("/departments/1").get_data(as_text=True)
    assert f"{len(COMPANY.users)} people with the sub-departments" in page
