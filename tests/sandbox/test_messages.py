"""Work notices: asyncsend_v2, progress, results, recall, status bar (§2)."""

from __future__ import annotations

import json

import pytest

PREFIX = "/topapi/message/corpconversation"

MSGS = {
    "text": {"msgtype": "text", "text": {"content": "请提交日报"}},
    "image": {"msgtype": "image", "image": {"media_id": "@lADOADmaWMzazQKA"}},
    "voice": {"msgtype": "voice", "voice": {"media_id": "@lA1", "duration": "10"}},
    "file": {"msgtype": "file", "file": {"media_id": "@lA2"}},
    "link": {
        "msgtype": "link",
        "link": {"messageUrl": "https://x", "picUrl": "@lA3", "title": "t", "text": "d"},
    },
    "oa": {
        "msgtype": "oa",
        "oa": {
            "message_url": "https://x",
            "head": {"bgcolor": "FFBBBBBB", "text": "头部"},
            "status_bar": {"status_value": "进行中", "status_bg": "0xFFF65E5E"},
            "body": {"title": "正文", "form": [{"key": "姓名:", "value": "张三"}]},
        },
    },
    "markdown": {"msgtype": "markdown", "markdown": {"title": "首屏文案", "text": "# md"}},
    "action_card": {
        "msgtype": "action_card",
        "action_card": {
            "title": "t",
            "markdown": "md",
            "single_title": "查看",
            "single_url": "https://x",
        },
    },
    "action_card_buttons": {
        "msgtype": "action_card",
        "action_card": {
            "title": "t",
            "markdown": "md",
            "btn_orientation": "1",
            "btn_json_list": [
                {"title": "同意", "action_url": "https://a"},
                {"title": "拒绝", "action_url": "https://b"},
            ],
        },
    },
}


def result(oapi, task_id):
    body = oapi.task_call("getsendresult", task_id)
    assert body["errcode"] == 0, body
    return body["send_result"]


@pytest.mark.parametrize("name", sorted(MSGS))
def test_every_msgtype_is_accepted(oapi, name):
    body = oapi.send_notice(MSGS[name], userid_list="u0001")
    assert body["errcode"] == 0, body


@pytest.mark.parametrize(
    "msg",
    [
        {"msgtype": "video", "video": {}},
        {"msgtype": "text"},
        {"msgtype": "text", "text": {}},
        {"msgtype": "text", "text": "hello"},
        {"msgtype": "voice", "voice": {"media_id": "@x", "duration": "61"}},
        {"msgtype": "oa", "oa": {"message_url": "u", "head": {"bgcolor": "0xFFBBBB"}, "body": {}}},
        {"msgtype": "action_card", "action_card": {"title": "t", "markdown": "m"}},
        {
            "msgtype": "action_card",
            "action_card": {
                "title": "t",
                "markdown": "m",
                "single_title": "x" * 21,
                "single_url": "u",
            },
        },
        {
            "msgtype": "action_card",
            "action_card": {
                "title": "t" * 65,
                "markdown": "m",
                "single_title": "a",
                "single_url": "u",
            },
        },
    ],
)
def test_malformed_msg_is_40035(oapi, msg):
    assert oapi.send_notice(msg, userid_list="u0001")["errcode"] == 40035


