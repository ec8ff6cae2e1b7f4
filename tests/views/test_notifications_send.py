"""Sending: batching, the one-time nonce, pre-send warnings, history states, progress, recall."""

from __future__ import annotations

import json

import pytest

from dashboard.extensions import db
from dashboard.notifications import sending
from dashboard.notifications.models import Recall, Send, utcnow
from dashboard.sandbox.demo import build_company

ASYNCSEND = "/topapi/message/corpconversation/asyncsend_v2"
PROGRESS = "/topapi/message/corpconversation/getsendprogress"
RESULT = "/topapi/message/corpconversation/getsendresult"
RECALL = "/topapi/message/corpconversation/recall"

ALL_USERIDS = sorted(build_company().users)


def calls(sandbox, path: str) -> int:
    return sandbox.stats()["calls"].get(path, 0)


@pytest.fixture
def signed_in(client, auth):
    auth.login()
    return client


def compose(client, **fields):
    data = {"msgtype": "text", "msg": "请提交日报", "userid_list": "u0001", "nonce": None}
    data.update(fields)
    return client.post("/notifications/new", data={k: v for k, v in data.items() if v is not None})


def only_send() -> Send:
    return db.session.execute(db.select(Send)).scalar_one()


def test_150_users_and_25_departments_make_one_send_of_two_calls(signed_in, sandbox):
    assert len(ALL_USERIDS) == 150
    depts = ",".join(str(d) for d in range(2, 16)) + ",901,902,903,904,905,906,907,908,909,910,911"
    response = compose(
        signed_in, userid_list="\n".join(ALL_USERIDS), dept_id_list=depts, nonce="n-150"
    )
    assert response.status_code == 302
    send = only_send()
    assert response.headers["Location"].endswith(f"/notifications/{send.id}")
    stats = sandbox.stats()
    assert stats["calls"][ASYNCSEND] == 2
    assert stats["total"] == 3  # one gettoken and the two asyncsend_v2 calls
    assert [len(t.userids) for t in send.tasks] == [100, 50]
    assert [len(t.dept_ids) for t in send.tasks] == [20, 5]
    assert all(t.task_id for t in send.tasks) and len({t.task_id for t in send.tasks}) == 2
    assert send.state == "submitted"


def test_batch_sizes_follow_the_configuration(signed_in, sandbox, app):
    app.config["DINGTALK_USERID_BATCH"] = 2
    compose(signed_in, userid_list="u0001,u0002,u0003,u0004,u0005")
    assert calls(sandbox, ASYNCSEND) == 3
    assert [t.userids for t in only_send().tasks] == [
        ["u0001", "u0002"],
        ["u0003", "u0004"],
        ["u0005"],
    ]


def test_double_submitted_form_sends_once(signed_in, sandbox):
    first = compose(signed_in, nonce="same-form")
    second = compose(signed_in, nonce="same-form")
    assert first.headers["Location"] == second.headers["Location"]
    assert calls(sandbox, ASYNCSEND) == 1
    assert Send.query.count() == 1
    page = signed_in.get(second.headers["Location"]).get_data(as_text=True)
    assert "该表单已经发送过，没有重复发送。" in page


def test_service_with_a_used_nonce_returns_the_first_send(app, sandbox):
    kwargs = dict(msg={"msgtype": "text", "text": {"content": "hi"}}, userid_list=["u0001"], dept_id_list=None, to_all_user=False, sender="api-user", source="api", api_token_name="ci", nonce="api-1")  # fmt: skip
    first = sending.send_work_notice(**kwargs)
    second = sending.send_work_notice(**kwargs)
    assert first.id == second.id
    assert calls(sandbox, ASYNCSEND) == 1
    assert (first.source, first.api_token_name) == ("api", "ci")


def test_same_content_to_same_user_today_warns_and_needs_confirmation(signed_in, sandbox):
    compose(signed_in, userid_list="u0001,u0002", nonce="a")
    response = compose(signed_in, userid_list="u0002,u0003", nonce="b")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "143106" in page and "u0002" in page
    assert 'name="confirm"' in page
    assert calls(sandbox, ASYNCSEND) == 1
    response = compose(signed_in, userid_list="u0002,u0003", nonce="b", confirm="y")
    assert response.status_code == 302
    assert calls(sandbox, ASYNCSEND) == 2


