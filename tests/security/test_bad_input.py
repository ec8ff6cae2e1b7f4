"""Bad input never breaks a page: huge and negative numbers, unicode, NUL bytes and very
long strings in URLs, query strings and forms give a 4xx or the page with an error,
never a 500. Fixed cases first, then a short hypothesis fuzz of every parameter.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

HUGE = "9" * 25

FIXED_URLS = [
    f"/departments/{HUGE}",
    f"/departments/{HUGE}/children",
    "/departments/-1",
    "/departments/abc",
    f"/departments/1?page={HUGE}",
    "/departments/1?page=-5",
    f"/notifications/{HUGE}",
    "/notifications/2147483648",
    f"/notifications/{HUGE}/status",
    f"/notifications/{HUGE}/result",
    "/notifications/-1",
    f"/notifications/?page={HUGE}",
    "/notifications/?page=-1",
    "/notifications/?day=99999-99-99&state=%00&q=%25_",
    f"/chats/x/messages/{HUGE}",
    "/chats/x/messages/2147483648",
    "/users/" + "a" * 5000,
    "/users/%00",
    "/users/%E5%BC%A0%E4%B8%89",
    "/chats/" + "a" * 3000,
    "/chats/%00",
    "/chats/open?chatid=" + "a" * 5000,
    "/users/lookup?unionid=" + "a" * 5000,
    "/org/?q=" + "a" * 5000,
    f"/directory/search?q=%00&limit={HUGE}",
    f"/directory/names?depts={HUGE},-1,abc&users=%00",
    "/notifications/new?userid_list=%00&msgtype=zzz&dept_id_list=" + HUGE,
]


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


@pytest.mark.parametrize("url", FIXED_URLS)
def test_hostile_urls_are_not_server_errors(signed_in, url):
    response = signed_in.get(url)
    assert response.status_code < 500, url


def test_huge_ids_in_post_urls_are_not_server_errors(signed_in):
    assert signed_in.post(f"/notifications/{HUGE}/recall").status_code == 404
    assert signed_in.post("/notifications/2147483648/recall").status_code == 404
    assert signed_in.post("/api/tokens/2147483648/revoke").status_code < 500


# -- fuzz ---------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# text a user (or an attacker) could type: any unicode but surrogates, digits, big numbers
values = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", " ", "0", "-1", HUGE, "<script>", "%", "'\"", "a" * 5000, "1,2,,3"]),
)
segment = values.filter(lambda v: v and "/" not in v and v not in {".", ".."})

GET_PARAMS = {
    "/org/": ["q"],
    "/departments/1": ["page"],
    "/users/lookup": ["unionid"],
    "/directory/search": ["q", "types", "limit"],
    "/directory/names": ["users", "depts"],
    "/notifications/": ["state", "msgtype", "sender", "source", "q", "day", "page"],
    "/notifications/new": ["userid_list", "dept_id_list", "msgtype", "msg", "to_all_user"],
    "/chats/open": ["chatid"],
}

FORMS = {
    "/notifications/new": [
        "userid_list",
        "dept_id_list",
        "to_all_user",
        "msgtype",
        "msg",
        "markdown_title",
        "markdown_text",
        "nonce",
        "confirm",
    ],
    "/notifications/preview": ["userid_list", "dept_id_list", "msgtype", "msg", "markdown_text"],
    "/chats/new": ["name", "owner", "useridlist", "showHistoryType", "searchable"],
    "/chats/chatx/preview": ["msgtype", "msg", "markdown_title", "markdown_text"],
    "/api/tokens": ["name", "scope"],
    "/login": ["username", "password"],
}


@pytest.mark.parametrize("path", sorted(GET_PARAMS))
def test_fuzz_query_strings(signed_in, path):
    @FUZZ
    @given(st.fixed_dictionaries({}, optional={k: values for k in GET_PARAMS[path]}))
    def run(args):
        response = signed_in.get(path, query_string=args)
        assert response.status_code < 500, (path, args)

    run()


@pytest.mark.parametrize("path", sorted(FORMS))
def test_fuzz_forms(signed_in, sandbox, path):
    sandbox.set_knobs(qps_limit=10_000)  # the fuzz is not about DingTalk's QPS limit

    @FUZZ
    @given(st.fixed_dictionaries({}, optional={k: values for k in FORMS[path]}))
    def run(form):
        response = signed_in.post(path, data=form)
        assert response.status_code < 500, (path, form)

    run()


@pytest.mark.parametrize(
    "template", ["/users/{}", "/chats/{}", "/departments/{}", "/notifications/{}"]
)
def test_fuzz_url_segments(signed_in, template):
    @FUZZ
    @given(segment)
    def run(value):
        response = signed_in.get(template.format(value.replace("?", "%3F").replace("#", "%23")))
        assert response.status_code < 500, (template, value)

    run()
