"""Robot group messages: the exact requests of §4 against the strict fake."""

from __future__ import annotations

import json

import pytest

from dashboard.dingtalk import InvalidMessage, PaginationError

from . import fake_v1

SEND = "/v1.0/robot/groupMessages/send"
QUERY = "/v1.0/robot/groupMessages/query"
RECALL = "/v1.0/robot/groupMessages/recall"


def test_group_send_wire_format(v1, v1_fake):
    reply = v1.group_messages.send(fake_v1.GROUP, "sampleText", {"content": "今天吃肘子"})
    (call,) = v1_fake.fake.calls(SEND)
    body = json.loads(call["raw"])
    assert body == {
        "robotCode": fake_v1.APP_KEY,
        "openConversationId": fake_v1.GROUP,
        "msgKey": "sampleText",
        "msgParam": '{"content":"今天吃肘子"}',
    }
    assert reply["processQueryKey"]


def test_cool_app_code_is_sent_when_given(v1, v1_fake):
    v1.group_messages.send(fake_v1.GROUP, "sampleText", {"content": "x"}, cool_app_code="COOL")
    assert json.loads(v1_fake.fake.calls(SEND)[0]["raw"])["coolAppCode"] == "COOL"


def test_group_msg_param_is_at_most_15000_bytes(v1):
    with pytest.raises(InvalidMessage, match="15000"):
        v1.group_messages.send(fake_v1.GROUP, "sampleText", {"content": "a" * 15001})


def test_read_user_ids_pages_until_has_more_is_false(v1, v1_fake):
    key = v1.group_messages.send(fake_v1.GROUP, "sampleText", {"content": "x"})["processQueryKey"]
    reply = v1.group_messages.read_user_ids(fake_v1.GROUP, key)
    assert sorted(reply["readUserIds"]) == sorted(fake_v1.USERS)
    calls = [json.loads(c["raw"]) for c in v1_fake.fake.calls(QUERY)]
    assert calls[0] == {
        "processQueryKey": key,
        "openConversationId": fake_v1.GROUP,
        "robotCode": fake_v1.APP_KEY,
        "maxResults": 200,
    }
    assert len(calls) == 1  # 62 readers: one page of 200


def test_query_page_size_is_bounded(v1):
    with pytest.raises(InvalidMessage, match="maxResults"):
        v1.group_messages.query(fake_v1.GROUP, "k", max_results=201)


def test_a_next_token_that_does_not_advance_is_a_pagination_error(v1, v1_fake):
    page = (
        200,
        {"sendStatus": "SUCCESS", "readUserIds": ["u1"], "hasMore": True, "nextToken": "same"},
    )
    v1_fake.fake.faults[QUERY] = [page, page]
    with pytest.raises(PaginationError):
        v1.group_messages.read_user_ids(fake_v1.GROUP, "k")


def test_group_recall_wire_format(v1, v1_fake):
    key = v1.group_messages.send(fake_v1.GROUP, "sampleText", {"content": "x"})["processQueryKey"]
    reply = v1.group_messages.recall(fake_v1.GROUP, [key])
    assert json.loads(v1_fake.fake.calls(RECALL)[0]["raw"]) == {
        "openConversationId": fake_v1.GROUP,
        "robotCode": fake_v1.APP_KEY,
        "processQueryKeys": [key],
    }
    assert reply["successResult"] == [key]


def test_installed_groups_reads_every_page(v1, v1_fake):
    assert v1.group_messages.list_installed_groups() == [fake_v1.GROUP, "cidOther=="]
    calls = [json.loads(c["raw"]) for c in v1_fake.fake.calls("/v1.0/robot/installed/groups/query")]
    assert calls == [
        {"robotCode": fake_v1.APP_KEY, "maxResult": 50},
        {"robotCode": fake_v1.APP_KEY, "maxResult": 50, "nextToken": "p2"},
    ]
