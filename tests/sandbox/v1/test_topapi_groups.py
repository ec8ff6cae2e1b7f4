"""dingtalk-v1.md §5.3: classic topapi scene groups on the oapi host, shared with v1.0."""

from __future__ import annotations

import json


def test_topapi_scene_group_lifecycle(oapi, api):
    created = oapi.post(
        "/topapi/im/chat/scenegroup/create",
        {
            "title": "客户群",
            "template_id": "tpl-9",
            "owner_user_id": "manager01",
            "user_ids": "manager02,manager03",
        },
    )
    assert created["errcode"] == 0 and created["success"] is True and created["request_id"]
    cid = created["result"]["open_conversation_id"]
    assert created["result"]["chat_id"].startswith("chat")
    info = oapi.post("/topapi/im/chat/scenegroup/get", {"open_conversation_id": cid})["result"]
    assert info["member_amount"] == 3 and info["template_id"] == "tpl-9"
    assert set(info["management_options"].values()) == {"0"}
    added = oapi.post(
        "/topapi/im/chat/scenegroup/member/add",
        {"open_conversation_id": cid, "user_ids": "manager04"},
    )
    assert added["success"] is True
    array = oapi.post(
        "/topapi/im/chat/scenegroup/member/add",
        {"open_conversation_id": cid, "user_ids": ["manager05"]},
    )
    assert array["errcode"] == 40035  # a comma string, not an array (§10.4)
    # The template's robot is in the group: the v1.0 host sends to it.
    send = {
        "robotCode": api.robot_code,
        "openConversationId": cid,
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "hi"}),
    }
    assert api.post("/v1.0/robot/groupMessages/send", send).status_code == 200


def test_unknown_scene_group_and_token_errors_use_the_topapi_envelope(oapi):
    missing = oapi.post("/topapi/im/chat/scenegroup/get", {"open_conversation_id": "cidnope"})
    assert missing["errcode"] != 0 and "request_id" in missing
    bad = oapi.post("/topapi/im/chat/scenegroup/get", {"open_conversation_id": "x"}, token="bad")
    assert (bad["errcode"], bad["sub_code"]) == (88, "40014")


def test_topapi_scene_group_create_can_be_closed(oapi, sandbox):
    sandbox.set_knobs(topapi_scenegroup_create_errcode=400002)
    body = {"title": "t", "template_id": "tpl", "owner_user_id": "manager01"}
    assert oapi.post("/topapi/im/chat/scenegroup/create", body)["errcode"] == 400002
