"""§3, §4: robot 1:1 batches and group messages, read states over time, recall, limits."""

from __future__ import annotations

import json

import pytest

from dashboard.sandbox.demo import ROBOT_GROUP_DEPTS
from dashboard.sandbox.state import department_chat_id
from tests.sandbox.v1.v1api import assert_error

BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
READ_STATUS = "/v1.0/robot/oToMessages/readStatus"
RECALL = "/v1.0/robot/otoMessages/batchRecall"
MARKDOWN = json.dumps({"title": "日报", "text": "## 请提交日报"}, ensure_ascii=False)


def send(api, user_ids, msg_key="sampleMarkdown", msg_param=MARKDOWN, **extra):
    body = {
        "robotCode": api.robot_code,
        "userIds": user_ids,
        "msgKey": msg_key,
        "msgParam": msg_param,
        **extra,
    }
    return api.post(BATCH_SEND, body)


def robot_group(api) -> str:
    """The openConversationId of a demo group with the robot in it."""
    cids = api.post("/v1.0/robot/installed/groups/query", {"robotCode": api.robot_code}).json()
    assert len(cids["openConversationIds"]) == len(ROBOT_GROUP_DEPTS)
    return cids["openConversationIds"][0]


def test_batch_send_lists_unknown_and_throttled_users(api, sandbox):
    sandbox.set_knobs(robot_flow_controlled_users="manager02")
    reply = send(api, ["manager01", "ghost", "manager02", "manager01"])
    assert reply.status_code == 200
    body = reply.json()
    assert body["invalidStaffIdList"] == ["ghost"]
    assert body["flowControlledStaffIdList"] == ["manager02"]
    key = body["processQueryKey"]
    assert len(key) == 44 and key.endswith("=") and "+" in key and "/" in key


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"robotCode": ""}, "invalidParameter.robotCode.empty"),
        ({"robotCode": "dingother"}, "invalidParameter.robotCode.notExsit"),
        ({"userIds": []}, "invalidParameter.userIds.empty"),
        ({"userIds": [f"u{i}" for i in range(21)]}, "invalidParameter.userIds.overMax"),
        ({"userIds": "manager01"}, "parameter.invalid"),
        ({"userIds": [1234]}, "parameter.invalid"),
        ({"msgKey": ""}, "invalidParameter.msgKey.empty"),
        ({"msgKey": "sampleActionCard1"}, "invalidParameter.msgKey.invalid"),
        ({"msgParam": {"title": "a", "text": "b"}}, "invalidParameter.msgParam.invalid"),
        ({"msgParam": "not json"}, "invalidParameter.msgParam.invalid"),
        ({"msgParam": json.dumps({"title": "a"})}, "invalidParameter.msgParam.invalid"),
        ({"msgParam": json.dumps({"title": "a", "text": 1})}, "invalidParameter.msgParam.invalid"),
        (
            {"msgParam": json.dumps({"title": "a", "text": "x" * 15000})},
            "invalidParameter.msgParam.tooLong",
        ),
    ],
)
def test_batch_send_refusals(api, change, code):
    body = {
        "robotCode": api.robot_code,
        "userIds": ["manager01"],
        "msgKey": "sampleMarkdown",
        "msgParam": MARKDOWN,
        **change,
    }
    assert_error(api.post(BATCH_SEND, body), 400, code)


def test_twenty_users_is_the_limit(api):
    assert send(api, [f"u{i}" for i in range(20)]).status_code == 200


def test_action_card6_uses_button_url(api):
    good = json.dumps(
        {
            "title": "t",
            "text": "x",
            "buttonTitle1": "a",
            "buttonUrl1": "http://a",
            "buttonTitle2": "b",
            "buttonUrl2": "http://b",
        }
    )
    assert send(api, ["manager01"], "sampleActionCard6", good).status_code == 200
    wrong = good.replace("buttonUrl", "actionURL")
    assert_error(
        send(api, ["manager01"], "sampleActionCard6", wrong),
        400,
        "invalidParameter.msgParam.invalid",
    )


def test_read_status_changes_over_time_and_on_the_page(api, sandbox):
    users = ["manager01", "manager02", "manager03", "manager04", "manager05"]
    key = send(api, users).json()["processQueryKey"]
    query = {"robotCode": api.robot_code, "processQueryKey": key}
    first = api.get(READ_STATUS, **query).json()
    assert first["sendStatus"] == "PROCESSING"
    assert [i["readStatus"] for i in first["messageReadInfoList"]] == ["UNREAD"] * 5
    assert first["messageReadInfoList"][0]["name"]
    api.control_post("/read", {"key": key, "userId": "manager03"})
    sandbox.advance(2)
    second = api.get(READ_STATUS, **query).json()
    assert second["sendStatus"] == "SUCCESS"
    read = {i["userId"]: i for i in second["messageReadInfoList"]}
    assert read["manager03"]["readStatus"] == "READ"
    assert isinstance(read["manager03"]["readTimestamp"], int)
    sandbox.advance(3600)
    later = api.get(READ_STATUS, **query).json()["messageReadInfoList"]
    assert sum(i["readStatus"] == "READ" for i in later) >= 2
    sandbox.advance(86400)
    api._token = None  # the token expired meanwhile
    assert_error(api.get(READ_STATUS, **query), 400, "invalidParameter.processQueryKey.invalid")


