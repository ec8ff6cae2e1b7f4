"""Every operation of the original service: success, required-field messages, fixed bugs."""

from __future__ import annotations

import pytest

from dashboard.api.operations import CLASSIC_OPERATIONS, OPERATION_LIST, OPERATIONS


def ok(response) -> dict:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["success"] is True
    assert body["data"]["errcode"] == 0
    return body["data"]


def refused(response, status: int, msg: str) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json() == {"success": False, "msg": msg}


def test_the_table_has_the_eighteen_original_operations_then_send_status():
    assert OPERATION_LIST[: len(CLASSIC_OPERATIONS)] == CLASSIC_OPERATIONS  # then the areas'
    assert len(OPERATIONS) == len(OPERATION_LIST)  # no two operations share a name
    assert [op.name for op in CLASSIC_OPERATIONS] == [
        "asyncsend_v2", "getsendprogress", "getsendresult", "list_ids", "list",
        "departmentget", "list_parent_depts_by_dept", "list_parent_depts",
        "get_org_user_count", "userinfo", "getDeptMember", "listbypage",
        "getUseridByUnionid", "authScopes", "createChat", "chatInfo", "chatSend", "getReadList",
        "sendStatus",
    ]  # fmt: skip


# --- success of every operation ---------------------------------------------------------


def test_asyncsend_v2_then_progress_and_result(api, sandbox):
    data = ok(api("asyncsend_v2", {"userid_list": "u0002,u0003", "msg": "请提交日报"}))
    task_id = data["task_id"]
    assert data["errmsg"] == "ok" and data["request_id"]
    assert sandbox.task(task_id)["msg"] == {"msgtype": "text", "text": {"content": "请提交日报"}}

    progress = ok(api("getsendprogress", {"task_id": task_id}))
    assert progress["progress"]["status"] in (0, 1, 2)
    result = ok(api("getsendresult", {"task_id": str(task_id)}))
    assert "send_result" in result


def test_asyncsend_v2_to_departments_and_to_everyone(api, sandbox):
    assert ok(api("asyncsend_v2", {"dept_id_list": [3, 4], "msg": "部门通知"}))["task_id"]
    assert ok(api("asyncsend_v2", {"to_all_user": True, "msg": "全员通知"}))["task_id"]


def test_asyncsend_v2_accepts_a_full_msg_object(api, sandbox):
    msg = {"msgtype": "markdown", "markdown": {"title": "周报", "text": "# 本周"}}
    data = ok(api("asyncsend_v2", {"userid_list": ["u0002"], "msg": msg}))
    assert sandbox.task(data["task_id"])["msg"] == msg


def test_department_operations(api, sandbox):
    assert ok(api("list_ids", {"id": 1}))["sub_dept_id_list"]
    departments = ok(api("list", {"id": 1, "fetch_child": True, "lang": "zh_CN"}))["department"]
    assert {d["id"] for d in departments} >= {2, 3}
    assert ok(api("departmentget", {"id": 3}))["id"] == 3
    assert ok(api("list_parent_depts_by_dept", {"id": 3}))["parentIds"][-1] == 1
    assert ok(api("list_parent_depts", {"userId": "u0002"}))["department"]


def test_user_operations(api, sandbox):
    total = ok(api("get_org_user_count", {"onlyActive": 0}))["count"]
    active = ok(api("get_org_user_count", {"onlyActive": 1}))["count"]
    assert total == 150 and active < total

    user = ok(api("userinfo", {"userid": "u0002"}))
    assert user["userid"] == "u0002"
    members = ok(api("getDeptMember", {"deptId": 1}))["userIds"]
    assert isinstance(members, list)
    page = ok(api("listbypage", {"department_id": 1, "offset": 0, "size": 10}))
    assert len(page["userlist"]) <= 10
    found = ok(api("getUseridByUnionid", {"unionid": user["unionid"]}))
    assert found["userid"] == "u0002"
    assert ok(api("authScopes"))["auth_org_scopes"]["authed_dept"] == [1]


def test_chat_operations(api, sandbox):
    created = ok(
        api("createChat", {"name": "项目群", "owner": "u0002", "useridlist": "u0002,u0003,u0004"})
    )
    chatid = created["chatid"]
    info = ok(api("chatInfo", {"chatid": chatid}))["chat_info"]
    assert info["owner"] == "u0002" and set(info["useridlist"]) == {"u0002", "u0003", "u0004"}

    sent = ok(api("chatSend", {"chatid": chatid, "msg": "大家好"}))
    message_id = sent["messageId"]
    readers = ok(api("getReadList", {"messageId": message_id, "cursor": 0, "size": 3}))
    assert "readUserIdList" in readers


# --- required fields: the original messages ---------------------------------------------

