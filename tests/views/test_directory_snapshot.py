"""The directory snapshot: one crawl, cached; search, names and pickers read only the cache."""

from __future__ import annotations

import time

import pytest

from dashboard.directory import snapshot as snapshot_module
from dashboard.directory.names import display_dept, display_user
from dashboard.directory.snapshot import (
    DeptEntry,
    DirectorySnapshot,
    SnapshotBusy,
    UserEntry,
    _keys,
    _store,
    crawl,
    get_snapshot,
    pinyin_keys,
    refresh_snapshot,
)
from dashboard.extensions import cache
from dashboard.sandbox.demo import build_company
from dashboard.services.dingtalk import get_client

COMPANY = build_company()
CONTACT_PATHS = ("/department/", "/user/", "/auth/", "/topapi/v2/", "/topapi/user/")
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def contact_calls(sandbox) -> int:
    calls = sandbox.stats()["calls"]
    return sum(n for path, n in calls.items() if path.startswith(CONTACT_PATHS))


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def search(client, q, **params):
    return client.get("/directory/search", query_string={"q": q, **params})


def test_pinyin_keys():
    assert pinyin_keys("张三") == ("zhangsan", "zs")
    assert pinyin_keys("周建华") == ("zhoujianhua", "zjh")
    assert pinyin_keys("") == ("", "")


def test_one_refresh_reads_the_whole_demo_company_through_contacts_v2(app, sandbox):
    with app.test_request_context():
        snapshot = refresh_snapshot()
    assert len(snapshot.departments) == len(COMPANY.departments)
    assert set(snapshot.users) == set(COMPANY.users)
    assert snapshot.users["u0033"].departments == (10, 3)
    assert [d.id for d in snapshot.children(1)] == [2, 3, 4, 5, 6, 7, 8]
    stats = sandbox.stats()
    assert not stats["errors"]
    calls = stats["calls"]
    # v2/department/listsub is one level only: one listing per department; English
    # names and order from v2/department/get (en_US) per department, plus the root's
    # get in Chinese; v2/user/list per department (销售部: two pages of 100).
    n = len(COMPANY.departments)
    assert calls["/auth/scopes"] == 1
    assert calls["/topapi/v2/department/listsub"] == n
    assert calls["/topapi/v2/department/get"] == n + 1
    assert calls["/topapi/v2/user/list"] == n + 1
    assert not any(path.startswith(("/department/", "/user/")) for path in calls)
    assert snapshot.dept_name(2) == COMPANY.departments[2].name
    assert snapshot.dept_name(2, "en") == COMPANY.departments[2].name_en
    assert snapshot.users["manager01"].position == "研发总监"


def test_one_refresh_reads_the_whole_demo_company_under_the_qps_limit(app, sandbox):
    app.config["DIRECTORY_CONTACTS_API"] = "classic"
    with app.test_request_context():
        snapshot = refresh_snapshot()
    assert len(snapshot.departments) == len(COMPANY.departments)
    assert set(snapshot.users) == set(COMPANY.users)
    assert snapshot.users["u0033"].departments == (10, 3)
    stats = sandbox.stats()
    assert 90018 not in stats["errors"] and not stats["errors"]
    calls = stats["calls"]
    # auth/scopes, department/get of the root and one recursive department/list (each
    # in Chinese and English), and user/listbypage per department (销售部: two pages).
    assert calls["/auth/scopes"] == 1
    assert calls["/department/get"] == 2
    assert calls["/department/list"] == 2
    assert calls["/user/listbypage"] == len(COMPANY.departments) + 1
    assert contact_calls(sandbox) == 21
    assert snapshot.dept_name(2) == COMPANY.departments[2].name
    assert snapshot.dept_name(2, "en") == COMPANY.departments[2].name_en


def test_without_fetch_child_the_crawl_walks_each_department(app, sandbox):
    with app.test_request_context():
        snapshot = crawl(get_client(), fetch_child=False)
    assert len(snapshot.departments) == len(COMPANY.departments)
    # one listing per department, in Chinese and in English
    assert sandbox.stats()["calls"]["/department/list"] == 2 * len(COMPANY.departments)


