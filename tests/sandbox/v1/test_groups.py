"""§5: groups created on the v1.0 host (camelCase) and scene groups (snake_case)."""

from __future__ import annotations

import json

from tests.sandbox.v1.v1api import assert_error


def test_group_create_then_the_robot_can_send(api):
    body = {"name": "项目群", "owner": "manager01", "useridlist": ["manager02", "manager03"]}
    reply = api.post("/v1.0/im/group/create", body)
    assert reply.status_code == 200
    group = reply.json()
    assert set(group) == {"chatid", "openConversationId", "conversationTag"}
    assert group["openConversationId"].startswith("cid")
    # The classic host sees the same group.
    info = api.session.get(
        f"{api.base_url}/chat/get", params={"access_token": api.token, "chatid": group["chatid"]}
    ).json()["chat_info"]
    assert info["owner"] == "manager01" and "manager03" in info["useridlist"]
    send = {
        "robotCode": api.robot_code,
        "openConversationId": group["openConversationId"],
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "hi"}),
    }
    assert api.post("/v1.0/robot/groupMessages/send", send).status_code == 200
    converted = api.post(f"/v1.0/im/chat/{group['chatid']}/convertToOpenConversationId")
    assert converted.json() == {"openConversationId": group["openConversationId"]}


def test_group_create_refusals(api, sandbox):
    body = {"name": "x" * 21, "owner": "manager01", "useridlist": ["manager02"]}
    assert_error(api.post("/v1.0/im/group/create", body), 400, "parameter.invalid")
    assert_error(
        api.post("/v1.0/im/group/create", dict(body, name="a", useridlist="manager02")),
        400,
        "parameter.invalid",
    )
    assert_error(
        api.post("/v1.0/im/group/create", {"name": "a", "owner": "manager01"}),
        400,
        "Missinguseridlist",
    )
    sandbox.set_knobs(group_quota=0)
    assert_error(api.post("/v1.0/im/group/create", dict(body, name="a")), 500, "system.error")


def test_scene_group_is_snake_case_and_deduplicated_by_uuid(api):
    body = {
        "title": "客户群",
        "template_id": "tpl-1",
        "owner_user_id": "manager01",
        "user_ids": ["manager02"],
        "uuid": "retry-1",
    }
    first = api.post("/v1.0/im/sceneGroup/create", body).json()
    assert set(first) == {"open_conversation_id", "chat_id"}
    assert api.post("/v1.0/im/sceneGroup/create", body).json() == first
    cid = first["open_conversation_id"]
    add = {"open_conversation_id": cid, "user_ids": ["manager03"]}
    assert api.post("/v1.0/im/sceneGroup/member/add", add).json() == {"success": True}
    info = api.post("/v1.0/im/sceneGroups/query", {"openConversationId": cid}).json()
    assert info["title"] == "客户群" and info["ownerUserId"] == "manager01"
    robots = api.post("/v1.0/robot/groups/robots/query", {"openConversationId": cid}).json()
    assert robots["chatbotInstanceVOList"]
    assert_error(
        api.post("/v1.0/im/sceneGroup/create", dict(body, uuid="", title="t" * 31)),
        400,
        "parameter.invalid",
    )
    assert_error(
        api.post("/v1.0/im/sceneGroup/create", dict(body, uuid="", owner_user_id="ghost")),
        400,
        "permession.checkFailed",
    )


def test_scene_group_robot_install_can_lag(api, sandbox):
    sandbox.set_knobs(robot_install_delay=2)
    body = {"title": "新群", "template_id": "tpl-1", "owner_user_id": "manager01"}
    cid = api.post("/v1.0/im/sceneGroup/create", body).json()["open_conversation_id"]
    send = {
        "robotCode": api.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "hi"}),
    }
    assert_error(api.post("/v1.0/robot/groupMessages/send", send), 400, "resource.unavailable")
    sandbox.advance(2)
    assert api.post("/v1.0/robot/groupMessages/send", send).status_code == 200


def test_camel_case_scene_group_twin(api):
    body = {
        "groupName": "客户群",
        "templateId": "tpl",
        "groupOwnerId": "manager01",
        "userIdList": ["manager02"],
    }
    reply = api.post("/v1.0/im/sceneGroups", body).json()
    assert set(reply) == {"openConversationId"}
    info = api.post(
        "/v1.0/im/sceneGroups/query", {"openConversationId": reply["openConversationId"]}
    )
    assert info.json()["templateId"] == "tpl"
