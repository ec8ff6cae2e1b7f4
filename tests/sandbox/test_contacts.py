"""Departments, users and the contacts scope (§3, §4, §5, §12.4)."""

from __future__ import annotations

import pytest

from dashboard.sandbox.demo import build_company


def test_list_ids_returns_direct_children(oapi):
    assert oapi.get("/department/list_ids", id=1)["sub_dept_id_list"] == [2, 3, 4, 5, 6, 7, 8]
    assert oapi.get("/department/list_ids", id=5)["sub_dept_id_list"] == [12, 13, 14]
    assert oapi.get("/department/list_ids", id=9)["sub_dept_id_list"] == []


def test_list_ids_needs_a_known_id(oapi):
    assert oapi.get("/department/list_ids")["errcode"] == 40035
    assert oapi.get("/department/list_ids", id="abc")["errcode"] == 40035
    assert oapi.get("/department/list_ids", id=999)["errcode"] == 60003


def test_list_recurses_by_default_and_orders_by_order(oapi):
    body = oapi.get("/department/list", id=1)
    departments = body["department"]
    assert len(departments) == 14
    assert [d["id"] for d in departments[:5]] == [2, 9, 10, 11, 3]
    sales = next(d for d in departments if d["id"] == 5)
    assert sales == {
        "id": 5,
        "name": "销售部",
        "parentid": 1,
        "createDeptGroup": True,
        "autoAddUser": True,
        "sourceIdentifier": "",
        "isFromUnionOrg": False,
    }


def test_list_without_fetch_child_is_one_level(oapi):
    body = oapi.get("/department/list", id=1, fetch_child="false")
    assert [d["id"] for d in body["department"]] == [2, 3, 4, 5, 6, 7, 8]


def test_list_defaults_are_knobs(oapi, sandbox):
    sandbox.set_knobs(fetch_child_default=False, list_includes_self=True)
    body = oapi.get("/department/list", id=5)
    assert [d["id"] for d in body["department"]] == [5, 12, 13, 14]


def test_list_in_english(oapi):
    body = oapi.get("/department/list", id=5, lang="en_US", fetch_child="false")
    assert [d["name"] for d in body["department"]] == ["East China", "South China", "North China"]


def test_get_department_uses_pipe_separated_strings(oapi):
    body = oapi.get("/department/get", id=3)
    assert body["errcode"] == 0
    assert body["name"] == "产品部"
    assert body["parentid"] == 1
    assert body["deptManagerUseridList"] == "manager02|u0003"
    assert body["orgDeptOwner"] == "manager02"
    assert body["deptPerimits"] == body["deptPermits"]
    assert body["deptGroupChatId"].startswith("chat")
    assert isinstance(body["order"], int)


def test_get_department_errors(oapi):
    assert oapi.get("/department/get", id=999)["errcode"] == 60003
    assert oapi.get("/department/get")["errcode"] == 40035


def test_parent_ids_by_dept_start_with_itself(oapi):
    assert oapi.get("/department/list_parent_depts_by_dept", id=12)["parentIds"] == [12, 5, 1]
    assert oapi.get("/department/list_parent_depts_by_dept", id=1)["parentIds"] == [1]
    assert oapi.get("/department/list_parent_depts_by_dept", id=77)["errcode"] == 60003


def test_parent_paths_by_user(oapi):
    body = oapi.get("/department/list_parent_depts", userId="u0050")
    assert body["department"] == [[12, 5, 1], [5, 1]]
    assert oapi.get("/department/list_parent_depts", userId="ghost")["errcode"] == 33012


def test_org_user_count_only_active_zero_includes_not_activated(oapi):
    assert oapi.get("/user/get_org_user_count", onlyActive=0)["count"] == 150
    assert oapi.get("/user/get_org_user_count", onlyActive=1)["count"] == 148
    assert oapi.get("/user/get_org_user_count")["errcode"] == 40035
    assert oapi.get("/user/get_org_user_count", onlyActive=2)["errcode"] == 40035


def test_get_user_with_loose_map_strings(oapi):
    body = oapi.get("/user/get", userid="manager01")
    assert body["errcode"] == 0
    assert body["name"] == "陈立新"
    assert body["department"] == [2, 9]
    assert body["orderInDepts"] == "{2:1,9:2}"
    assert body["isLeaderInDepts"] == "{2:true,9:true}"
    assert body["managerUserId"] == "boss01"
    assert body["unionid"]
    assert body["mobile"].startswith("1") and len(body["mobile"]) == 11
    boss = oapi.get("/user/get", userid="boss01")
    assert boss["isBoss"] is True and boss["isAdmin"] is True


def test_get_user_not_activated(oapi):
    body = oapi.get("/user/get", userid="u0142")
    assert body["active"] is False


def test_get_user_errors(oapi):
    assert oapi.get("/user/get", userid="ghost")["errcode"] == 60121
    assert oapi.get("/user/get")["errcode"] == 40035


def test_dept_members_are_direct_only(oapi):
    assert oapi.get("/user/getDeptMember", deptId=2)["userIds"] == ["manager01", "u0001", "u0002"]
    assert len(oapi.get("/user/getDeptMember", deptId=5)["userIds"]) == 105
    assert oapi.get("/user/getDeptMember", deptId=999)["errcode"] == 60003


