"""client.contacts_v2 against the sandbox over HTTP (dingtalk-v1.md §8)."""

from __future__ import annotations

import pytest

from dashboard.dingtalk.errors import InvalidMessage, NotFound, PaginationError, PermissionDenied


def test_users(dingtalk):
    api = dingtalk.contacts_v2
    user = api.get_user("manager01", language="zh_CN")
    assert user["dept_id_list"] == [2, 9] and user["title"] == "研发总监"
    page = api.list_users_page(5, 0, 100)
    assert page["has_more"] is True and page["next_cursor"] == 100
    everyone = list(api.iter_users(5, size=40))
    assert len(everyone) == len({u["userid"] for u in everyone}) == 105
    simple = list(api.iter_users_simple(9, size=4))
    assert [u["userid"] for u in simple] == api.list_user_ids(9)
    assert api.count_users(False) == 150
    assert api.count_users(True) == 148


def test_departments(dingtalk):
    api = dingtalk.contacts_v2
    assert [d["dept_id"] for d in api.list_sub_departments()] == [2, 3, 4, 5, 6, 7, 8]
    assert [d["name"] for d in api.list_sub_departments(5, language="en_US")] == [
        "East China",
        "South China",
        "North China",
    ]
    assert api.list_sub_department_ids(5) == [12, 13, 14]
    assert api.get_department(3)["dept_manager_userid_list"] == ["manager02", "u0003"]
    assert api.list_parent_ids_by_department(12) == [12, 5, 1]
    assert api.list_parent_paths_by_user("manager01") == [[2, 1], [9, 2, 1]]


def test_posts_json_bodies_to_the_documented_paths(dingtalk, sandbox):
    dingtalk.contacts_v2.list_users_page(9, 0, 10, order_field="entry_asc", language="en_US")
    dingtalk.contacts_v2.get_department(9)
    calls = sandbox.stats()["calls"]
    assert calls["/topapi/v2/user/list"] == 1
    assert calls["/topapi/v2/department/get"] == 1


def test_errors_are_typed(dingtalk, sandbox):
    api = dingtalk.contacts_v2
    with pytest.raises(NotFound):
        api.get_department(999)
    sandbox.set_knobs(scope_authed_dept=[2])
    with pytest.raises(PermissionDenied) as caught:
        api.get_department(3)
    assert caught.value.errcode == 88 and caught.value.sub_code == "60011"


def test_a_rejected_token_is_refreshed_once(dingtalk, sandbox):
    dingtalk.contacts_v2.get_user("boss01")
    sandbox.revoke_tokens()
    assert dingtalk.contacts_v2.get_user("boss01")["userid"] == "boss01"
    assert sandbox.stats()["sub_codes"].get("40014") == 1


@pytest.mark.parametrize(
    "call",
    [
        lambda api: api.get_user(""),
        lambda api: api.get_user("x" * 65),
        lambda api: api.list_users_page(0, 0, 10),
        lambda api: api.list_users_page(1, -1, 10),
        lambda api: api.list_users_page(1, 100001, 10),
        lambda api: api.list_users_page(1, 0, 101),
        lambda api: api.list_users_page(1, 0, 10, order_field="pinyin"),
        lambda api: api.get_department(1, language="fr"),
        lambda api: api.count_users("yes"),
    ],
)
def test_bad_input_is_refused_before_sending(dingtalk, sandbox, call):
    with pytest.raises(InvalidMessage):
        call(dingtalk.contacts_v2)
    assert not any(p.startswith("/topapi/") for p in sandbox.stats()["calls"])


def test_a_cursor_that_does_not_advance_stops_paging(dingtalk, monkeypatch):
    api = dingtalk.contacts_v2
    stuck = {"has_more": True, "next_cursor": 0, "list": [{"userid": "a"}]}
    monkeypatch.setattr(api, "list_users_page", lambda *a, **k: stuck)
    with pytest.raises(PaginationError):
        list(api.iter_users(1))


def test_the_v2_crawl_reads_the_scope_side_by_side(dingtalk, sandbox):
    from dashboard.directory.crawl_v2 import crawl_v2

    sandbox.set_knobs(scope_authed_dept=[5, 999], scope_authed_user=["boss01"])
    snapshot = crawl_v2(dingtalk, workers=2)
    assert list(snapshot.departments) == [5, 12, 13, 14]
    assert snapshot.departments[12].name_en == "East China"
    assert snapshot.departments[12].parentid == 5
    assert snapshot.unreachable == (999,)
    assert "boss01" in snapshot.users  # authorised by name: v2/user/get
    assert snapshot.users["u0100"].departments[-1] == 5
    calls = sandbox.stats()["calls"]
    assert calls["/topapi/v2/department/listsub"] == 4
    assert calls["/topapi/v2/user/get"] == 1
    assert not any(p.startswith(("/department/", "/user/")) for p in calls)


def test_the_crawl_spreads_each_apis_calls_after_the_first_seconds_budget():
    from dashboard.directory.crawl_v2 import _Pacer

    now = [100.0]
    slept: list[float] = []
    pacer = _Pacer(4, clock=lambda: now[0], sleep=slept.append)
    for _ in range(4):
        pacer.wait()  # the first second's budget at once
    assert slept == []
    pacer.wait()
    pacer.wait()
    assert slept == [1.0, 1.25]  # then one call every 1/rate, from the first second's end
    now[0] = 200.0  # after a pause: no catching up in a burst
    pacer.wait()
    pacer.wait()
    assert slept == [1.0, 1.25, 0.25]
