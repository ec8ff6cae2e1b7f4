"""Contacts v2 on the emulator (dingtalk-v1.md §8): topapi envelope, `result` shapes, limits."""

from __future__ import annotations

import json

import pytest

from dashboard.sandbox.demo import LARGE_DEPARTMENTS, LARGE_PEOPLE, build_large_company
from dashboard.sandbox.settings import SandboxSettings
from dashboard.sandbox.state import SandboxState


def ok(body):
    assert body["errcode"] == 0, body
    assert body["errmsg"] == "ok"
    assert body["request_id"]
    return body["result"]


def test_v2_user_get_is_snake_case_with_arrays(oapi):
    user = ok(oapi.post("/topapi/v2/user/get", {"userid": "manager01", "language": "zh_CN"}))
    assert user["userid"] == "manager01"
    assert user["name"] == "陈立新"
    assert user["title"] == "研发总监"
    assert user["dept_id_list"] == [2, 9]
    assert {"dept_id": 9, "leader": True} in user["leader_in_dept"]
    assert {"dept_id": 2, "order": 1} in user["dept_order_list"]
    assert json.loads(user["extension"]) == {"工位": "A-301"}
    assert user["senior"] is True and user["boss"] is False
    for key in ("job_number", "state_code", "hide_mobile", "hired_date", "manager_userid"):
        assert key in user


def test_v2_user_get_errors(oapi):
    assert oapi.post("/topapi/v2/user/get", {"userid": "nobody"})["errcode"] == 33012
    assert oapi.post("/topapi/v2/user/get", {})["errcode"] == 400002
    assert oapi.post("/topapi/v2/user/get", {"userid": "x" * 65})["errcode"] == 400002
    body = oapi.post("/topapi/v2/user/get", {"userid": "boss01", "language": "fr_FR"})
    assert body["errcode"] == 400002


def test_v2_user_list_pages_by_cursor(oapi):
    first = ok(oapi.post("/topapi/v2/user/list", {"dept_id": 5, "cursor": 0, "size": 100}))
    assert first["has_more"] is True and first["next_cursor"] == 100
    assert len(first["list"]) == 100
    assert {"dept_order", "leader", "title", "dept_id_list"} <= set(first["list"][0])
    rest = ok(oapi.post("/topapi/v2/user/list", {"dept_id": 5, "cursor": 100, "size": 100}))
    assert rest["has_more"] is False and "next_cursor" not in rest
    ids = [u["userid"] for u in first["list"] + rest["list"]]
    assert len(ids) == len(set(ids)) == 105  # the director and 100 regional reps + 4


@pytest.mark.parametrize(
    "body",
    [
        {"dept_id": 5, "cursor": 0},
        {"dept_id": 5, "size": 10},
        {"dept_id": 5, "cursor": 0, "size": 101},
        {"dept_id": 5, "cursor": 0, "size": 0},
        {"dept_id": 5, "cursor": 100001, "size": 10},
        {"dept_id": 5, "cursor": 0, "size": 10, "order_field": "pinyin"},
        {"dept_id": 0, "cursor": 0, "size": 10},
        {"cursor": 0, "size": 10},
    ],
)
def test_v2_user_list_checks_like_the_sdk(oapi, body):
    assert oapi.post("/topapi/v2/user/list", body)["errcode"] == 400002


def test_listsimple_listid_and_count(oapi):
    page = ok(oapi.post("/topapi/user/listsimple", {"dept_id": 9, "cursor": 0, "size": 3}))
    assert page["has_more"] is True and page["next_cursor"] == 3
    assert set(page["list"][0]) == {"userid", "name"}
    ids = ok(oapi.post("/topapi/user/listid", {"dept_id": 9}))["userid_list"]
    assert ids[:3] == [u["userid"] for u in page["list"]]
    assert ok(oapi.post("/topapi/user/count", {"only_active": False}))["count"] == 150
    assert ok(oapi.post("/topapi/user/count", {"only_active": True}))["count"] == 148
    assert oapi.post("/topapi/user/count", {})["errcode"] == 400002


def test_department_listsub_is_one_level(oapi):
    subs = ok(oapi.post("/topapi/v2/department/listsub", {}))  # dept_id defaults to 1
    assert [d["dept_id"] for d in subs] == [2, 3, 4, 5, 6, 7, 8]
    assert set(subs[0]) == {
        "dept_id",
        "name",
        "parent_id",
        "create_dept_group",
        "auto_add_user",
        "from_union_org",
        "source_identifier",
        "tags",
        "ext",
    }
    english = ok(oapi.post("/topapi/v2/department/listsub", {"dept_id": 5, "language": "en_US"}))
    assert [d["name"] for d in english] == ["East China", "South China", "North China"]
    ids = ok(oapi.post("/topapi/v2/department/listsubid", {"dept_id": 5}))
    assert ids == {"dept_id_list": [12, 13, 14]}
    assert oapi.post("/topapi/v2/department/listsub", {"dept_id": 999})["errcode"] == 60003


def test_department_get_has_arrays(oapi):
    dept = ok(oapi.post("/topapi/v2/department/get", {"dept_id": 3}))
    assert dept["name"] == "产品部" and dept["parent_id"] == 1
    assert dept["dept_manager_userid_list"] == ["manager02", "u0003"]
    assert isinstance(dept["dept_permits"], list) and "extention" in dept
    assert "hide_dept" in dept and "deptHiding" not in dept
    assert (
        ok(oapi.post("/topapi/v2/department/get", {"dept_id": 3, "language": "en_US"}))["name"]
        == "Product"
    )


def test_parents(oapi):
    by_dept = ok(oapi.post("/topapi/v2/department/listparentbydept", {"dept_id": 12}))
    assert by_dept == {"parent_id_list": [12, 5, 1]}
    by_user = ok(oapi.post("/topapi/v2/department/listparentbyuser", {"userid": "manager01"}))
    assert by_user == {
        "parent_list": [{"parent_dept_id_list": [2, 1]}, {"parent_dept_id_list": [9, 2, 1]}]
    }
    body = oapi.post("/topapi/v2/department/listparentbyuser", {"userid": "nobody"})
    assert body["errcode"] == 33012


def test_auth_errors_come_wrapped_as_88(oapi):
    body = oapi.post("/topapi/v2/department/listsub", {"dept_id": 1}, token="bogus")
    assert body["errcode"] == 88 and body["sub_code"] == "40014" and body["request_id"]


def test_outside_the_scope_is_wrapped_60011(oapi, sandbox):
    sandbox.set_knobs(scope_authed_dept=[2])
    body = oapi.post("/topapi/v2/department/get", {"dept_id": 3})
    assert body["errcode"] == 88 and body["sub_code"] == "60011"
    assert ok(oapi.post("/topapi/v2/department/get", {"dept_id": 9}))["dept_id"] == 9


def test_large_company_is_deterministic_and_of_the_promised_size():
    company = build_large_company()
    assert len(company.departments) == LARGE_DEPARTMENTS == 500
    assert len(company.users) == LARGE_PEOPLE == 10000
    again = build_large_company()
    assert [u.name for u in again.users.values()][:50] == [u.name for u in company.users.values()][
        :50
    ]
    assert len({u.name for u in company.users.values()}) == 10000
    assert all(company.ancestors(d)[-1] == 1 for d in company.departments)


def test_the_company_setting_picks_the_large_company():
    settings = SandboxSettings.from_env({"SANDBOX_COMPANY": "large"})
    assert settings.company == "large"
    assert len(SandboxState(settings).company.users) == 10000
    assert len(SandboxState(SandboxSettings()).company.users) == 150
