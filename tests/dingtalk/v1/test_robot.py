"""Robot 1:1 messages: the exact requests of §3 against the strict fake."""

from __future__ import annotations

import json

import pytest

from dashboard.dingtalk import InvalidMessage
from dashboard.dingtalk.v1 import batch_send_request, read_state, send_state

from . import fake_v1

SEND = "/v1.0/robot/oToMessages/batchSend"
READ = "/v1.0/robot/oToMessages/readStatus"
RECALL = "/v1.0/robot/otoMessages/batchRecall"


def test_batch_send_wire_format(v1, v1_fake):
    reply = v1.robot.batch_send(
        ["manager4220", "ghost"], "sampleMarkdown", {"title": "日报", "text": "## 请提交日报"}
    )
    (call,) = v1_fake.fake.calls(SEND)
    body = json.loads(call["raw"])
    assert list(body) == ["robotCode", "userIds", "msgKey", "msgParam"]
    assert body["robotCode"] == fake_v1.APP_KEY
    assert body["userIds"] == ["manager4220", "ghost"]
    assert isinstance(body["msgParam"], str)
    assert json.loads(body["msgParam"]) == {"title": "日报", "text": "## 请提交日报"}
    assert "日报" in call["raw"].decode("utf-8")  # UTF-8, not \\u escapes
    assert reply["invalidStaffIdList"] == ["ghost"] and reply["processQueryKey"]


def test_msg_param_values_go_out_as_strings(v1, v1_fake):
    v1.robot.batch_send(["zhangsan"], "sampleAudio", {"mediaId": "@lA", "duration": 3000})
    body = json.loads(v1_fake.fake.calls(SEND)[0]["raw"])
    assert json.loads(body["msgParam"]) == {"mediaId": "@lA", "duration": "3000"}


def test_a_msg_param_json_string_is_taken_as_dingtalk_takes_it(v1, v1_fake):
    v1.robot.batch_send(["zhangsan"], "sampleText", '{"content": "hi"}')
    body = json.loads(v1_fake.fake.calls(SEND)[0]["raw"])
    assert body["msgParam"] == '{"content":"hi"}'


def test_send_to_users_splits_in_calls_of_twenty(v1, v1_fake):
    users = [f"user{i:02d}" for i in range(45)]
    outcomes = v1.robot.send_to_users(users, "sampleText", {"content": "hi"})
    sizes = [len(json.loads(c["raw"])["userIds"]) for c in v1_fake.fake.calls(SEND)]
    assert sizes == [20, 20, 5]
    assert [o.user_ids for o in outcomes] == [users[:20], users[20:40], users[40:]]
    assert all(o.process_query_key and o.error is None for o in outcomes)


def test_a_refused_batch_does_not_stop_the_others(v1, v1_fake):
    v1_fake.fake.faults[SEND] = [
        (400, {"code": "send.forbidden", "message": "m", "requestid": "r"})
    ]
    outcomes = v1.robot.send_to_users(
        [f"user{i:02d}" for i in range(25)], "sampleText", {"content": "hi"}
    )
    assert outcomes[0].error.api_code == "send.forbidden"
    assert outcomes[1].process_query_key


def test_one_call_takes_at_most_twenty(v1, v1_fake):
    with pytest.raises(InvalidMessage, match="at most 20"):
        v1.robot.batch_send([f"user{i:02d}" for i in range(21)], "sampleText", {"content": "x"})
    assert v1_fake.fake.calls(SEND) == []


@pytest.mark.parametrize(
    ("key", "param", "match"),
    [
        ("sampleActionCard1", {"title": "t"}, "msgKey"),
        ("sampleText", {}, "needs content"),
        (
            "sampleActionCard6",
            {
                "title": "t",
                "text": "x",
                "buttonTitle1": "a",
                "actionURL1": "u",
                "buttonTitle2": "b",
                "buttonUrl2": "v",
            },
            "buttonUrl1",
        ),
        ("sampleText", "[1]", "JSON object"),
        ("sampleText", {"content": "字" * 5000}, "bytes"),
    ],
)
def test_bad_messages_are_refused_before_anything_is_sent(v1, v1_fake, key, param, match):
    with pytest.raises(InvalidMessage, match=match):
        v1.robot.batch_send(["zhangsan"], key, param)
    assert v1_fake.fake.calls(SEND) == []


def test_ids_must_be_strings():
    with pytest.raises(InvalidMessage, match="strings"):
        batch_send_request([123], "sampleText", {"content": "x"}, robot_code="r")


def test_the_prepared_request_is_what_is_sent(v1, v1_fake):
    request = v1.robot.batch_send_request(["zhangsan"], "sampleText", {"content": "hi"})
    v1.robot.batch_send(["zhangsan"], "sampleText", {"content": "hi"})
    assert json.loads(v1_fake.fake.calls(SEND)[0]["raw"]) == request.body
    assert (request.method, request.path) == ("POST", SEND)


def test_read_status_is_a_get_with_the_query(v1, v1_fake):
    key = v1.robot.batch_send(["zhangsan"], "sampleText", {"content": "hi"})["processQueryKey"]
    reply = v1.robot.read_status(key)
    (call,) = v1_fake.fake.calls(READ)
    assert call["method"] == "GET" and call["raw"] == b""
    assert call["query"] == {"robotCode": fake_v1.APP_KEY, "processQueryKey": key}
    assert [r["userId"] for r in reply["messageReadInfoList"]] == ["zhangsan"]


def test_recall_uses_the_lower_case_oto_path_and_merges_batches(v1, v1_fake):
    keys = [
        o.process_query_key
        for o in v1.robot.send_to_users(
            [f"user{i:02d}" for i in range(25)], "sampleText", {"content": "hi"}
        )
    ]
    reply = v1.robot.recall([*keys, "unknown="])
    calls = v1_fake.fake.calls(RECALL)
    assert len(calls) == 1
    assert json.loads(calls[0]["raw"]) == {
        "robotCode": fake_v1.APP_KEY,
        "processQueryKeys": [*keys, "unknown="],
    }
    assert reply["successResult"] == keys and list(reply["failedResult"]) == ["unknown="]
    assert v1.robot.read_status(keys[0])["sendStatus"] == "RECALLED"


def test_recall_over_twenty_keys_is_split(v1, v1_fake):
    reply = v1.robot.recall([f"k{i}=" for i in range(25)])
    assert [len(json.loads(c["raw"])["processQueryKeys"]) for c in v1_fake.fake.calls(RECALL)] == [
        20,
        5,
    ]
    assert len(reply["failedResult"]) == 25


def test_states_are_read_whatever_their_casing():
    assert read_state("read") == "READ" and read_state("UNREAD") == "UNREAD"
    assert read_state("gone") is None
    assert send_state("SUCESS") == "SUCCESS" and send_state("recalled") == "RECALLED"


def test_a_permission_refusal_leaves_the_remaining_batches_unsent(v1, v1_fake):
    refusal = (
        403,
        {
            "code": "Forbidden.AccessDenied.AccessTokenPermissionDenied",
            "message": "m",
            "requestid": "r",
        },
    )
    v1_fake.fake.faults[SEND] = [refusal]
    outcomes = v1.robot.send_to_users(
        [f"user{i:02d}" for i in range(45)], "sampleText", {"content": "hi"}
    )
    assert [o.sent for o in outcomes] == [True, False, False]
    assert all(o.error is outcomes[0].error for o in outcomes)
    assert len(v1_fake.fake.calls(SEND)) == 1