def test_page_views_within_the_snapshot_lifetime_make_no_contact_calls(signed_in, sandbox):
    assert search(signed_in, "zjh").get_json()[0]["id"] == "boss01"  # builds the snapshot
    signed_in.get("/org/")
    signed_in.get("/departments/")
    signed_in.get("/departments/9")
    signed_in.get("/users/manager01")
    before = contact_calls(sandbox)

    for q in ("zjh", "陈立新", "u0033", "研发", "yfzx", "zhoujianhua"):
        assert search(signed_in, q).status_code == 200
    signed_in.get("/directory/names?users=boss01,u0001&depts=1,2")
    signed_in.get("/org/", query_string={"q": "zs"})
    signed_in.get("/org/")
    signed_in.get("/departments/")
    signed_in.get("/departments/9")
    signed_in.get("/users/manager01")

    assert contact_calls(sandbox) == before


@pytest.fixture
def now(monkeypatch):
    """The snapshot's clock, moved on by the test (`now[0] += seconds`)."""
    current = [time.time()]
    monkeypatch.setattr(snapshot_module, "clock", lambda: current[0])
    return current


def test_no_contact_calls_for_the_whole_snapshot_lifetime_not_just_a_minute(
    signed_in, sandbox, now
):
    pages = (
        "/org/",
        "/departments/",
        "/departments/9",
        "/departments/3?page=2",
        "/users/manager01",
    )
    for path in pages:
        assert signed_in.get(path).status_code == 200
    before = contact_calls(sandbox)

    now[0] += 50 * 60  # fifty minutes on: the hour-long snapshot is still alive
    for path in pages:
        assert signed_in.get(path).status_code == 200
    assert contact_calls(sandbox) == before

    now[0] += 11 * 60  # past the hour: a new crawl, and the pages read DingTalk again
    signed_in.get("/departments/9")
    assert sandbox.stats()["calls"]["/auth/scopes"] >= 2
    assert contact_calls(sandbox) > before


def test_the_snapshot_expires_after_its_ttl(app, sandbox, now):
    app.config["DIRECTORY_SNAPSHOT_TTL"] = 60
    with app.test_request_context():
        first = get_snapshot()
    now[0] += 59
    with app.test_request_context():
        assert get_snapshot().built_at == first.built_at
    assert sandbox.stats()["calls"]["/auth/scopes"] == 1
    now[0] += 1
    with app.test_request_context():
        second = get_snapshot()
    assert second.built_at > first.built_at
    assert sandbox.stats()["calls"]["/auth/scopes"] == 2


def test_a_second_crawl_waits_for_the_running_one(app, sandbox):
    with app.test_request_context():
        _, _, lock = _keys()
        cache.add(lock, "someone-else", timeout=60)
        with pytest.raises(SnapshotBusy):
            refresh_snapshot()
    assert "/auth/scopes" not in sandbox.stats()["calls"]


def test_refresh_while_another_runs_is_explained(app, signed_in, sandbox):
    with app.test_request_context():
        _, _, lock = _keys()
        cache.add(lock, "someone-else", timeout=60)
    response = signed_in.post("/org/refresh", follow_redirects=True)
    assert "已有刷新正在进行" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "userid"),
    [
        ("周建华", "boss01"),
        ("建华", "boss01"),
        ("zjh", "boss01"),
        ("ZJH", "boss01"),
        ("zhoujianhua", "boss01"),
        ("zhou jian", "boss01"),
        ("boss01", "boss01"),
        ("u0033", "u0033"),
        ("clx", "manager01"),
    ],
)
def test_search_people_by_name_pinyin_initials_or_userid(signed_in, query, userid):
    rows = search(signed_in, query, types="users").get_json()
    assert rows[0]["id"] == userid
    assert rows[0]["type"] == "user"
    assert rows[0]["name"] == COMPANY.users[userid].name


def test_search_rows_have_the_documented_shape(signed_in):
    rows = search(signed_in, "u0033").get_json()
    assert rows[0] == {
        "type": "user",
        "id": "u0033",
        "name": "彭静思",
        "detail": "前端组 · 前端工程师",
    }
    rows = search(signed_in, "yfzx", types="depts").get_json()
    assert rows == [{"type": "dept", "id": 2, "name": "研发中心", "detail": "杭州云帆科技有限公司"}]
    rows = search(signed_in, "服务端", types="depts").get_json()
    assert rows[0]["detail"] == "杭州云帆科技有限公司 / 研发中心"


