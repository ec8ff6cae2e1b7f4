"""robotSend, robotReadStatus, robotRecall, robotGroupSend, robotGroupReadStatus."""

from __future__ import annotations

import pytest

from dashboard.api.auth import create_token
from dashboard.sandbox.v1.control import V1SandboxControl
from tests.api.conftest import ApiCaller


@pytest.fixture
def api(app, client, sandbox):
    sandbox.set_knobs(robot_read_ratio=0.0)
    return ApiCaller(client, create_token(name="bot", scope="send", created_by="admin")[1])


@pytest.fixture
def v1(sandbox):
    return V1SandboxControl(sandbox.base_url)


def test_robot_send_read_status_and_recall(api, v1, sandbox):
    reply = api(
        "robotSend",
        {
            "userIds": ["manager01", "nosuchuser"],
            "msgKey": "sampleText",
            "msgParam": '{"content":"hi"}',
        },
    )
    assert reply.status_code == 200, reply.json
    data = reply.json["data"]
    assert data["invalidStaffIdList"] == ["nosuchuser"] and data["processQueryKey"]
    v1.read(data["processQueryKey"], "manager01")
    sandbox.advance(5)
    status = api("robotReadStatus", {"send_id": data["send_id"]}).json["data"]
    assert status["messageReadInfoList"][0] == {
        "userId": "manager01", "name": "陈立新", "readStatus": "READ",
        "readTimestamp": status["messageReadInfoList"][0]["readTimestamp"],
    }  # fmt: skip
    assert status["invalidStaffIdList"] == ["nosuchuser"]
    raw = api("robotReadStatus", {"processQueryKey": data["processQueryKey"]}).json["data"]
    assert raw["messageReadInfoList"]
    assert api("sendStatus", {"send_id": data["send_id"]}).json["data"]["state"] in (
        "completed",
        "partial",
    )
    recalled = api("robotRecall", {"processQueryKeys": [data["processQueryKey"]]}).json["data"]
    assert recalled["successResult"] == [data["processQueryKey"]]
    assert v1.message(data["processQueryKey"])["recalled"]


def test_a_large_robot_send_answers_202_with_its_send_id(api, app):
    app.config["DINGTALK_ROBOT_USER_BATCH"] = 2
    reply = api(
        "robotSend",
        {"dept_id_list": [2], "msgKey": "sampleMarkdown", "msgParam": {"title": "t", "text": "x"}},
    )
    assert reply.status_code == 202
    send_id = reply.json["data"]["send_id"]
    assert api("sendStatus", {"send_id": send_id}).json["data"]["counts"]["batches"] > 1


def test_bad_input_is_400_with_a_message(api):
    assert (
        api("robotSend", {"msgKey": "sampleText", "msgParam": {"content": "x"}}).status_code == 400
    )
    reply = api(
        "robotSend", {"userIds": ["manager01"], "msgKey": "sampleLink", "msgParam": {"title": "x"}}
    )
    assert reply.status_code == 400 and reply.json["msg"]
    assert (
        api("robotSend", {"userIds": ["manager01"], "msgKey": "nope", "msgParam": {}}).status_code
        == 400
    )
    assert (
        api("robotSend", {"userIds": ["m"], "msgKey": "sampleText", "msgParam": "[1]"}).status_code
        == 400
    )
    assert api("robotReadStatus", {}).status_code == 400
    assert api("robotReadStatus", {"send_id": 999}).status_code == 404


def test_group_send_and_read_status(api, v1):
    cid = v1.robot_group_ids()[0]
    reply = api(
        "robotGroupSend",
        {"openConversationId": cid, "msgKey": "sampleText", "msgParam": {"content": "hi"}},
    )
    assert reply.status_code == 200, reply.json
    key = reply.json["data"]["processQueryKey"]
    member = v1.message(key)["recipients"][0]["userId"]
    v1.read(key, member)
    read = api("robotGroupReadStatus", {"openConversationId": cid, "processQueryKey": key}).json[
        "data"
    ]
    assert member in read["readUserIds"]