def compact_size(msg):
    return len(json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def test_msg_over_2048_bytes_is_45002(oapi):
    frame = compact_size({"msgtype": "text", "text": {"content": ""}})
    fits = {
        "msgtype": "text",
        "text": {"content": "字" * ((2048 - frame) // 3) + "x" * ((2048 - frame) % 3)},
    }
    assert compact_size(fits) == 2048
    assert oapi.send_notice(fits, userid_list="u0001")["errcode"] == 0
    too_long = {"msgtype": "text", "text": {"content": fits["text"]["content"] + "x"}}
    body = oapi.send_notice(too_long, userid_list="u0002")
    assert body["errcode"] == 45002
    assert body["request_id"]


def test_missing_msg_is_40035(oapi, sandbox):
    body = oapi.post(f"{PREFIX}/asyncsend_v2", {"agent_id": sandbox.agent_id, "userid_list": "u1"})
    assert body["errcode"] == 40035


def test_missing_agent_id_is_41011(oapi):
    body = oapi.post(f"{PREFIX}/asyncsend_v2", {"userid_list": "u0001", "msg": oapi.text_msg})
    assert body["errcode"] == 41011


def test_unknown_agent_id_is_40056(oapi):
    body = oapi.post(
        f"{PREFIX}/asyncsend_v2", {"agent_id": 42, "userid_list": "u0001", "msg": oapi.text_msg}
    )
    assert body["errcode"] == 40056


def test_no_recipients_is_1430000(oapi):
    assert oapi.send_notice()["errcode"] == 1430000
    assert oapi.send_notice(userid_list="", to_all_user=False)["errcode"] == 1430000


def test_userid_list_cap_is_100_by_default(oapi):
    ids = ",".join(f"u{i:04d}" for i in range(1, 102))
    assert oapi.send_notice(userid_list=ids)["errcode"] == 40032
    ids = ",".join(f"u{i:04d}" for i in range(1, 101))
    assert oapi.send_notice(userid_list=ids)["errcode"] == 0


def test_dept_id_list_cap_is_20_by_default(oapi):
    depts = ",".join(str(i) for i in range(1, 22))
    assert oapi.send_notice(dept_id_list=depts)["errcode"] == 40032


def test_list_caps_are_knobs(oapi, sandbox):
    sandbox.set_knobs(userid_list_max=5000, dept_id_list_max=2)
    ids = ",".join(f"u{i:04d}" for i in range(1, 144))
    assert oapi.send_notice(userid_list=ids)["errcode"] == 0
    assert oapi.send_notice(dept_id_list="9,10,11")["errcode"] == 40032


def test_progress_advances_with_the_sandbox_clock(oapi, sandbox):
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    first = oapi.task_call("getsendprogress", task_id)
    assert first["progress"] == {"progress_in_percent": 0, "status": 0}
    assert first["request_id"]
    sandbox.advance(3)  # 1 s start delay, then 4 s of sending: half way
    middle = oapi.task_call("getsendprogress", task_id)["progress"]
    assert middle["status"] == 1
    assert 0 < middle["progress_in_percent"] < 100
    sandbox.advance(10)
    assert oapi.task_call("getsendprogress", task_id)["progress"] == {
        "progress_in_percent": 100,
        "status": 2,
    }


def test_progress_timing_is_a_knob(oapi, sandbox):
    sandbox.set_knobs(task_start_delay=0, task_duration=0)
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    assert oapi.task_call("getsendprogress", task_id)["progress"]["status"] == 2


def test_result_splits_invalid_read_and_unread(oapi, sandbox):
    task_id = oapi.send_notice(userid_list="u0001,ghost", dept_id_list="11,999")["task_id"]
    sent = result(oapi, task_id)
    assert sent["invalid_user_id_list"] == ["ghost"]
    assert sent["invalid_dept_id_list"] == [999]
    assert sent["forbidden_list"] == []
    assert sent["forbidden_user_id_list"] == []
    assert sent["failed_user_id_list"] == []
    assert sent["read_user_id_list"] == []
    assert sorted(sent["unread_user_id_list"]) == ["u0001", "u0037", "u0038", "u0039", "u0040"]


def test_recipients_read_over_time(oapi, sandbox):
    task_id = oapi.send_notice(dept_id_list="5")["task_id"]
    before = result(oapi, task_id)
    assert before["read_user_id_list"] == []
    assert len(before["unread_user_id_list"]) == 105
    sandbox.advance(600)
    some = result(oapi, task_id)
    sandbox.advance(4000)  # past notice_read_spread (3600 s): every reader has read
    later = result(oapi, task_id)
    assert 0 < len(some["read_user_id_list"]) < len(later["read_user_id_list"])
    assert set(some["read_user_id_list"]) <= set(later["read_user_id_list"])
    assert len(later["read_user_id_list"]) + len(later["unread_user_id_list"]) == 105
    assert later["unread_user_id_list"]  # not everyone reads (notice_read_ratio 0.8)


def test_dept_recipients_include_sub_departments(oapi, sandbox):
    task_id = oapi.send_notice(dept_id_list="2")["task_id"]
    recipients = set(result(oapi, task_id)["unread_user_id_list"])
    assert {"manager01", "u0001", "u0022", "u0031", "u0037"} <= recipients
    assert len(recipients) == 22


def test_to_all_user_reaches_everyone(oapi):
    task_id = oapi.send_notice(to_all_user=True)["task_id"]
    assert len(result(oapi, task_id)["unread_user_id_list"]) == 150


def test_same_content_same_user_same_day_is_forbidden_143106(oapi, sandbox):
    oapi.send_notice(userid_list="u0001,u0002")
    second = oapi.send_notice(userid_list="u0001,u0003")
    assert second["errcode"] == 0  # never an API error
    sent = result(oapi, second["task_id"])
    assert sent["forbidden_list"] == [{"code": "143106", "count": 1, "userid": "u0001"}]
    assert sent["forbidden_user_id_list"] == ["u0001"]
    assert sent["unread_user_id_list"] == ["u0003"]


def test_other_content_or_next_day_is_delivered(oapi, sandbox):
    oapi.send_notice(userid_list="u0001")
    other = {"msgtype": "text", "text": {"content": "另一条"}}
    assert (
        result(oapi, oapi.send_notice(other, userid_list="u0001")["task_id"])["forbidden_list"]
        == []
    )
    sandbox.advance(86400)
    assert result(oapi, oapi.send_notice(userid_list="u0001")["task_id"])["forbidden_list"] == []


def test_daily_cap_per_user_is_forbidden_143105(oapi, sandbox):
    sandbox.set_knobs(daily_per_user_cap=2)
    for n in range(2):
        oapi.send_notice({"msgtype": "text", "text": {"content": f"#{n}"}}, userid_list="u0001")
    third = oapi.send_notice({"msgtype": "text", "text": {"content": "#3"}}, userid_list="u0001")
    assert third["errcode"] == 0
    sent = result(oapi, third["task_id"])
    assert sent["forbidden_list"] == [{"code": "143105", "count": 2, "userid": "u0001"}]


def test_fourth_to_all_user_in_a_day_is_forbidden_for_everyone(oapi, sandbox):
    for n in range(3):
        body = oapi.send_notice(
            {"msgtype": "text", "text": {"content": f"全员 {n}"}}, to_all_user=True
        )
        assert result(oapi, body["task_id"])["forbidden_list"] == []
    fourth = oapi.send_notice({"msgtype": "text", "text": {"content": "全员 4"}}, to_all_user=True)
    assert fourth["errcode"] == 0
    sent = result(oapi, fourth["task_id"])
    assert len(sent["forbidden_list"]) == 150
    assert {(f["code"], f["count"]) for f in sent["forbidden_list"]} == {("143105", 3)}
    assert sent["unread_user_id_list"] == []
    sandbox.advance(86400)
    fifth = oapi.send_notice({"msgtype": "text", "text": {"content": "全员 5"}}, to_all_user=True)
    assert result(oapi, fifth["task_id"])["forbidden_list"] == []


def test_unknown_task_is_400002(oapi):
    assert oapi.task_call("getsendprogress", 1)["errcode"] == 400002
    assert oapi.task_call("getsendresult", 1)["errcode"] == 400002


def test_task_older_than_24h_is_400002(oapi, sandbox):
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    sandbox.advance(86401)
    assert oapi.task_call("getsendprogress", task_id)["errcode"] == 400002
    assert oapi.task_call("getsendresult", task_id)["errcode"] == 400002


def test_unknown_task_errcode_and_retention_are_knobs(oapi, sandbox):
    sandbox.set_knobs(unknown_task_errcode=40035, task_retention_seconds=7 * 86400)
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    sandbox.advance(3 * 86400)
    assert oapi.task_call("getsendprogress", task_id)["errcode"] == 0
    assert oapi.task_call("getsendprogress", 7)["errcode"] == 40035


def test_task_queries_need_agent_and_task_id(oapi, sandbox):
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    body = oapi.post(f"{PREFIX}/getsendprogress", {"task_id": task_id})
    assert body["errcode"] == 41011
    body = oapi.post(f"{PREFIX}/getsendresult", {"agent_id": sandbox.agent_id})
    assert body["errcode"] == 40035


def test_recall_within_24h(oapi, sandbox):
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    body = oapi.post(f"{PREFIX}/recall", {"agent_id": sandbox.agent_id, "msg_task_id": task_id})
    assert body["errcode"] == 0
    assert sandbox.task(task_id)["recalled"] is True


def test_recall_after_24h_is_refused(oapi, sandbox):
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    sandbox.advance(86401)
    body = oapi.post(f"{PREFIX}/recall", {"agent_id": sandbox.agent_id, "msg_task_id": task_id})
    assert body["errcode"] == 400002


def test_status_bar_update_on_oa_notice(oapi, sandbox):
    task_id = oapi.send_notice(MSGS["oa"], userid_list="u0001")["task_id"]
    body = oapi.post(
        f"{PREFIX}/status_bar/update",
        {"agent_id": sandbox.agent_id, "task_id": task_id, "status_value": "已完成"},
    )
    assert body["errcode"] == 0
    assert body["request_id"]
    assert sandbox.task(task_id)["msg"]["oa"]["status_bar"]["status_value"] == "已完成"
    text_task = oapi.send_notice({"msgtype": "text", "text": {"content": "x"}}, userid_list="u0002")
    body = oapi.post(
        f"{PREFIX}/status_bar/update",
        {"agent_id": sandbox.agent_id, "task_id": text_task["task_id"], "status_value": "x"},
    )
    assert body["errcode"] == 40035


@pytest.mark.parametrize("field", ["userid_list", "dept_id_list"])
def test_id_lists_are_comma_separated_strings_not_arrays(oapi, sandbox, field):
    """§2.1 types userid_list/dept_id_list as comma-separated strings."""
    value = ["u0001", "u0002"] if field == "userid_list" else [9, 10]
    body = oapi.send_notice(**{field: value})
    assert body["errcode"] == 40035
    assert field in body["errmsg"]
    assert oapi.send_notice(dept_id_list=9)["errcode"] == 0  # one bare id is a number
    sandbox.set_knobs(loose_id_lists=True)
    assert (
        oapi.send_notice(**{field: value}, msg={"msgtype": "text", "text": {"content": "x"}})[
            "errcode"
        ]
        == 0
    )


@pytest.mark.parametrize(
    "msg",
    [
        {"msgtype": "text", "text": {"content": {"zh": "日报"}}},
        {"msgtype": "text", "text": {"content": 42}},
        {"msgtype": "markdown", "markdown": {"title": ["t"], "text": "# md"}},
        {"msgtype": "link", "link": {"messageUrl": 1, "picUrl": "@l", "title": "t", "text": "d"}},
    ],
)
def test_text_fields_must_be_strings(oapi, msg):
    body = oapi.send_notice(msg, userid_list="u0001")
    assert body["errcode"] == 40035


def test_isv_apps_get_the_third_party_forbidden_codes_and_cap(sandbox):
    """§2.1/§2.3: a third-party app's duplicate is 143206 and its daily cap (100) 143205."""
    from dashboard.dingtalk.isv import SuiteClient
    from dashboard.sandbox.isv import DEFAULT_SUITE_KEY, DEFAULT_SUITE_SECRET

    suite = SuiteClient(
        DEFAULT_SUITE_KEY,
        DEFAULT_SUITE_SECRET,
        lambda: "TestSuiteTicket",
        base_url=sandbox.base_url,
    )
    corp = suite.corp_client("dingisvcorpa", agent_id=sandbox.agent_id)
    notices = corp.messages

    def forbidden(content):
        text = {"msgtype": "text", "text": {"content": content}}
        task_id = notices.send_work_notice(text, userid_list=["u0001"])["task_id"]
        return notices.get_send_result(task_id)["send_result"]["forbidden_list"]

    assert forbidden("a") == []
    assert forbidden("a") == [{"code": "143206", "count": 1, "userid": "u0001"}]
    sandbox.set_knobs(isv_daily_per_user_cap=2)
    assert forbidden("b") == []
    assert forbidden("c") == [{"code": "143205", "count": 2, "userid": "u0001"}]
    assert sandbox.knobs()["isv_daily_per_user_cap"] == 2
    sandbox.reset()
    assert sandbox.knobs()["isv_daily_per_user_cap"] == 100


def test_another_apps_task_is_unknown(oapi, sandbox):
    """A task belongs to the app that sent it: the corpid app cannot query the appkey app's."""
    task_id = oapi.send_notice(userid_list="u0001")["task_id"]
    corp = oapi.gettoken(corpid=sandbox.corp_id, corpsecret=sandbox.corp_secret)["access_token"]
    body = {"agent_id": sandbox.agent_id, "task_id": task_id}
    reply = oapi.post(f"{PREFIX}/getsendresult", body, token=corp)
    assert reply["errcode"] == 400002
    assert oapi.task_call("getsendresult", task_id)["errcode"] == 0