def test_listbypage_pages_a_department_of_more_than_100(oapi):
    first = oapi.get("/user/listbypage", department_id=5, offset=0, size=100)
    assert first["hasMore"] is True
    assert len(first["userlist"]) == 100
    second = oapi.get("/user/listbypage", department_id=5, offset=100, size=100)
    assert second["hasMore"] is False
    assert len(second["userlist"]) == 5
    ids = [u["userid"] for u in first["userlist"] + second["userlist"]]
    assert len(set(ids)) == 105
    assert ids == oapi.get("/user/getDeptMember", deptId=5)["userIds"]
    leader = first["userlist"][0]
    assert leader["userid"] == "manager04" and leader["isLeader"] is True


@pytest.mark.parametrize(
    "params",
    [
        {"offset": 0, "size": 101},
        {"offset": 0, "size": 0},
        {"offset": -1, "size": 10},
        {"size": 10},
        {"offset": 0},
        {"offset": 0, "size": 10, "order": "random"},
    ],
)
def test_listbypage_rejects_bad_paging(oapi, params):
    assert oapi.get("/user/listbypage", department_id=5, **params)["errcode"] == 40035


@pytest.mark.parametrize(
    "params",
    [
        {"department_id": 5, "offset": 0, "size": 100},
        {"department_id": 5, "offset": 100, "size": 100},
        {"department_id": 12, "offset": 3, "size": 7, "order": "entry_desc", "lang": "en_US"},
    ],
)
def test_user_list_is_listbypage_under_its_sibling_path(oapi, params):
    """GET /user/list (what dingtalk-sdk's listbypage() calls) answers as /user/listbypage."""
    sibling = oapi.get("/user/list", **params)
    assert sibling["errcode"] == 0 and sibling["userlist"]
    assert sibling == oapi.get("/user/listbypage", **params)


def test_user_list_checks_its_parameters_as_listbypage_does(oapi):
    assert oapi.get("/user/list", department_id=5, offset=0, size=101)["errcode"] == 40035
    assert oapi.get("/user/list", offset=0, size=10)["errcode"] == 40035
    assert oapi.get("/user/list", department_id=999, offset=0, size=10)["errcode"] == 60003


def test_listbypage_orders(oapi):
    asc = oapi.get("/user/listbypage", department_id=12, offset=0, size=50, order="entry_asc")
    dates = [u["hiredDate"] for u in asc["userlist"]]
    assert dates == sorted(dates)
    desc = oapi.get("/user/listbypage", department_id=12, offset=0, size=50, order="entry_desc")
    assert [u["hiredDate"] for u in desc["userlist"]] == sorted(dates, reverse=True)


def test_userid_by_unionid(oapi):
    unionid = oapi.get("/user/get", userid="u0010")["unionid"]
    body = oapi.get("/user/getUseridByUnionid", unionid=unionid)
    assert body == {"errcode": 0, "errmsg": "ok", "contactType": 0, "userid": "u0010"}
    assert oapi.get("/user/getUseridByUnionid", unionid="nobody")["errcode"] == 60121


def test_auth_scopes_default_is_the_whole_org(oapi):
    body = oapi.get("/auth/scopes")
    assert body["auth_org_scopes"] == {"authed_dept": [1], "authed_user": []}
    assert "userid" in body["auth_user_field"]
    assert body["condition_field"] == []


class TestRestrictedScope:
    """Only 研发中心 (2) and one person elsewhere are visible."""

    @pytest.fixture(autouse=True)
    def restrict(self, sandbox):
        sandbox.set_knobs(scope_authed_dept=[2], scope_authed_user=["u0011"])

    def test_scopes_reflect_the_knob(self, oapi):
        body = oapi.get("/auth/scopes")
        assert body["auth_org_scopes"] == {"authed_dept": [2], "authed_user": ["u0011"]}

    def test_departments_inside_are_visible(self, oapi):
        assert oapi.get("/department/list_ids", id=2)["sub_dept_id_list"] == [9, 10, 11]
        assert oapi.get("/department/get", id=9)["errcode"] == 0
        assert oapi.get("/user/getDeptMember", deptId=10)["errcode"] == 0

    def test_departments_outside_are_60011(self, oapi):
        assert oapi.get("/department/list_ids", id=1) == {
            "errcode": 60011,
            "errmsg": "没有调用该接口的权限",
        }
        assert oapi.get("/department/get", id=5)["errcode"] == 60011
        assert oapi.get("/department/list", id=1)["errcode"] == 60011
        assert oapi.get("/user/listbypage", department_id=5, offset=0, size=10)["errcode"] == 60011

    def test_people_outside_are_60011(self, oapi):
        assert oapi.get("/user/get", userid="u0001")["errcode"] == 0
        assert oapi.get("/user/get", userid="u0011")["errcode"] == 0  # authed_user
        assert oapi.get("/user/get", userid="u0050")["errcode"] == 60011
        assert oapi.get("/department/list_parent_depts", userId="u0050")["errcode"] == 60011
        unionid = build_company().users["u0050"].unionid
        assert oapi.get("/user/getUseridByUnionid", unionid=unionid)["errcode"] == 60011

    def test_unknown_ids_are_still_not_found(self, oapi):
        assert oapi.get("/department/get", id=999)["errcode"] == 60003
        assert oapi.get("/user/get", userid="ghost")["errcode"] == 60121

    def test_reset_restores_the_whole_org(self, oapi, sandbox):
        sandbox.reset()
        assert oapi.get("/department/list_ids", id=1)["errcode"] == 0
