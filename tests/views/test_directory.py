"""The organisation pages against the sandbox's demo company."""

from __future__ import annotations

import re

import pytest
from flask_babel import refresh

from dashboard.auth.models import upsert_user
from dashboard.sandbox.demo import build_company

COMPANY = build_company()


def text(response) -> str:
    return response.get_data(as_text=True)


def switch_to_english(client) -> None:
    """Choose English; `refresh()` because the `app` fixture's app context outlives requests."""
    client.post("/lang/en")
    refresh()


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def test_overview_shows_head_counts_scope_and_snapshot(signed_in):
    page = text(signed_in.get("/org/"))
    everyone = len(COMPANY.users)
    activated = sum(1 for u in COMPANY.users.values() if u.active)
    assert re.search(rf'id="count-all">\s*{everyone}\s*<', page)
    assert re.search(rf'id="count-active">\s*{activated}\s*<', page)
    assert everyone == activated + 2
    assert "全组织" in page
    assert "杭州云帆科技有限公司 (1)" in page  # authorised department, named from the snapshot
    assert '<code class="me-2">jobnumber</code>' in page
    assert f"{everyone} 人" in page and "15 个部门" in page  # snapshot summary
    assert 'id="refresh-snapshot"' in page
    assert 'href="/departments/"' in page and 'href="/users/lookup"' in page


def test_overview_search_box_finds_people_without_javascript(signed_in):
    page = text(signed_in.get("/org/", query_string={"q": "zjh"}))
    assert "周建华" in page and 'href="/users/boss01"' in page


def test_tree_starts_at_the_root_with_the_first_level(signed_in):
    page = text(signed_in.get("/departments/"))
    assert 'data-dept-id="1"' in page and "杭州云帆科技有限公司" in page
    first_level = [d.name for d in COMPANY.children(1)]
    positions = [page.index(name) for name in first_level]
    assert positions == sorted(positions)  # DingTalk's order
    assert 'href="/departments/2"' in page
    assert 'data-dept-id="9"' not in page  # deeper levels load when opened


def children_nodes(client, dept_id):
    """(name, data-has-children, badge text) of each node of a children fragment."""
    response = client.get(f"/departments/{dept_id}/children")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    nodes = re.findall(
        r'<li class="tree-node" data-dept-id="(\d+)" data-has-children="(\w+)">.*?'
        r'<a class="tree-link" href="/departments/\1">([^<]*)</a>\s*'
        r'(?:<span class="badge[^"]*">([^<]*)</span>)?',
        html,
        re.S,
    )
    return html, [(name, has, badge) for _id, has, name, badge in nodes]


def test_tree_children_are_the_same_nodes_as_the_first_level_in_the_ui_language(signed_in):
    html, nodes = children_nodes(signed_in, 2)
    assert [n[0] for n in nodes] == ["服务端组", "前端组", "测试组"]
    assert all(n[1] == "no" for n in nodes)
    _html, top = children_nodes(signed_in, 1)
    assert dict((n[0], n[1]) for n in top)[COMPANY.departments[2].name] == "yes"

    # the same template as the first level: the toggle, its label, the plural of people
    first_level = signed_in.get("/departments/").get_data(as_text=True)
    marker = 'data-dept-id="2"'
    node_in_tree = first_level[first_level.index(marker) :].split("<ul", 1)[0]
    _html, top_nodes = children_nodes(signed_in, 1)
    fragment = _html[_html.index(marker) :].split("<ul", 1)[0]
    assert fragment.split('aria-expanded="')[0] == node_in_tree.split('aria-expanded="')[0]

    signed_in.get("/directory/search?q=zs")  # builds the snapshot: head counts
    _html, nodes = children_nodes(signed_in, 2)
    assert all(badge and "people" not in badge and "人" in badge for _n, _h, badge in nodes)
    switch_to_english(signed_in)
    _html, nodes = children_nodes(signed_in, 2)
    assert [n[0] for n in nodes] == ["Backend", "Frontend", "QA"]
    badges = [badge for _n, _h, badge in nodes]
    assert all(re.fullmatch(r"1 person|\d+ people", b) for b in badges), badges


def test_tree_children_of_a_missing_department_say_so(signed_in):
    response = signed_in.get("/departments/999999/children")
    assert response.status_code == 404
    assert "该部门不存在。" in response.get_data(as_text=True)


