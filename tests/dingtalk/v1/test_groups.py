"""v1.0 groups: the exact requests of §5 against the strict fake."""

from __future__ import annotations

import json

import pytest

from dashboard.dingtalk import InvalidMessage


def test_group_create_wire_format(v1, v1_fake):
    reply = v1.groups.create(
        "项目组",
        "manager4220",
        ["manager4220", "zhangsan"],
        conversation_tag=2,
        management_options={"showHistoryType": 1},
    )
    body = json.loads(v1_fake.fake.calls("/v1.0/im/group/create")[0]["raw"])
    assert body == {
        "name": "项目组",
        "owner": "manager4220",
        "useridlist": ["manager4220", "zhangsan"],
        "conversationTag": 2,
        "managementOptions": {"showHistoryType": 1},
    }
    assert reply["openConversationId"] and reply["chatid"]


@pytest.mark.parametrize("name", ["", "名" * 21])
def test_group_name_is_1_to_20_characters(v1, name):
    with pytest.raises(InvalidMessage, match="name"):
        v1.groups.create(name, "manager4220", ["zhangsan"])


def test_scene_group_body_is_snake_case(v1, v1_fake):
    reply = v1.groups.create_scene_group(
        "值班群",
        "tpl-1",
        "manager4220",
        user_ids=["zhangsan"],
        uuid="retry-1",
        management_options={"searchable": 1},
    )
    body = json.loads(v1_fake.fake.calls("/v1.0/im/sceneGroup/create")[0]["raw"])
    assert body == {
        "title": "值班群",
        "template_id": "tpl-1",
        "owner_user_id": "manager4220",
        "user_ids": ["zhangsan"],
        "uuid": "retry-1",
        "management_options": {"searchable": 1},
    }
    assert reply["open_conversation_id"]


def test_unknown_management_options_are_refused(v1):
    with pytest.raises(InvalidMessage, match="unknown option"):
        v1.groups.create_scene_group("t", "tpl", "o", management_options={"searchAble": 1})


def test_a_classic_chatid_converts_to_its_open_conversation_id(v1, v1_fake):
    from . import fake_v1

    assert v1.groups.open_conversation_id("chat2b8a") == fake_v1.GROUP
    (call,) = [r for r in v1_fake.fake.requests if r["path"].startswith("/v1.0/im/chat/")]
    assert call["path"] == "/v1.0/im/chat/chat2b8a/convertToOpenConversationId"
    assert call["raw"] == b"{}"