REQUIRED = [
    (op.name, f.name, f.required)
    for op in CLASSIC_OPERATIONS
    for f in op.fields
    if f.required and op.name not in ("asyncsend_v2", "createChat")
]
#: The areas' operations (schedules, templates, robot, cards, audit, ...): each area's
#: tests cover its fields; here, every one refuses an empty body with its own message.
AREA_OPERATIONS = [op for op in OPERATION_LIST if op not in CLASSIC_OPERATIONS]
VALID = {
    "getsendprogress": {"task_id": 1},
    "getsendresult": {"task_id": 1},
    "list_ids": {"id": 1},
    "list": {"id": 1},
    "departmentget": {"id": 1},
    "list_parent_depts_by_dept": {"id": 1},
    "list_parent_depts": {"userId": "u0002"},
    "get_org_user_count": {"onlyActive": 0},
    "userinfo": {"userid": "u0002"},
    "getDeptMember": {"deptId": 1},
    "listbypage": {"department_id": 1, "offset": 0, "size": 10},
    "getUseridByUnionid": {"unionid": "x"},
    "chatInfo": {"chatid": "chat1"},
    "chatSend": {"chatid": "chat1", "msg": "hi"},
    "getReadList": {"messageId": "m1", "cursor": 0, "size": 10},
    "sendStatus": {"send_id": 1},
}


@pytest.mark.parametrize("op", AREA_OPERATIONS, ids=lambda op: op.name)
def test_each_area_operation_refuses_an_empty_body_before_any_call(api, sandbox, op):
    required = [f for f in op.fields if f.required]
    before = sandbox.stats()["total"]
    response = api(op.name, {})
    if required or op.requires is not None:
        assert response.status_code == 400, response.get_data(as_text=True)
        body = response.get_json()
        assert body["success"] is False and body["msg"]
    else:
        assert response.status_code < 500, response.get_data(as_text=True)
    assert sandbox.stats()["total"] == before  # nothing reached DingTalk


@pytest.mark.parametrize(("operation", "field", "message"), REQUIRED)
@pytest.mark.parametrize("blank", [None, " "], ids=["absent", "blank"])
def test_each_missing_field_gets_the_original_message(
    api, sandbox, operation, field, message, blank
):
    body = dict(VALID[operation])
    if blank is None:
        body.pop(field)
    else:
        body[field] = blank
    before = sandbox.stats()["total"]
    refused(api(operation, body), 400, message)
    assert sandbox.stats()["total"] == before  # nothing reached DingTalk


def test_the_required_messages_are_the_originals():
    messages = {(op, f): m for op, f, m in REQUIRED}
    assert messages[("list_ids", "id")] == "父部门id不能为空"
    assert messages[("list_parent_depts", "userId")] == "用户id不能为空"
    assert messages[("get_org_user_count", "onlyActive")] == "激活钉钉状态不能为空"
    assert messages[("listbypage", "offset")] == "偏移量不能为空"
    assert messages[("getReadList", "size")] == "每页数量不能为空"


def test_asyncsend_v2_required_messages(api, sandbox):
    recipients = "userid_list,dept_id_list, to_all_user必须有一个不能为空"
    refused(api("asyncsend_v2", {"msg": "hi"}), 400, recipients)
    refused(
        api("asyncsend_v2", {"msg": "hi", "to_all_user": False, "userid_list": ""}), 400, recipients
    )
    refused(api("asyncsend_v2", {"userid_list": "u0002"}), 400, "msg不能为空")
    refused(api("asyncsend_v2", {"to_all_user": "true", "msg": " "}), 400, "msg不能为空")


def test_create_chat_required_messages(api, sandbox):
    full = {"name": "群", "owner": "u0002", "useridlist": "u0002,u0003"}
    for field, message in (
        ("name", "群名称不能为空"),
        ("owner", "群主userid不能为空"),
        ("useridlist", "群成员不能为空"),
    ):
        body = {k: v for k, v in full.items() if k != field}
        refused(api("createChat", body), 400, message)
    refused(api("createChat", full | {"owner": "u0009"}), 400, "群主必须为群成员")


def test_chat_send_missing_msg(api, sandbox):
    refused(api("chatSend", {"chatid": "chat1"}), 400, "群消息不能为空")


# --- the original service's bugs, fixed ---------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("get_org_user_count", {"onlyActive": 0}),
        ("get_org_user_count", {"onlyActive": "0"}),
        ("listbypage", {"department_id": 1, "offset": 0, "size": 5}),
        ("listbypage", {"department_id": 1, "offset": "0", "size": "5"}),
    ],
)
def test_zero_is_a_value_not_a_missing_field(api, sandbox, operation, body):
    ok(api(operation, body))


def test_cursor_zero_is_accepted(api, sandbox):
    chatid = ok(
        api("createChat", {"name": "群", "owner": "u0002", "useridlist": ["u0002", "u0003"]})
    )["chatid"]
    message_id = ok(api("chatSend", {"chatid": chatid, "msg": "hi"}))["messageId"]
    ok(api("getReadList", {"messageId": message_id, "cursor": 0, "size": 2}))


def test_only_active_zero_counts_everyone(api, sandbox):
    api("get_org_user_count", {"onlyActive": 0})
    assert ok(api("get_org_user_count", {"onlyActive": 0}))["count"] == 150


