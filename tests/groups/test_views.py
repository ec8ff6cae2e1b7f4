"""Group pages with the Flask test client: save, the page of whom it reaches now, delete."""

from __future__ import annotations

import pytest

from dashboard.directory.snapshot import refresh_snapshot
from dashboard.extensions import db
from dashboard.groups.models import RecipientGroup


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def test_create_show_edit_delete(signed_in, sandbox, directory):
    reply = signed_in.post("/groups/new", data={"name": "测试", "dept_id_list": "11",
                           "userid_list": "boss01, ghost", "include_sub_departments": "y"})  # fmt: skip
    assert reply.status_code == 302
    group = db.session.execute(db.select(RecipientGroup)).scalar_one()
    page = signed_in.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "5 people" in page or "5 人" in page
    assert "ghost" in page  # no longer in the directory
    with directory.lock:
        directory.company.users["manager03"].departments.append(11)
    refresh_snapshot()
    page = signed_in.get(f"/groups/{group.id}").get_data(as_text=True)
    assert "6 people" in page or "6 人" in page
    assert "groups" in signed_in.get("/groups/options.json").get_json()
    reply = signed_in.post(f"/groups/{group.id}/edit", data={"name": "测试", "dept_id_list": "x"})
    assert reply.status_code == 200 and "is-invalid" in reply.get_data(as_text=True)
    assert signed_in.post(f"/groups/{group.id}/delete").status_code == 302
    assert signed_in.get(f"/groups/{group.id}").status_code == 404


def test_an_empty_group_is_refused(signed_in, sandbox):
    reply = signed_in.post("/groups/new", data={"name": "空"})
    assert reply.status_code == 200 and "is-invalid" in reply.get_data(as_text=True)


def test_the_pickers_options_say_whom_each_group_reaches_now(signed_in, sandbox, directory):
    signed_in.post("/groups/new", data={"name": "销售", "dept_id_list": "11",
                   "include_sub_departments": "y"})  # fmt: skip
    signed_in.post("/groups/new", data={"name": "老板", "userid_list": "boss01, ghost"})
    reply = signed_in.get("/groups/options.json")
    assert reply.status_code == 200
    data = reply.get_json()
    rows = {row["name"]: row for row in data["groups"]}
    assert rows["销售"]["count"] == 4 and rows["老板"]["count"] == 1  # ghost is not reached
    assert rows["销售"]["label"] in ("4 人", "4 people")
    assert data["problem"] is None and data["strings"]["group"] in ("收件人组", "Recipient group")
    with directory.lock:
        directory.company.users["manager03"].departments.append(11)
    refresh_snapshot()
    rows = {row["name"]: row for row in signed_in.get("/groups/options.json").get_json()["groups"]}
    assert rows["销售"]["count"] == 5  # resolved now, not when saved


def test_the_pickers_options_need_a_sign_in(client):
    reply = client.get("/groups/options.json")
    assert reply.status_code in (302, 401)