def test_department_page_details_breadcrumbs_and_members(signed_in):
    page = text(signed_in.get("/departments/9"))
    assert 'id="dept-name">服务端组' in page
    crumbs = page[
        page.index('id="breadcrumbs"') : page.index("</ol>", page.index('id="breadcrumbs"'))
    ]
    assert (
        crumbs.index("杭州云帆科技有限公司") < crumbs.index("研发中心") < crumbs.index("服务端组")
    )
    managers = page[
        page.index('id="dept-managers"') : page.index("</dd>", page.index('id="dept-managers"'))
    ]
    for userid in COMPANY.departments[9].manager_userids:
        assert f"{COMPANY.users[userid].name} ({userid})" in managers
    assert "manager01|" not in page  # the `|` string is parsed, not shown
    for member in COMPANY.members(9):
        assert f'href="/users/{member.userid}"' in page
    assert "服务端组" in page and "已创建部门群" in page


def test_department_page_lists_sub_departments(signed_in):
    page = text(signed_in.get("/departments/5"))
    sub = page[page.index('id="sub-departments"') :]
    assert sub.index("华东区") < sub.index("华南区") < sub.index("华北区")


def test_big_department_members_are_paged(signed_in):
    members = COMPANY.members(5)
    assert len(members) > 100
    first = text(signed_in.get("/departments/5"))
    assert f"{len(members)} 名直属成员" in first
    assert 'id="member-pages"' in first
    second = text(signed_in.get("/departments/5", query_string={"page": 2}))

    def table(page):
        return page[page.index('id="members"') : page.index("</table>")]

    assert f'href="/users/{members[0].userid}"' in table(first)
    assert f'href="/users/{members[50].userid}"' not in table(first)
    assert f'href="/users/{members[0].userid}"' not in table(second)
    assert f'href="/users/{members[50].userid}"' in table(second)
    # every id is listed (user/getDeptMember), whatever the page
    assert members[-1].userid in first
    # nonsense pages are clamped, not errors
    assert signed_in.get("/departments/5?page=999").status_code == 200
    assert signed_in.get("/departments/5?page=abc").status_code == 200


def test_unknown_department_is_a_404_page(signed_in):
    response = signed_in.get("/departments/9999")
    assert response.status_code == 404
    assert "部门 9999 不存在" in text(response)


def test_user_page(signed_in):
    user = COMPANY.users["manager01"]
    page = text(signed_in.get("/users/manager01"))
    assert 'id="user-name">陈立新' in page
    assert user.position in page and user.jobnumber in page and user.mobile in page
    assert 'id="user-hired">2020-04-13' in page  # 1586739600000 ms = 09:00 in Shanghai
    assert "主管" in page
    departments = page[page.index('id="user-departments"') :]
    # both departments, each with its full path from the root
    assert re.search(r"杭州云帆科技有限公司</a>.*研发中心</a>", departments, re.S)
    assert re.search(r"研发中心</a>.*服务端组</a>", departments, re.S)
    assert "排序 1" in departments and "排序 2" in departments  # orderInDepts "{2:1,9:2}" parsed
    assert "{2:1" not in page
    assert 'href="/notifications/new?userid_list=manager01"' in page


def test_user_page_for_someone_not_activated(signed_in):
    page = text(signed_in.get("/users/u0142"))
    assert "未激活" in page


@pytest.mark.parametrize("userid", ["nobody", "x" * 65, "a b"])
def test_unknown_user_is_a_404_page(signed_in, userid):
    response = signed_in.get(f"/users/{userid}")
    assert response.status_code == 404
    assert "不存在" in text(response)


def test_outside_the_contact_scope(signed_in, sandbox):
    sandbox.set_knobs(scope_authed_dept=[2])
    sales_rep = COMPANY.members(12)[0].userid

    response = signed_in.get("/departments/5")
    assert response.status_code == 200  # shown as outside the scope, not as an error
    assert "超出本应用的通讯录权限范围" in text(response)
    assert "502" not in text(response)

    response = signed_in.get(f"/users/{sales_rep}")
    assert response.status_code == 200
    assert "超出本应用的通讯录权限范围" in text(response)

    reply = signed_in.get("/departments/1/children")
    assert reply.status_code == 200
    assert 'class="small text-warning-emphasis">超出本应用的通讯录权限范围<' in text(reply)
    assert "tree-node" not in text(reply)

    tree = text(signed_in.get("/departments/"))
    assert 'id="tree-scope-note"' in tree
    assert 'data-dept-id="2"' in tree and 'data-dept-id="9"' in tree

    overview = text(signed_in.get("/org/"))
    assert "全组织" not in overview
    assert "研发中心 (2)" in overview

    # the snapshot holds what is in scope and nothing else
    found = signed_in.get("/directory/search", query_string={"q": sales_rep}).get_json()
    assert found == []
    in_scope = COMPANY.members(9)[0]
    found = signed_in.get("/directory/search", query_string={"q": in_scope.userid}).get_json()
    assert found[0]["id"] == in_scope.userid