def test_owner_must_be_an_exact_member_not_a_substring(api, sandbox):
    before = sandbox.stats()["calls"].get("/chat/create", 0)
    refused(
        api("createChat", {"name": "群", "owner": "u1", "useridlist": "u10,u2"}),
        400,
        "群主必须为群成员",
    )
    refused(
        api("createChat", {"name": "群", "owner": "u0002", "useridlist": "u00021,u0003"}),
        400,
        "群主必须为群成员",
    )
    assert sandbox.stats()["calls"].get("/chat/create", 0) == before


def test_auth_scopes_calls_the_single_slash_path(api, sandbox):
    ok(api("authScopes"))
    calls = sandbox.stats()["calls"]
    assert calls.get("/auth/scopes") == 1
    assert not any("//" in path for path in calls)


def test_the_access_token_is_fetched_once_not_per_request(app, api, sandbox):
    app.config["DIRECTORY_DETAIL_TTL"] = 0  # every read reaches DingTalk
    for _ in range(5):
        ok(api("authScopes"))
    stats = sandbox.stats()
    assert stats["gettoken"] == 1
    assert stats["calls"]["/auth/scopes"] == 5


# --- bodies -----------------------------------------------------------------------------


def test_form_encoded_bodies_are_coerced(api, sandbox):
    data = ok(
        api(
            "asyncsend_v2",
            form={"userid_list": "u0002,u0003", "to_all_user": "false", "msg": "表单"},
        )
    )
    assert sandbox.task(data["task_id"])["msg"]["text"]["content"] == "表单"
    ok(api("get_org_user_count", form={"onlyActive": "0"}))
    page = ok(api("listbypage", form={"department_id": "1", "offset": "0", "size": "2"}))
    assert 1 <= len(page["userlist"]) <= 2
    assert ok(api("list", form={"id": "1", "fetch_child": "false"}))["department"]
    created = ok(
        api("createChat", form={"name": "表单群", "owner": "u0002", "useridlist": "u0002,u0003"})
    )
    sent = ok(api("chatSend", form={"chatid": created["chatid"], "msg": "hi"}))
    ok(api("getReadList", form={"messageId": sent["messageId"], "cursor": "0", "size": "2"}))


def test_repeated_form_fields_make_a_list(api, sandbox):
    body = {"name": "群", "owner": "u0002", "useridlist": ["u0002", "u0003"]}
    response = api.client.post(
        "/api/dingtalkserve/createChat",
        data=body,
        headers={"Authorization": f"Bearer {api.token}"},
    )
    chatid = ok(response)["chatid"]
    info = ok(api("chatInfo", {"chatid": chatid}))["chat_info"]
    assert set(info["useridlist"]) == {"u0002", "u0003"}


@pytest.mark.parametrize(
    ("operation", "body", "fragment"),
    [
        ("list_ids", {"id": "abc"}, "id"),
        ("list_ids", {"id": 0}, "id"),
        ("listbypage", {"department_id": 1, "offset": -1, "size": 10}, "offset"),
        ("listbypage", {"department_id": 1, "offset": 0, "size": 101}, "size"),
        ("get_org_user_count", {"onlyActive": "maybe"}, "onlyActive"),
        ("userinfo", {"userid": {"a": 1}}, "userid"),
        ("list", {"id": 1, "lang": "fr_FR"}, "lang"),
        ("asyncsend_v2", {"dept_id_list": "x,y", "msg": "hi"}, "dept_id_list"),
        ("asyncsend_v2", {"userid_list": "u0002", "msg": {"msgtype": "nope"}}, "msg"),
        ("asyncsend_v2", {"userid_list": "u0002", "msg": "字" * 1000}, "msg"),
        ("getReadList", {"messageId": "m", "cursor": True, "size": 10}, "cursor"),
        ("createChat", {"name": "x" * 21, "owner": "u0002", "useridlist": "u0002"}, ""),
    ],
)
def test_invalid_values_get_a_clear_400(api, sandbox, operation, body, fragment):
    response = api(operation, body)
    assert response.status_code == 400, response.get_data(as_text=True)
    reply = response.get_json()
    assert reply["success"] is False and fragment in reply["msg"]


def test_a_body_that_is_not_an_object_is_a_400(api, sandbox):
    for raw in ("[1, 2]", "{not json", '"text"'):
        response = api.client.post(
            "/api/dingtalkserve/list_ids",
            data=raw,
            headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
        )
        assert response.status_code == 400
        assert response.get_json()["success"] is False


def test_unknown_operation_is_a_404_json(api, sandbox):
    response = api("deleteEverything", {})
    assert response.status_code == 404
    body = response.get_json()
    assert body["success"] is False and "deleteEverything" in body["msg"]


def test_messages_follow_the_locale_but_required_messages_stay_original(app, api, sandbox):
    english = {"Accept-Language": "en"}
    # a fresh app context per call, as in production (the fixture keeps one open, and g with it)
    with app.app_context():
        assert api("nope", {}).get_json()["msg"] == "未知的操作 nope。"
    with app.app_context():
        assert api("nope", {}, headers=english).get_json()["msg"] == "Unknown operation nope."
    with app.app_context():
        refused(api("list_ids", {}, headers=english), 400, "父部门id不能为空")
