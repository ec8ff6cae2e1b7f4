"""Run INSIDE the SDK virtualenv (not the project's): the official SDKs, unchanged, on the sandbox.

    DINGTALK_OPENAPI_ENDPOINT=http://127.0.0.1:PORT python sdk_calls.py APP_KEY APP_SECRET

Only the endpoint differs from production: `alibabacloud-dingtalk` gets it through its
Config (protocol http, endpoint host:port), `dingtalk-stream` through the environment
variable it reads at import time (shared/dingtalk-v1.md §10.14). Prints one JSON object
{"ok": [call names], "failed": {name: error}} and exits 1 when a call failed. It imports
nothing from the project.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
import urllib.request
from urllib.parse import urlsplit

from alibabacloud_dingtalk.card_1_0 import client as card_client
from alibabacloud_dingtalk.card_1_0 import models as card
from alibabacloud_dingtalk.im_1_0 import client as im_client
from alibabacloud_dingtalk.im_1_0 import models as im
from alibabacloud_dingtalk.oauth2_1_0 import client as oauth_client
from alibabacloud_dingtalk.oauth2_1_0 import models as oauth
from alibabacloud_dingtalk.robot_1_0 import client as robot_client
from alibabacloud_dingtalk.robot_1_0 import models as robot
from alibabacloud_tea_openapi import models as open_api
from alibabacloud_tea_util import models as util
from Tea.exceptions import TeaException

BASE = os.environ["DINGTALK_OPENAPI_ENDPOINT"]
APP_KEY, APP_SECRET = sys.argv[1], sys.argv[2]
RUNTIME = util.RuntimeOptions()
OK: list[str] = []
FAILED: dict[str, str] = {}


def config() -> open_api.Config:
    parts = urlsplit(BASE)
    return open_api.Config(protocol=parts.scheme, region_id="central", endpoint=parts.netloc)


def check(name, fn):
    try:
        result = fn()
    except Exception as exc:  # noqa: BLE001 - every failure is reported by name
        FAILED[name] = f"{type(exc).__name__}: {exc}"[:500]
        traceback.print_exc(file=sys.stderr)
        return None
    OK.append(name)
    return result


def expect(condition: object, message: str) -> object:
    """`condition` when truthy, else AssertionError(message) (for use inside lambdas)."""
    if not condition:
        raise AssertionError(message)
    return condition


def sandbox_state() -> dict:
    with urllib.request.urlopen(f"{BASE}/_sandbox/v1/state", timeout=10) as reply:
        return json.loads(reply.read())


def alibabacloud_calls() -> None:
    auth = oauth_client.Client(config())
    token = check(
        "oauth2.get_access_token",
        lambda: (
            auth.get_access_token(
                oauth.GetAccessTokenRequest(app_key=APP_KEY, app_secret=APP_SECRET)
            ).body.access_token
        ),
    )
    assert token
    check(
        "oauth2.get_corp_access_token (ISV)",
        lambda: expect(
            auth.get_corp_access_token(
                oauth.GetCorpAccessTokenRequest(
                    auth_corp_id="dingisvcorpa",
                    suite_key="suitesandboxkey",
                    suite_secret="suite-sandbox-secret",
                    suite_ticket="ticket",
                )
            ).body.access_token,
            "no corp token",
        ),
    )

    def bad_token():
        try:
            robot_client.Client(config()).batch_send_otowith_options(
                robot.BatchSendOTORequest(
                    robot_code=APP_KEY,
                    user_ids=["manager01"],
                    msg_key="sampleText",
                    msg_param='{"content":"x"}',
                ),
                robot.BatchSendOTOHeaders(x_acs_dingtalk_access_token="nope"),
                RUNTIME,
            )
        except TeaException as exc:
            assert exc.code == "InvalidAuthentication", exc.code
            assert exc.data["statusCode"] == 400
            return
        raise AssertionError("no TeaException")

    bots = robot_client.Client(config())
    hdr = lambda cls: cls(x_acs_dingtalk_access_token=token)  # noqa: E731
    check("robot error envelope -> TeaException", bad_token)

    def throttled():
        try:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{BASE}/_sandbox/faults",
                    data=json.dumps(
                        {"kind": "throttle", "path": "/v1.0/robot/groupMessages/send"}
                    ).encode(),
                    headers={"Content-Type": "application/json"},
                ),
                timeout=10,
            )
            bots.org_group_send_with_options(
                robot.OrgGroupSendRequest(
                    robot_code=APP_KEY,
                    open_conversation_id="cid",
                    msg_key="sampleText",
                    msg_param='{"content":"x"}',
                ),
                hdr(robot.OrgGroupSendHeaders),
                RUNTIME,
            )
        except TeaException as exc:
            expect(exc.code == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", exc.code)
            expect(exc.data["statusCode"] == 403, exc.data)
            return
        raise AssertionError("no TeaException")

    check("robot throttling -> TeaException 403", throttled)
    sent = check(
        "robot.batch_send_oto",
        lambda: (
            bots.batch_send_otowith_options(
                robot.BatchSendOTORequest(
                    robot_code=APP_KEY,
                    user_ids=["manager01", "ghost"],
                    msg_key="sampleMarkdown",
                    msg_param=json.dumps({"title": "日报", "text": "## 请提交日报"}),
                ),
                hdr(robot.BatchSendOTOHeaders),
                RUNTIME,
            ).body
        ),
    )
    key = sent.process_query_key
    assert sent.invalid_staff_id_list == ["ghost"]
    check(
        "robot.batch_otoquery",
        lambda: (
            bots.batch_otoquery_with_options(
                robot.BatchOTOQueryRequest(robot_code=APP_KEY, process_query_key=key),
                hdr(robot.BatchOTOQueryHeaders),
                RUNTIME,
            )
            .body.message_read_info_list[0]
            .user_id
        ),
    )
    check(
        "robot.batch_recall_oto",
        lambda: (
            bots.batch_recall_otowith_options(
                robot.BatchRecallOTORequest(robot_code=APP_KEY, process_query_keys=[key]),
                hdr(robot.BatchRecallOTOHeaders),
                RUNTIME,
            ).body.success_result
            == [key]
            or expect(False, "not recalled")
        ),
    )
    cids = check(
        "robot.query_robot_instance_in_group_info",
        lambda: (
            bots.query_robot_instance_in_group_info_with_options(
                robot.QueryRobotInstanceInGroupInfoRequest(robot_code=APP_KEY, max_result=20),
                hdr(robot.QueryRobotInstanceInGroupInfoHeaders),
                RUNTIME,
            ).body.open_conversation_ids
        ),
    )
    cid = cids[0]
    check(
        "robot.get_bot_list_in_group",
        lambda: (
            bots.get_bot_list_in_group_with_options(
                robot.GetBotListInGroupRequest(open_conversation_id=cid),
                hdr(robot.GetBotListInGroupHeaders),
                RUNTIME,
            )
            .body.chatbot_instance_volist[0]
            .robot_code
        ),
    )
    group_key = check(
        "robot.org_group_send",
        lambda: (
            bots.org_group_send_with_options(
                robot.OrgGroupSendRequest(
                    robot_code=APP_KEY,
                    open_conversation_id=cid,
                    msg_key="sampleText",
                    msg_param=json.dumps({"content": "今天吃肘子"}),
                ),
                hdr(robot.OrgGroupSendHeaders),
                RUNTIME,
            ).body.process_query_key
        ),
    )
    check(
        "robot.org_group_query",
        lambda: (
            bots.org_group_query_with_options(
                robot.OrgGroupQueryRequest(
                    robot_code=APP_KEY,
                    open_conversation_id=cid,
                    process_query_key=group_key,
                    max_results=200,
                ),
                hdr(robot.OrgGroupQueryHeaders),
                RUNTIME,
            ).body.send_status
        ),
    )
    check(
        "robot.org_group_recall",
        lambda: (
            bots.org_group_recall_with_options(
                robot.OrgGroupRecallRequest(
                    robot_code=APP_KEY, open_conversation_id=cid, process_query_keys=[group_key]
                ),
                hdr(robot.OrgGroupRecallHeaders),
                RUNTIME,
            ).body.success_result
        ),
    )

    cards = card_client.Client(config())
    check(
        "card.register_callback",
        lambda: (
            cards.register_callback_with_options(
                card.RegisterCallbackRequest(
                    callback_route_key="sdk", callback_url="http://127.0.0.1:9/cb", api_secret="s"
                ),
                hdr(card.RegisterCallbackHeaders),
                RUNTIME,
            ).body.success
        ),
    )
    delivered = check(
        "card.create_and_deliver",
        lambda: (
            cards.create_and_deliver_with_options(
                card.CreateAndDeliverRequest(
                    card_template_id="sandbox-ack.schema",
                    out_track_id="sdk-card-1",
                    callback_type="HTTP",
                    callback_route_key="sdk",
                    card_data=card.CreateAndDeliverRequestCardData(
                        card_param_map={"title": "报销", "amount": "1000"}
                    ),
                    open_space_id=f"dtv1.card//IM_GROUP.{cid}",
                    im_group_open_space_model=card.CreateAndDeliverRequestImGroupOpenSpaceModel(
                        support_forward=True
                    ),
                    im_group_open_deliver_model=card.CreateAndDeliverRequestImGroupOpenDeliverModel(
                        robot_code=APP_KEY
                    ),
                ),
                hdr(card.CreateAndDeliverHeaders),
                RUNTIME,
            ).body
        ),
    )
    assert delivered.result.deliver_results[0].success
    check(
        "card.update_card",
        lambda: (
            cards.update_card_with_options(
                card.UpdateCardRequest(
                    out_track_id="sdk-card-1",
                    card_data=card.UpdateCardRequestCardData(card_param_map={"done": "true"}),
                    card_update_options=card.UpdateCardRequestCardUpdateOptions(
                        update_card_data_by_key=True
                    ),
                ),
                hdr(card.UpdateCardHeaders),
                RUNTIME,
            ).body.result
        ),
    )

    groups = im_client.Client(config())
    created = check(
        "im.create_group",
        lambda: (
            groups.create_group_with_options(
                im.CreateGroupRequest(
                    name="SDK 群", owner="manager01", useridlist=["manager01", "manager02"]
                ),
                hdr(im.CreateGroupHeaders),
                RUNTIME,
            ).body
        ),
    )
    check(
        "im.chat_id_to_open_conversation_id",
        lambda: (
            groups.chat_id_to_open_conversation_id_with_options(
                created.chatid, hdr(im.ChatIdToOpenConversationIdHeaders), RUNTIME
            ).body.open_conversation_id
            == created.open_conversation_id
            or expect(False, "wrong openConversationId")
        ),
    )
    check(
        "im.create_scene_group",
        lambda: (
            groups.create_scene_group_with_options(
                im.CreateSceneGroupRequest(
                    title="SDK 场景群",
                    template_id="tpl",
                    owner_user_id="manager01",
                    user_ids=["manager02"],
                ),
                hdr(im.CreateSceneGroupHeaders),
                RUNTIME,
            ).body.open_conversation_id
        ),
    )


def stream_sdk_calls() -> None:
    import dingtalk_stream
    from dingtalk_stream.card_replier import CardReplier

    client = dingtalk_stream.DingTalkStreamClient(dingtalk_stream.Credential(APP_KEY, APP_SECRET))
    check("stream.get_access_token", lambda: expect(client.get_access_token(), "no token"))
    cid = sandbox_state()["robotGroups"]
    cid = next(iter(cid))
    incoming = dingtalk_stream.ChatbotMessage.from_dict(
        {
            "conversationType": "2",
            "conversationId": cid,
            "senderStaffId": "manager01",
            "senderId": "$:x",
            "msgId": "m1",
            "msgtype": "text",
            "text": {"content": "hi"},
        }
    )
    replier = CardReplier(client, incoming)
    card_id = check(
        "stream.CardReplier.create_and_send_card",
        lambda: expect(
            replier.create_and_send_card("sandbox-ack.schema", {"title": "SDK"}), "no card"
        ),
    )
    check(
        "stream.CardReplier.put_card_data",
        lambda: (
            replier.put_card_data(card_id, {"title": "SDK 2"})
            or expect(_card(card_id)["cardParamMap"] == {"title": "SDK 2"}, "not updated")
        ),
    )
    second = check(
        "stream.CardReplier.create_and_deliver_card",
        lambda: replier.create_and_deliver_card("sandbox-ack.schema", {"title": "SDK 3"}),
    )
    check(
        "stream.create_and_deliver_card reached the sandbox",
        lambda: expect(_card(second), "card missing"),
    )


def _card(out_track_id: str) -> dict:
    return next((c for c in sandbox_state()["cards"] if c["outTrackId"] == out_track_id), {})


if __name__ == "__main__":
    for step in (alibabacloud_calls, stream_sdk_calls):
        check(step.__name__, step)
    print(json.dumps({"ok": OK, "failed": FAILED}, ensure_ascii=False))
    sys.exit(1 if FAILED else 0)