def test_unionid_lookup(signed_in):
    user = COMPANY.users["u0033"]
    page = text(signed_in.get("/users/lookup", query_string={"unionid": user.unionid}))
    assert 'id="lookup-result"' in page
    assert f'href="/users/{user.userid}"' in page and f"{user.name} ({user.userid})" in page


def test_unionid_pasted_with_spaces_around_it_is_found(signed_in, sandbox):
    user = COMPANY.users["u0033"]
    page = text(signed_in.get("/users/lookup", query_string={"unionid": f"  {user.unionid}\n"}))
    assert 'id="lookup-result"' in page and f'href="/users/{user.userid}"' in page
    assert sandbox.stats()["calls"]["/user/getUseridByUnionid"] == 1


@pytest.mark.parametrize(
    ("unionid", "message"),
    [
        ("iPdoesnotexistiE", "本组织中没有使用该 unionid 的人员"),
        ("", "请输入 unionid"),
        ("x" * 101, "最多 100 个字符"),
        ("<script>", "只能包含字母、数字"),
        ("abc def", "只能包含字母、数字"),
    ],
)
def test_unionid_lookup_explains_bad_input(signed_in, sandbox, unionid, message):
    response = signed_in.get("/users/lookup", query_string={"unionid": unionid})
    assert response.status_code == 200
    assert message in text(response)
    assert 'id="lookup-result"' not in text(response)
    calls = sandbox.stats()["calls"].get("/user/getUseridByUnionid", 0)
    assert calls == (1 if unionid == "iPdoesnotexistiE" else 0)


def test_unionid_of_someone_outside_the_scope(signed_in, sandbox):
    sandbox.set_knobs(scope_authed_dept=[2])
    rep = COMPANY.members(12)[0]
    page = text(signed_in.get("/users/lookup", query_string={"unionid": rep.unionid}))
    assert "此人超出本应用的通讯录权限范围" in page


def test_refresh_is_for_admins(app, client, auth, sandbox):
    upsert_user("viewer", "viewer-password", is_admin=False)
    auth.login("viewer", "viewer-password")
    assert client.post("/org/refresh").status_code == 403
    assert 'id="refresh-snapshot"' not in text(client.get("/org/"))


def test_refresh_now_recrawls_and_says_so(signed_in, sandbox):
    signed_in.get("/org/")
    before = sandbox.stats()["calls"].get("/auth/scopes", 0)
    response = signed_in.post("/org/refresh", follow_redirects=True)
    assert "快照已刷新：15 个部门，共 150 人" in text(response)
    assert sandbox.stats()["calls"]["/auth/scopes"] > before


def test_pages_need_sign_in(client):
    for path in (
        "/org/",
        "/departments/",
        "/departments/2",
        "/users/u0001",
        "/users/lookup",
        "/directory/search?q=a",
    ):
        assert client.get(path).status_code == 302


def test_english_ui(signed_in):
    switch_to_english(signed_in)
    page = text(signed_in.get("/departments/2"))
    assert "R&amp;D Center" in page and "Send a notification to this department" in page


def test_breadcrumbs_and_paths_follow_the_ui_language(signed_in, sandbox):
    from dashboard.directory.snapshot import refresh_snapshot

    refresh_snapshot()
    signed_in.post("/lang/en", data={"next": "/"})
    page = text(signed_in.get("/departments/3"))
    root = COMPANY.departments[1]
    assert root.name_en in page and root.name not in page


def search_rows(client, q, **params):
    response = client.get("/directory/search", query_string={"q": q, **params})
    assert response.status_code == 200
    return response.get_json()


def test_english_department_names_are_searchable_in_english(signed_in):
    rows = search_rows(signed_in, "Backend", types="depts")
    assert [(r["id"], r["name"]) for r in rows] == [(9, "服务端组")]  # Chinese UI: Chinese name
    assert [r["id"] for r in search_rows(signed_in, "r&d center", types="depts")] == [2]

    switch_to_english(signed_in)
    rows = search_rows(signed_in, "backend", types="depts")
    assert [(r["id"], r["name"], r["detail"]) for r in rows] == [
        (9, "Backend", "Yunfan Technology / R&D Center")
    ]
    page = text(signed_in.get("/org/", query_string={"q": "Human Resources"}))
    assert 'href="/departments/6"' in page and "Human Resources" in page