def test_different_content_does_not_warn(signed_in, sandbox):
    compose(signed_in, userid_list="u0001", nonce="a")
    response = compose(signed_in, userid_list="u0001", msg="另一条消息", nonce="b")
    assert response.status_code == 302
    assert calls(sandbox, ASYNCSEND) == 2


def test_user_at_the_daily_cap_is_warned(signed_in, sandbox, app):
    app.config["DINGTALK_DAILY_USER_CAP"] = 2
    compose(signed_in, userid_list="u0001", msg="一", nonce="a")
    compose(signed_in, userid_list="u0001", msg="二", nonce="b")
    response = compose(signed_in, userid_list="u0001,u0002", msg="三", nonce="c")
    page = response.get_data(as_text=True)
    assert "143105" in page and "1 名用户今天已收到本应用 2 条通知（u0001）" in page
    assert calls(sandbox, ASYNCSEND) == 2


def test_fourth_send_to_everyone_today_is_warned(signed_in, sandbox):
    for n in range(3):
        response = compose(
            signed_in,
            userid_list="",
            to_all_user="y",
            confirm_audience="all",  # the composer asks before a send to everyone
            msg=f"全员通知 {n}",
            nonce=f"all-{n}",
        )
        assert response.status_code == 302
    response = compose(signed_in, userid_list="", to_all_user="y", msg="全员通知 3", nonce="all-3")
    assert "本应用今天已进行 3 次全员发送" in response.get_data(as_text=True)
    assert calls(sandbox, ASYNCSEND) == 3


def test_yesterdays_sends_do_not_warn(signed_in, sandbox):
    compose(signed_in, nonce="a")
    send = only_send()
    send.created_at = utcnow().replace(hour=0) - __import__("datetime").timedelta(days=2)
    db.session.commit()
    assert compose(signed_in, nonce="b").status_code == 302


def test_preview_lists_the_warnings(signed_in):
    compose(signed_in, nonce="a")
    reply = signed_in.post(
        "/notifications/preview",
        data={"msgtype": "text", "msg": "请提交日报", "userid_list": "u0001"},
    ).get_json()
    assert any("143106" in w for w in reply["warnings"])


def test_timeout_leaves_the_send_unknown_and_never_resends(signed_in, sandbox, app):
    app.config["DINGTALK_TIMEOUT"] = 0.5
    app.extensions["dingtalk"]["internal"] = None
    sandbox.inject("latency", count=1, path=ASYNCSEND, seconds=1.5)
    response = compose(signed_in, nonce="slow")
    send = only_send()
    assert send.state == "unknown"
    assert send.tasks[0].task_id is None
    assert calls(sandbox, ASYNCSEND) == 1
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "结果未知" in page and "系统没有重复发送" in page


def test_dingtalk_error_marks_the_send_failed_with_the_code(signed_in, sandbox):
    sandbox.inject("errcode", count=1, path=ASYNCSEND, errcode=40035, errmsg="缺少参数 msg")
    response = compose(signed_in, nonce="bad")
    send = only_send()
    assert (send.state, send.errcode) == ("failed", 40035)
    assert "缺少参数 msg" in send.errmsg
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "钉钉拒绝了这条通知" in page and "40035" in page


def test_one_failed_batch_of_two_makes_the_send_partial(signed_in, sandbox, app):
    app.config["DINGTALK_USERID_BATCH"] = 1
    sandbox.inject("errcode", count=1, path=ASYNCSEND, errcode=40035, errmsg="不合法的参数")
    compose(signed_in, userid_list="u0001,u0002", nonce="p")
    send = only_send()
    assert send.state == "partial"
    assert [t.state for t in send.tasks] == ["failed", "done"]


def test_send_completes_as_the_sandbox_clock_advances(signed_in, sandbox):
    response = compose(signed_in, userid_list="u0001,u0002,ghost", dept_id_list="999", nonce="c")
    url = response.headers["Location"]
    status = signed_in.get(url + "/status").get_json()
    assert status["in_progress"] is True and status["state"] == "submitted"
    sandbox.advance(60)
    status = signed_in.get(url + "/status").get_json()
    # Two of the four recipients were invalid: a partial reach, a warning (issue 16).
    assert status == status | {"in_progress": False, "percent": 100, "state": "partial"}
    assert status["tasks"][0]["status"] == 2
    page = signed_in.get(url).get_data(as_text=True)
    assert "部分失败" in page
    assert 'data-count="invalid">无效: 2' in page
    assert "ghost" in page and "999" in page