def test_read_status_needs_both_parameters(api):
    assert_error(api.get(READ_STATUS, processQueryKey="x"), 400, "invalidParameter.robotCode.empty")
    assert_error(api.get(READ_STATUS, robotCode=api.robot_code), 400, "MissingprocessQueryKey")


def test_batch_recall_within_24_hours(api, sandbox):
    fresh = send(api, ["manager01"]).json()["processQueryKey"]
    old = send(api, ["manager02"]).json()["processQueryKey"]
    body = {"robotCode": api.robot_code, "processQueryKeys": [old]}
    sandbox.advance(86401)
    api._token = None
    fresh2 = send(api, ["manager01"]).json()["processQueryKey"]
    body["processQueryKeys"] = [fresh2, old, "nope"]
    reply = api.post(RECALL, body).json()
    assert reply == {
        "successResult": [fresh2],
        "failedResult": {old: "system error", "nope": "system error"},
    }
    status = api.get(READ_STATUS, robotCode=api.robot_code, processQueryKey=fresh2).json()
    assert status["sendStatus"] == "RECALLED"
    too_many = {"robotCode": api.robot_code, "processQueryKeys": [f"k{i}" for i in range(21)]}
    assert api.post(RECALL, too_many).status_code == 400
    assert fresh


def test_group_send_query_and_recall(api, sandbox):
    cid = robot_group(api)
    body = {
        "robotCode": api.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "今天吃肘子"}, ensure_ascii=False),
    }
    reply = api.post("/v1.0/robot/groupMessages/send", body)
    assert reply.status_code == 200 and set(reply.json()) == {"processQueryKey"}
    key = reply.json()["processQueryKey"]
    query = {
        "processQueryKey": key,
        "openConversationId": cid,
        "robotCode": api.robot_code,
        "maxResults": 2,
    }
    first = api.post("/v1.0/robot/groupMessages/query", query).json()
    assert first["readUserIds"] == [] and first["hasMore"] is False
    sandbox.advance(3600)
    readers = []
    page = api.post("/v1.0/robot/groupMessages/query", query).json()
    while True:
        assert len(page["readUserIds"]) <= 2
        assert [u["userId"] for u in page["readUsers"]] == page["readUserIds"]
        readers += page["readUserIds"]
        if not page["hasMore"]:
            break
        page = api.post(
            "/v1.0/robot/groupMessages/query", dict(query, nextToken=page["nextToken"])
        ).json()
    assert len(readers) >= 2 and len(set(readers)) == len(readers)
    assert_error(
        api.post("/v1.0/robot/groupMessages/query", dict(query, maxResults=201)),
        400,
        "invalidParameter.maxResults.invalid",
    )
    recall = {
        "robotCode": api.robot_code,
        "openConversationId": cid,
        "processQueryKeys": [key, "x"],
    }
    assert api.post("/v1.0/robot/groupMessages/recall", recall).json() == {
        "successResult": [key],
        "failedResult": {"x": "SYSTEM_ERROR"},
    }


def test_group_send_refusals(api, sandbox):
    cid = robot_group(api)
    body = {
        "robotCode": api.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "x"}),
    }
    assert_error(
        api.post("/v1.0/robot/groupMessages/send", dict(body, robotCode="dingother")),
        400,
        "invalidParameter.robotCode.auth",
    )
    assert_error(
        api.post("/v1.0/robot/groupMessages/send", dict(body, openConversationId="cidnope")),
        400,
        "invalid.openConversationId",
    )
    other = next(
        c["openConversationId"]
        for c in api.control_get("/groups")
        if c["chatid"] == department_chat_id(4)  # 市场部: the robot is not a member
    )
    assert_error(
        api.post("/v1.0/robot/groupMessages/send", dict(body, openConversationId=other)),
        400,
        "resource.unavailable",
    )
    api.control_post("/robot_groups", {"openConversationId": other})
    assert (
        api.post("/v1.0/robot/groupMessages/send", dict(body, openConversationId=other)).status_code
        == 200
    )
    big = json.dumps({"content": "字" * 5001}, ensure_ascii=False)
    assert_error(
        api.post("/v1.0/robot/groupMessages/send", dict(body, msgParam=big)),
        400,
        "invalidParameter.msgParam.tooLong",
    )


def test_robots_of_a_group(api):
    cid = robot_group(api)
    robots = api.post("/v1.0/robot/groups/robots/query", {"openConversationId": cid}).json()
    assert api.robot_code in [r["robotCode"] for r in robots["chatbotInstanceVOList"]]


def test_an_isv_company_sends_with_the_suite_robot(api):
    body = {
        "authCorpId": "dingisvcorpa",
        "suiteKey": "suitesandboxkey",
        "suiteSecret": "suite-sandbox-secret",
        "suiteTicket": "any",
    }
    url = f"{api.base_url}/v1.0/oauth2/corpAccessToken"
    token = api.session.post(url, json=body).json()["accessToken"]
    cid = robot_group(api)
    send = {
        "robotCode": "suitesandboxkey",
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "x"}),
    }
    assert api.post("/v1.0/robot/groupMessages/send", send, token=token).status_code == 200
    wrong = dict(send, robotCode=api.robot_code)
    assert_error(
        api.post("/v1.0/robot/groupMessages/send", wrong, token=token),
        400,
        "invalidParameter.robotCode.auth",
    )