def test_search_types_and_limit(signed_in):
    rows = search(signed_in, "z", limit=5).get_json()
    assert len(rows) == 5
    assert all(r["type"] == "dept" for r in search(signed_in, "研发", types="depts").get_json())
    both = search(signed_in, "2", types="users,depts", limit=50).get_json()
    assert {r["type"] for r in both} == {"user", "dept"}
    assert search(signed_in, "").get_json() == []
    assert search(signed_in, "no-such-person-anywhere").get_json() == []


@pytest.mark.parametrize(
    "params",
    [
        {"q": "x" * 101},
        {"q": "a", "types": "people"},
        {"q": "a", "limit": 0},
        {"q": "a", "limit": 51},
        {"q": "a", "limit": "many"},
        {"q": "a", "limit": "²"},  # a digit to str.isdigit, not a number to int()
    ],
)
def test_bad_search_input_is_a_clear_json_error(signed_in, params):
    response = signed_in.get("/directory/search", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["error"]


def test_names_for_the_pickers(signed_in):
    reply = signed_in.get("/directory/names?users=boss01,ghost&depts=2,x,999").get_json()
    assert reply == {"users": {"boss01": "周建华"}, "depts": {"2": "研发中心"}}


def test_names_skip_what_is_not_a_department_id(signed_in):
    response = signed_in.get("/directory/names", query_string={"depts": "²、2；٣,-1"})
    assert response.status_code == 200
    assert response.get_json() == {"users": {}, "depts": {"2": "研发中心"}}


def test_name_filters_read_only_the_cache(app, sandbox):
    with app.test_request_context():
        assert display_user("boss01") == "boss01"  # no snapshot: the id, and no crawl
        assert display_dept(2) == "2"
        assert contact_calls(sandbox) == 0
        get_snapshot()
    with app.test_request_context():
        assert display_user("boss01") == "周建华 (boss01)"
        assert display_dept(2) == "研发中心 (2)"
        assert display_dept("2") == "研发中心 (2)"
        assert display_user("ghost") == "ghost"
        assert display_user(None) == "" and display_dept(None) == ""
        assert display_dept("x") == "x"


def hostile_snapshot() -> DirectorySnapshot:
    return DirectorySnapshot(
        departments={
            1: DeptEntry(1, "Root", None),
            2: DeptEntry(2, HOSTILE, 1),
        },
        users={"evil": UserEntry("evil", HOSTILE, position=HOSTILE, departments=(2,))},
        built_at=time.time(),
    )


def test_hostile_names_from_the_snapshot_are_shown_as_text(app, signed_in):
    with app.test_request_context():
        _store(hostile_snapshot())
        rendered = app.jinja_env.from_string("{{ 'evil'|username }} {{ 2|deptname }}").render()
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered

    page = signed_in.get("/org/", query_string={"q": "evil"}).get_data(as_text=True)
    assert HOSTILE not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    rows = search(signed_in, "evil").get_json()
    assert rows[0]["name"] == HOSTILE  # JSON carries the text; picker.js sets it with textContent


def test_hostile_vendor_data_on_detail_pages_is_shown_as_text(
    signed_in, sandbox_server, sandbox, monkeypatch
):
    # The emulator has no knob to rename a person, and its reset keeps the company, so
    # swap in a private copy of the demo company for this test only.
    company = build_company()
    monkeypatch.setattr(sandbox_server.server.app.extensions["sandbox_state"], "company", company)
    company.users["manager01"].name = HOSTILE
    company.users["manager01"].position = HOSTILE
    company.users["manager01"].remark = HOSTILE
    company.departments[9].name = HOSTILE

    for path in ("/users/manager01", "/departments/9", "/departments/2", "/org/?q=zz"):
        page = signed_in.get(path).get_data(as_text=True)
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
    user_page = signed_in.get("/users/manager01").get_data(as_text=True)
    assert user_page.count("&lt;script&gt;") >= 3  # name, position, remark
    children = signed_in.get("/departments/2/children").get_data(as_text=True)  # tree.js inserts it
    assert "<script>alert" not in children and "<img src=x" not in children
    assert 'class="tree-link" href="/departments/9">&lt;script&gt;alert(' in children