def test_result_lists_read_unread_and_forbidden_with_the_reason(signed_in, sandbox):
    compose(signed_in, userid_list="u0001,u0002", nonce="a")
    response = compose(signed_in, userid_list="u0001,u0002", nonce="b", confirm="y")
    sandbox.advance(7200)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-count="forbidden">未送达: 2' in page
    assert "重复：今天已向该用户发送过相同内容。" in page
    first = signed_in.get(f"/notifications/{Send.query.order_by(Send.id).first().id}").get_data(
        as_text=True
    )
    assert 'data-count="read">已读:' in first and 'data-count="forbidden">未送达: 0' in first


def test_result_past_24_hours_says_so(signed_in, sandbox):
    response = compose(signed_in, nonce="old")
    send = only_send()
    send.created_at = utcnow() - __import__("datetime").timedelta(hours=25)
    db.session.commit()
    before = calls(sandbox, RESULT)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "钉钉只保留 24 小时内的发送结果" in page
    assert calls(sandbox, RESULT) == before
    assert 'id="recall-button"' not in page


def test_recall_calls_dingtalk_per_task_and_is_recorded(signed_in, sandbox, app):
    app.config["DINGTALK_USERID_BATCH"] = 1
    url = compose(signed_in, userid_list="u0001,u0002", nonce="r").headers["Location"]
    assert 'id="recall-button"' in signed_in.get(url).get_data(as_text=True)
    response = signed_in.post(url + "/recall", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "通知已撤回。" in page and "已撤回" in page
    assert calls(sandbox, RECALL) == 2
    send = only_send()
    assert send.state == "recalled" and send.recalled_at is not None
    assert [r.ok for r in Recall.query.all()] == [True, True]
    assert all(r.user == "admin" for r in send.recalls)


def test_recall_refused_by_dingtalk_is_shown(signed_in, sandbox):
    url = compose(signed_in, nonce="r").headers["Location"]
    sandbox.inject("errcode", count=1, path=RECALL, errcode=400002, errmsg="任务不存在")
    page = signed_in.post(url + "/recall", follow_redirects=True).get_data(as_text=True)
    assert "任务不存在" in page
    assert only_send().state == "submitted"


def test_history_lists_newest_first_and_filters(signed_in, sandbox):
    compose(signed_in, msg="第一条", nonce="1")
    sandbox.inject("errcode", count=1, path=ASYNCSEND, errcode=40035, errmsg="x")
    compose(signed_in, msg="第二条", nonce="2")
    compose(
        signed_in,
        msgtype="markdown",
        msg=None,
        markdown_title="周报",
        markdown_text="# 本周",
        nonce="3",
    )
    page = signed_in.get("/notifications/").get_data(as_text=True)
    assert page.index("周报") < page.index("第二条") < page.index("第一条")
    failed = signed_in.get("/notifications/?state=failed").get_data(as_text=True)
    assert "第二条" in failed and "第一条" not in failed
    markdown = signed_in.get("/notifications/?msgtype=markdown").get_data(as_text=True)
    assert "周报" in markdown and "第一条" not in markdown
    search = signed_in.get("/notifications/?q=第一").get_data(as_text=True)
    assert "第一条" in search and "第二条" not in search
    assert "第一条" not in signed_in.get("/notifications/?source=api").get_data(as_text=True)
    bad_day = signed_in.get("/notifications/?day=yesterday")
    assert bad_day.status_code == 200 and "2024-05-31" in bad_day.get_data(as_text=True)


def test_history_is_paged(signed_in, app):
    for n in range(25):
        db.session.add(Send(sender="admin", msgtype="text", msg_json=f'{{"msgtype":"text","text":{{"content":"m{n:02d}"}}}}', content_hash=str(n), state="completed"))  # fmt: skip
    db.session.commit()
    first = signed_in.get("/notifications/").get_data(as_text=True)
    second = signed_in.get("/notifications/?page=2").get_data(as_text=True)
    assert "m24" in first and "m00" not in first
    assert "m00" in second and "1 / 2" in first


def test_unknown_send_is_404(signed_in):
    assert signed_in.get("/notifications/9999").status_code == 404


def test_person_reached_by_two_batches_counts_as_delivered_not_forbidden(signed_in, sandbox, app):
    company = build_company()
    member = company.members_deep(2)[0].userid
    outsider = next(u for u in ALL_USERIDS if u not in {m.userid for m in company.members_deep(2)})
    app.config["DINGTALK_USERID_BATCH"] = 1
    url = compose(
        signed_in, userid_list=f"{outsider},{member}", dept_id_list="2", nonce="o"
    ).headers["Location"]
    sandbox.advance(120)
    page = signed_in.get(url).get_data(as_text=True)
    assert 'data-count="forbidden">未送达: 0' in page
    raw = [t.result for t in only_send().tasks]
    assert any(f["userid"] == member for r in raw for f in r["forbidden_list"])


# --- the exact requests DingTalk receives ------------------------------------------------


@pytest.fixture
def wire(app):
    """The asyncsend_v2 bodies the dashboard's client puts on the wire, decoded."""
    from dashboard.services.dingtalk import get_client

    session = get_client().session
    original = session.request
    bodies: list[dict] = []

    def record(method, url, **kwargs):
        if url.endswith(ASYNCSEND):
            bodies.append(json.loads(kwargs["data"]))
        return original(method, url, **kwargs)

    session.request = record
    yield bodies
    session.request = original


def preview(client, **fields) -> dict:
    data = {"msgtype": "text", "msg": "请提交日报", "userid_list": "u0001"} | fields
    return client.post("/notifications/preview", data=data).get_json()


def test_preview_shows_exactly_the_requests_then_sent(signed_in, sandbox, wire):
    fields = dict(
        msgtype="action_card",
        msg="",
        card_title="审批",
        card_markdown="**请审批**\r\n报销单",
        card_style="buttons",
        card_btn_orientation="1",
        card_buttons="同意 | https://a.example\n拒绝 | https://b.example",
        userid_list="\n".join(ALL_USERIDS[:101]),
        dept_id_list=",".join(str(d) for d in range(2, 23)),
    )
    shown = preview(signed_in, **fields)
    assert shown["valid"] and shown["calls"] == 2
    assert compose(signed_in, nonce="exact", **fields).status_code == 302
    assert wire == [r["body"] for r in shown["requests"]]
    assert wire[0]["agent_id"] == sandbox.agent_id
    assert wire[0]["msg"]["action_card"]["btn_orientation"] == "1"


@pytest.mark.parametrize(
    "users,depts,expected",
    [
        (100, 0, [(100, 0)]),
        (101, 0, [(100, 0), (1, 0)]),
        (0, 20, [(0, 20)]),
        (0, 21, [(0, 20), (0, 1)]),
        (101, 21, [(100, 20), (1, 1)]),
    ],
)
def test_batches_split_at_exactly_100_users_and_20_departments(
    signed_in, sandbox, wire, users, depts, expected
):
    response = compose(
        signed_in,
        userid_list=",".join(ALL_USERIDS[:users]),
        dept_id_list=",".join(str(d) for d in range(2, 2 + depts)),
        nonce=f"edge-{users}-{depts}",
    )
    assert response.status_code == 302
    sizes = [
        (len(b.get("userid_list", "").split(",")) if "userid_list" in b else 0,
         len(b.get("dept_id_list", "").split(",")) if "dept_id_list" in b else 0)
        for b in wire
    ]  # fmt: skip
    assert sizes == expected
    assert only_send().state == "submitted" and len(only_send().tasks) == len(expected)


def test_duplicate_and_padded_ids_are_sent_once_each(signed_in, sandbox, wire):
    compose(
        signed_in,
        userid_list=" u0001 ,u0001\n\n u0002\t,，u0001 ",
        dept_id_list=" 2 ,2\n3 ",
        nonce="dups",
    )
    assert [(b["userid_list"], b["dept_id_list"]) for b in wire] == [("u0001,u0002", "2,3")]


def test_to_all_user_with_lists_is_one_call_to_everyone(signed_in, sandbox, wire):
    compose(
        signed_in,
        userid_list="\n".join(ALL_USERIDS[:120]),
        dept_id_list="2,3",
        to_all_user="y",
        confirm_audience="all",
        nonce="all",
    )
    assert len(wire) == 1 and wire[0]["to_all_user"] is True
    assert "userid_list" not in wire[0] and "dept_id_list" not in wire[0]


def test_department_ids_take_ascii_digits_only(signed_in, sandbox):
    response = compose(signed_in, userid_list="", dept_id_list="2,²", nonce="sup")
    assert response.status_code == 200
    assert "“²”" in response.get_data(as_text=True)
    assert calls(sandbox, ASYNCSEND) == 0


# --- the nonce belongs to whoever was given the form --------------------------------------


def test_another_users_nonce_neither_blocks_nor_reveals_their_send(signed_in, sandbox, auth):
    from dashboard.auth.models import upsert_user

    upsert_user("bob", "bob-password")
    first = compose(signed_in, msg="管理员的通知", nonce="shared-nonce")
    auth.logout()
    auth.login("bob", "bob-password")
    second = compose(signed_in, msg="bob 的通知", nonce="shared-nonce")
    assert second.status_code == 302
    assert second.headers["Location"] != first.headers["Location"]
    assert calls(sandbox, ASYNCSEND) == 2
    bobs = db.session.execute(db.select(Send).filter_by(sender="bob")).scalar_one()
    assert bobs.msg["text"]["content"] == "bob 的通知"
    # and bob's own double submit is still sent once
    again = compose(signed_in, msg="bob 的通知", nonce="shared-nonce")
    assert again.headers["Location"] == second.headers["Location"]
    assert calls(sandbox, ASYNCSEND) == 2


# --- "today" is DingTalk's day: China time, whatever the console displays -----------------


def test_duplicate_warning_follows_the_china_day_not_the_display_zone(signed_in, sandbox, app):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    app.config["BABEL_DEFAULT_TIMEZONE"] = "UTC"
    china = ZoneInfo("Asia/Shanghai")
    midnight = datetime.now(china).replace(hour=0, minute=0, second=0, microsecond=0)
    midnight_utc = midnight.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    compose(signed_in, userid_list="u0001", nonce="y")
    compose(signed_in, userid_list="u0002", nonce="t")
    yesterday, today = db.session.execute(db.select(Send).order_by(Send.id)).scalars()
    yesterday.created_at = midnight_utc - timedelta(minutes=1)  # 23:59 yesterday in China
    today.created_at = midnight_utc  # 00:00 today in China
    db.session.commit()
    assert compose(signed_in, userid_list="u0001", nonce="y2").status_code == 302
    warned = compose(signed_in, userid_list="u0002", nonce="t2")
    assert warned.status_code == 200 and "143106" in warned.get_data(as_text=True)


# --- history filters with values nobody should type, but someone will ----------------------


@pytest.mark.parametrize(
    "query",
    ["day=0001-01-01", "day=9999-12-31", "day=2024-02-30", "page=0", "page=-3", "page=abc",
     "page=99999999", "state=zzz", "msgtype=%00", "sender=" + "x" * 500],
)  # fmt: skip
def test_history_survives_bad_query_values(signed_in, query):
    response = signed_in.get(f"/notifications/?{query}")
    assert response.status_code == 200


def test_history_search_treats_percent_and_underscore_literally(signed_in, sandbox):
    compose(signed_in, msg="完成率 100%", nonce="p")
    compose(signed_in, msg="普通通知", nonce="n")
    percent = signed_in.get("/notifications/?q=%25").get_data(as_text=True)
    assert "完成率 100%" in percent and "普通通知" not in percent
    underscore = signed_in.get("/notifications/?q=_").get_data(as_text=True)
    assert "普通通知" not in underscore


# --- what the admin reads when a send fails ----------------------------------------------

HOSTILE = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"


def test_a_hostile_errmsg_of_a_refused_send_is_shown_escaped(signed_in, sandbox):
    from markupsafe import escape

    sandbox.inject("errcode", count=1, path=ASYNCSEND, errcode=40035, errmsg=HOSTILE)
    response = compose(signed_in, nonce="hostile")
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "钉钉拒绝了这条通知" in page
    assert page.count(str(escape(HOSTILE))) >= 2  # the flash and the send's failure panel
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "<script>alert" not in signed_in.get("/notifications/").get_data(as_text=True)


@pytest.mark.parametrize("fault", ["http_500", "ip_ban_html", "ip_ban"])
def test_a_send_without_an_errcode_says_dingtalk_gave_no_result(signed_in, sandbox, fault):
    if fault == "ip_ban_html":
        sandbox.set_knobs(ip_ban_style="html")
    sandbox.inject(fault.removesuffix("_html"), count=1, path=ASYNCSEND)
    response = compose(signed_in, nonce=fault)
    page = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    send = only_send()
    assert (send.state, send.errcode, send.reason) == ("failed", None, "unreachable")
    assert page.count("钉钉没有返回结果：发送失败") == 2  # the flash and the failure panel
    assert "None" not in page and "钉钉拒绝了这条通知" not in page
    assert calls(sandbox, ASYNCSEND) == 1


def test_in_isv_mode_without_a_company_send_keeps_the_message_and_records_nothing(
    signed_in, sandbox, app
):
    app.config["DINGTALK_SUITE_KEY"] = "suite-without-a-chosen-company"
    response = compose(signed_in, msg="没有选企业时写好的通知", nonce="isv")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "请先在切换器中选择企业。" in page
    assert "没有选企业时写好的通知</textarea>" in page
    assert Send.query.count() == 0
    assert calls(sandbox, ASYNCSEND) == 0


def test_the_result_shows_names_on_a_fresh_install_without_a_snapshot(signed_in, sandbox):
    from dashboard.directory.snapshot import peek_snapshot

    url = compose(signed_in, userid_list="u0001,u0002", nonce="names").headers["Location"]
    sandbox.advance(7200)
    assert peek_snapshot() is None  # nobody opened the directory yet
    page = signed_in.get(url).get_data(as_text=True)
    assert "余艳芬 (u0001)" in page and "孙英健 (u0002)" in page


# --- each batch is on record before and after its call -----------------------------------


def test_each_batch_is_on_record_before_its_call_and_the_next_is_not_yet_attempted(
    signed_in, sandbox, app, monkeypatch
):
    from dashboard.dingtalk.api.work_notices import WorkNoticeAPI

    app.config["DINGTALK_USERID_BATCH"] = 1
    seen = []
    original = WorkNoticeAPI.send_work_notice

    def watching(self, msg, **kwargs):
        db.session.expire_all()
        seen.append([(t.state, t.attempted_at is not None) for t in only_send().tasks])
        return original(self, msg, **kwargs)

    monkeypatch.setattr(WorkNoticeAPI, "send_work_notice", watching)
    compose(signed_in, userid_list="u0001,u0002", nonce="rec")
    assert seen == [
        [("pending", True), ("pending", False)],
        [("done", True), ("pending", True)],
    ]
    tasks = only_send().tasks
    assert all(t.state == "done" and t.request_id and t.finished_at for t in tasks)


def test_an_interrupted_batch_is_given_up_as_unknown_never_sent_again(app, sandbox):
    from dashboard.notifications.models import SendTask
    from dashboard.services.dingtalk import get_client

    app.config["DINGTALK_USERID_BATCH"] = 1
    with app.test_request_context():
        send = sending.send_work_notice(msg={"msgtype": "text", "text": {"content": "hi"}}, userid_list=["u0001", "u0002"], dept_id_list=None, to_all_user=False, sender="admin")  # fmt: skip
        first, second = send.tasks
        first.state, first.task_id = "pending", None  # as if the process died mid-call
        second.state, second.attempted_at, second.task_id = "pending", None, None  # never started
        send.state = "submitting"
        db.session.commit()
        before = calls(sandbox, ASYNCSEND)
        sending.deliver_batches(send, get_client())
    assert calls(sandbox, ASYNCSEND) - before == 1  # only the batch that never started
    states = [t.state for t in db.session.execute(db.select(SendTask)).scalars()]
    assert states == ["unknown", "done"]
    assert send.state == "unknown" and send.reason == "no_answer"


def test_a_recall_is_an_attempt_on_record(signed_in, sandbox):
    url = compose(signed_in, nonce="r").headers["Location"]
    sandbox.inject("http_500", count=1, path=RECALL)
    page = signed_in.post(url + "/recall", follow_redirects=True).get_data(as_text=True)
    attempt = Recall.query.one()
    assert (attempt.state, attempt.errcode, attempt.reason) == ("failed", None, "unreachable")
    assert attempt.attempted_at and attempt.finished_at
    assert "HTTP 500" in page and "(None)" not in page
    signed_in.post(url + "/recall")
    assert [r.state for r in Recall.query.order_by(Recall.id)] == ["failed", "done"]
    assert only_send().state == "recalled"
