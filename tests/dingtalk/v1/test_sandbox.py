"""The v1.0 client against the sandbox over HTTP: only the base URL differs from DingTalk.

The strict fake (fake_v1.py) pins each request's exact shape; here every
operation the console makes succeeds on the emulator, and the token, throttling
and partial-success behaviours of the reference hold end to end.
"""

from __future__ import annotations

import pytest

from dashboard.dingtalk import DingTalkClient, LocalRateLimiter, MemoryTokenStore, Throttled
from dashboard.dingtalk.v1 import V1Client


@pytest.fixture
def make_sandbox_v1(sandbox):
    def make(**overrides) -> V1Client:
        options = {
            "base_url": sandbox.base_url,
            "timeout": 5.0,
            "token_store": MemoryTokenStore(),
            "rate_limiter": LocalRateLimiter(rate=1000),
            "jitter": False,
            # Backoff moves the sandbox's clock instead of sleeping.
            "sleep": sandbox.advance,
        }
        options.update(overrides)
        return V1Client.for_app(sandbox.app_key, sandbox.app_secret, **options)

    return make


@pytest.fixture
def sv1(make_sandbox_v1) -> V1Client:
    return make_sandbox_v1()


def demo_user_ids(dingtalk, count: int) -> list[str]:
    """``count`` of the demo company's people (read through the classic client)."""
    users: list[str] = []
    for dept in dingtalk.departments.list_departments(1, fetch_child=True)["department"]:
        users.extend(dingtalk.users.list_department_member_ids(dept["id"])["userIds"])
        users = list(dict.fromkeys(users))
        if len(users) >= count:
            return users[:count]
    raise AssertionError(f"the demo company has fewer than {count} people")


@pytest.fixture
def people(dingtalk) -> list[str]:
    return demo_user_ids(dingtalk, 3)


def test_robot_1to1_send_read_status_and_recall(sv1, people):
    reply = sv1.robot.batch_send(
        [*people, "nobody-here"], "sampleMarkdown", {"title": "日报", "text": "## 请提交日报"}
    )
    assert reply["invalidStaffIdList"] == ["nobody-here"]
    key = reply["processQueryKey"]
    status = sv1.robot.read_status(key)
    assert sorted(r["userId"] for r in status["messageReadInfoList"]) == sorted(people)
    assert sv1.robot.recall([key])["successResult"] == [key]


def test_a_large_send_goes_out_in_calls_of_twenty(sv1, dingtalk, sandbox):
    outcomes = sv1.robot.send_to_users(demo_user_ids(dingtalk, 45), "sampleText", {"content": "hi"})
    assert [len(o.user_ids) for o in outcomes] == [20, 20, 5]
    assert all(o.error is None and o.process_query_key for o in outcomes)


def test_flow_controlled_people_are_listed_in_the_reply(sv1, people, sandbox):
    sandbox.set_knobs(robot_flow_controlled_users=[people[0]])
    reply = sv1.robot.batch_send(people, "sampleText", {"content": "hi"})
    assert reply["flowControlledStaffIdList"] == [people[0]]


def test_robot_flow_control_refusal_is_throttled_for_a_minute(sv1, people, sandbox):
    sandbox.set_knobs(robot_flow_control_code="send.too.fast", robot_user_minute_cap=1)
    sv1.robot.batch_send(people, "sampleText", {"content": "first"})
    with pytest.raises(Throttled) as caught:
        sv1.robot.batch_send(people, "sampleText", {"content": "second"})
    assert caught.value.api_code == "send.too.fast" and caught.value.retry_after == 60.0


def test_gateway_qps_limit_is_waited_out(make_sandbox_v1, people, sandbox):
    sandbox.set_knobs(v1_qps_limit=1)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        sandbox.advance(seconds)

    client = make_sandbox_v1(sleep=sleep)
    keys = [
        client.robot.batch_send(people, "sampleText", {"content": f"m{i}"})["processQueryKey"]
        for i in range(3)
    ]
    assert len(set(keys)) == 3
    assert slept and all(delay >= 1.0 for delay in slept)  # QpsLimitForAppkeyAndApi: ~1 s


def test_group_messages_in_a_group_of_the_robot(sv1):
    groups = sv1.group_messages.list_installed_groups()
    assert groups
    cid = groups[0]
    key = sv1.group_messages.send(
        cid,
        "sampleActionCard2",
        {
            "title": "审批",
            "text": "请处理",
            "actionTitle1": "同意",
            "actionURL1": "https://a.example/1",
            "actionTitle2": "拒绝",
            "actionURL2": "https://a.example/2",
        },
    )["processQueryKey"]
    read = sv1.group_messages.read_user_ids(cid, key)
    assert isinstance(read["readUserIds"], list)
    robots = sv1.group_messages.group_robots(cid)["chatbotInstanceVOList"]
    assert sv1.robot_code in [r["robotCode"] for r in robots]
    assert sv1.group_messages.recall(cid, [key])["successResult"] == [key]


