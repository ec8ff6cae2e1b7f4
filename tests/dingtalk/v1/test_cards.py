"""Interactive cards: the exact requests of §6 against the strict fake."""

from __future__ import annotations

import json

import pytest

from dashboard.dingtalk import InvalidMessage, NotFound
from dashboard.dingtalk.v1 import card_param_map

from . import fake_v1

CREATE = "/v1.0/card/instances/createAndDeliver"
TEMPLATE = "db56f2c2-f609-4878-9a34-46f6a0194a73.schema"


def test_card_param_values_go_out_as_strings():
    assert card_param_map(
        {
            "amount": 1000,
            "done": True,
            "off": False,
            "rate": 1.5,
            "tags": ["a", "乙"],
            "title": "报销",
        }
    ) == {
        "amount": "1000",
        "done": "true",
        "off": "false",
        "rate": "1.5",
        "tags": '["a","乙"]',
        "title": "报销",
    }


def test_card_param_sizes_are_bounded():
    with pytest.raises(InvalidMessage, match="1024"):
        card_param_map({"k": "x" * 1025})
    with pytest.raises(InvalidMessage, match="100"):
        card_param_map({"k" * 101: "x"})


def test_group_card_wire_format(v1, v1_fake):
    reply = v1.cards.send_to_group(
        TEMPLATE,
        "appr-001",
        {"title": "报销", "amount": 1000, "done": False},
        fake_v1.GROUP,
        callback_type="HTTP",
        callback_route_key="console",
    )
    body = json.loads(v1_fake.fake.calls(CREATE)[0]["raw"])
    assert body == {
        "cardTemplateId": TEMPLATE,
        "outTrackId": "appr-001",
        "cardData": {"cardParamMap": {"title": "报销", "amount": "1000", "done": "false"}},
        "callbackType": "HTTP",
        "callbackRouteKey": "console",
        "openSpaceId": f"dtv1.card//IM_GROUP.{fake_v1.GROUP}",
        "imGroupOpenSpaceModel": {"supportForward": True},
        "imGroupOpenDeliverModel": {"robotCode": fake_v1.APP_KEY},
    }
    (result,) = reply["result"]["deliverResults"]
    assert result["success"] and result["spaceType"] == "IM_GROUP"


def test_robot_card_to_people_wire_format(v1, v1_fake):
    reply = v1.cards.send_to_users(
        TEMPLATE, "appr-002", {"title": "确认"}, ["zhangsan", "ghost"], callback_type="STREAM"
    )
    body = json.loads(v1_fake.fake.calls(CREATE)[0]["raw"])
    assert body["openSpaceId"] == "dtv1.card//IM_ROBOT.zhangsan;IM_ROBOT.ghost"
    assert body["imRobotOpenDeliverModel"] == {
        "spaceType": "IM_ROBOT",
        "robotCode": fake_v1.APP_KEY,
    }
    assert body["imRobotOpenSpaceModel"] == {"supportForward": True}
    results = {r["spaceId"]: r["success"] for r in reply["result"]["deliverResults"]}
    assert results == {"zhangsan": True, "ghost": False}


def test_out_track_id_length_and_callback_options_are_checked(make_v1):
    v1 = make_v1(max_out_track_id=8)
    with pytest.raises(InvalidMessage, match="outTrackId"):
        v1.cards.group_card_request(TEMPLATE, "x" * 9, {}, fake_v1.GROUP)
    with pytest.raises(InvalidMessage, match="callbackType"):
        v1.cards.group_card_request(TEMPLATE, "t", {}, fake_v1.GROUP, callback_type="http")
    with pytest.raises(InvalidMessage, match="HTTP"):
        v1.cards.group_card_request(TEMPLATE, "t", {}, fake_v1.GROUP, callback_route_key="k")


def test_update_is_a_put_merging_by_key(v1, v1_fake):
    v1.cards.send_to_group(TEMPLATE, "appr-003", {"title": "报销", "done": False}, fake_v1.GROUP)
    assert v1.cards.update("appr-003", {"done": True}) == {"success": True, "result": True}
    (call,) = v1_fake.fake.calls("/v1.0/card/instances")
    assert call["method"] == "PUT"
    assert json.loads(call["raw"]) == {
        "outTrackId": "appr-003",
        "cardData": {"cardParamMap": {"done": "true"}},
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
    }
    assert v1_fake.fake.cards["appr-003"]["data"] == {"title": "报销", "done": "true"}


def test_update_of_an_unknown_card_is_not_found(v1):
    with pytest.raises(NotFound):
        v1.cards.update("nope", {"done": True})


def test_register_callback_wire_format(v1, v1_fake):
    reply = v1.cards.register_callback(
        "console",
        "https://console.example/cards/callback",
        api_secret="card-secret-123",
        force_update=True,
    )
    body = json.loads(v1_fake.fake.calls("/v1.0/card/callbacks/register")[0]["raw"])
    assert body == {
        "callbackRouteKey": "console",
        "callbackUrl": "https://console.example/cards/callback",
        "apiSecret": "card-secret-123",
        "forceUpdate": True,
    }
    assert reply["result"] == {
        "callbackUrl": "https://console.example/cards/callback",
        "apiSecret": "card-secret-123",
    }