@pytest.mark.parametrize("english", [False, True])
def test_the_pinyin_example_of_the_search_placeholder_finds_someone(signed_in, english):
    if english:
        switch_to_english(signed_in)
    page = text(signed_in.get("/org/"))
    placeholder = re.search(r'<input[^>]*id="q"[^>]*placeholder="([^"]+)"', page)
    placeholder = placeholder or re.search(r'<input[^>]*placeholder="([^"]+)"[^>]*id="q"', page)
    example = re.search(r"[（(](?:如 )?([a-z]+)[)）]", placeholder.group(1)).group(1)
    rows = search_rows(signed_in, example, types="users")
    assert rows and rows[0]["type"] == "user"
    assert COMPANY.users[rows[0]["id"]].name == rows[0]["name"]


def test_the_user_page_shows_the_unionid_dingtalk_returns(signed_in):
    page = text(signed_in.get("/users/u0001"))
    unionid = COMPANY.users["u0001"].unionid
    assert f'<code id="user-unionid">{unionid}</code>' in page


def test_the_pickers_endpoints_say_choose_a_company_in_isv_mode_without_one(signed_in, app):
    app.config["DINGTALK_SUITE_KEY"] = "suite-without-a-chosen-company"
    for path in ("/directory/search?q=zjh", "/directory/names?users=u0001"):
        response = signed_in.get(path)
        assert response.status_code == 409, path
        assert response.get_json() == {"state": "no_company", "error": "请先在切换器中选择企业。"}


CLASSIC_PATHS = (
    "/department/get",
    "/department/list",
    "/department/list_ids",
    "/department/list_parent_depts_by_dept",
    "/department/list_parent_depts",
    "/user/get",
    "/user/listbypage",
    "/user/getDeptMember",
)
V2_PATHS = (
    "/topapi/v2/department/get",
    "/topapi/v2/department/listsub",
    "/topapi/v2/department/listparentbydept",
    "/topapi/v2/department/listparentbyuser",
    "/topapi/v2/user/get",
    "/topapi/v2/user/list",
    "/topapi/user/listid",
)


def _browse(client) -> dict[str, str]:
    userid = COMPANY.members(5)[-1].userid
    pages = {
        path: text(client.get(path))
        for path in (
            "/departments/",
            "/departments/5",
            "/departments/5?page=2",
            "/departments/8",
            f"/users/{userid}",
        )
    }
    return pages


def _section(page: str, start: str, end: str) -> str:
    part = page[page.index(start) :]
    return re.sub(r"\s+", " ", part[: part.index(end)])


@pytest.mark.parametrize("api", ["v2", "classic"])
def test_pages_read_through_the_configured_contacts_api(app, signed_in, sandbox, api):
    app.config["DIRECTORY_CONTACTS_API"] = api
    before = dict(sandbox.stats()["calls"])
    pages = _browse(signed_in)
    calls = sandbox.stats()["calls"]
    used = {p for p in (*CLASSIC_PATHS, *V2_PATHS) if calls.get(p, 0) > before.get(p, 0)}
    expected = set(V2_PATHS if api == "v2" else CLASSIC_PATHS) - {"/department/list_ids"}
    assert used == expected
    members = COMPANY.members(5)
    # page 2 of a department of more than 100 (v2: the second page's cursor followed)
    second = _section(pages["/departments/5?page=2"], 'id="members"', "</table>")
    assert f'href="/users/{members[50].userid}"' in second
    assert f'href="/users/{members[49].userid}"' not in second


def test_v2_and_classic_pages_show_the_same(app, signed_in):
    seen = {}
    for api in ("classic", "v2"):
        app.config["DIRECTORY_CONTACTS_API"] = api
        seen[api] = _browse(signed_in)
    for path, page in seen["classic"].items():
        other = seen["v2"][path]
        body = _section(page, "<main", "</main>")
        assert _section(other, "<main", "</main>") == body, path


@pytest.mark.parametrize(
    "path", ["/departments/0", "/departments/0/children", "/users/" + "u" * 65]
)
def test_ids_v2_refuses_before_sending_are_not_found(signed_in, path):
    response = signed_in.get(path)
    assert response.status_code == 404