def test_cards_to_a_group_and_to_people_then_update(sv1, people):
    cid = sv1.group_messages.list_installed_groups()[0]
    reply = sv1.cards.send_to_group(
        "ack.schema",
        "ack-001",
        {"title": "已阅", "count": 0, "done": False},
        cid,
        callback_type="HTTP",
        callback_route_key="console",
    )
    assert [r["success"] for r in reply["result"]["deliverResults"]] == [True]
    reply = sv1.cards.send_to_users("ack.schema", "ack-002", {"title": "确认"}, people)
    assert sorted(r["spaceId"] for r in reply["result"]["deliverResults"]) == sorted(people)
    assert sv1.cards.update("ack-001", {"count": 3}) == {"success": True, "result": True}


def test_card_callback_registration_keeps_an_existing_key_unless_forced(sv1):
    first = sv1.cards.register_callback("console", "http://127.0.0.1:9/a", api_secret="secret-one")
    kept = sv1.cards.register_callback("console", "http://127.0.0.1:9/b", api_secret="secret-two")
    forced = sv1.cards.register_callback(
        "console", "http://127.0.0.1:9/b", api_secret="secret-two", force_update=True
    )
    assert first["result"]["callbackUrl"] == kept["result"]["callbackUrl"] == "http://127.0.0.1:9/a"
    assert forced["result"] == {"callbackUrl": "http://127.0.0.1:9/b", "apiSecret": "secret-two"}


def test_groups_and_scene_groups(sv1, people):
    group = sv1.groups.create("项目组", people[0], people)
    assert group["openConversationId"].startswith("cid") and group["chatid"]
    assert sv1.groups.open_conversation_id(group["chatid"]) == group["openConversationId"]
    scene = sv1.groups.create_scene_group("值班群", "tpl-duty", people[0], user_ids=people)
    assert scene["open_conversation_id"].startswith("cid")


def test_a_revoked_token_is_refreshed_once(sv1, people, sandbox):
    sv1.robot.batch_send(people, "sampleText", {"content": "hi"})
    sandbox.revoke_tokens()
    assert sv1.robot.batch_send(people, "sampleText", {"content": "again"})["processQueryKey"]
    assert sandbox.stats()["total"] >= 4


def test_one_shared_token_serves_both_hosts(sandbox, make_sandbox_v1, people):
    store = MemoryTokenStore()
    classic = DingTalkClient(
        app_key=sandbox.app_key,
        app_secret=sandbox.app_secret,
        base_url=sandbox.base_url,
        token_store=store,
    )
    v1 = make_sandbox_v1(token_store=store, share_classic_token=True)
    classic.users.count_org_users(True)
    assert v1.robot.batch_send(people, "sampleText", {"content": "hi"})["processQueryKey"]
    assert v1.get_access_token() == classic.get_access_token()


def test_an_isv_company_gets_its_v1_token_from_corp_access_token(sandbox):
    from dashboard.sandbox.isv import DEFAULT_SUITE_KEY, DEFAULT_SUITE_SECRET, DEMO_CORP_A

    store = MemoryTokenStore()
    client = V1Client.for_suite_corp(
        DEFAULT_SUITE_KEY,
        DEFAULT_SUITE_SECRET,
        lambda: "TestSuiteTicket",
        DEMO_CORP_A,
        base_url=sandbox.base_url,
        token_store=store,
    )
    reply = client.cards.register_callback("console", "http://127.0.0.1:9/cards")
    assert reply["success"] is True
    assert store.get(f"v1:isv:{DEFAULT_SUITE_KEY}:{DEMO_CORP_A}") == client.get_access_token()


def test_a_button_press_is_called_back_signed_and_verifies(sv1, people, sandbox, serve):
    """A demo user presses a card button on the sandbox's page; the callback verifies."""
    import json

    import requests
    from werkzeug.wrappers import Request as WRequest
    from werkzeug.wrappers import Response as WResponse

    from dashboard.dingtalk.v1 import CardCallbackError, parse_callback, verify_signature
    from dashboard.dingtalk.v1.card_callbacks import callback_reply

    secret = "card-callback-secret-01"
    presses: list = []
    refused: list[str] = []

    def receiver(environ, start_response):
        request = WRequest(environ)
        try:
            verify_signature(request.headers, secret)
            press = parse_callback(request.get_data())
        except CardCallbackError as exc:
            refused.append(str(exc))
            return WResponse("refused", status=401)(environ, start_response)
        presses.append(press)
        reply = callback_reply({"status": "done"}, {"mine": True})
        return WResponse(json.dumps(reply), content_type="application/json")(
            environ, start_response
        )

    url = serve(receiver) + "/cards/callback"
    sv1.cards.register_callback("console", url, api_secret=secret, force_update=True)
    sv1.cards.send_to_users(
        "ack.schema",
        "ack-press-1",
        {"title": "确认", "status": "open"},
        people[:1],
        callback_type="HTTP",
        callback_route_key="console",
    )
    response = requests.post(
        f"{sandbox.base_url}/_sandbox/v1/press",
        data={"outTrackId": "ack-press-1", "userId": people[0], "action": "confirm"},
        timeout=5,
    )
    assert response.status_code < 400
    assert refused == []
    (press,) = presses
    assert (press.out_track_id, press.user_id) == ("ack-press-1", people[0])
    assert press.action_ids == ["confirm"], press.content
    assert press.params.get("action") == "confirm", press.content
