"""Envelopes, routing, verbs, Content-Type and form bodies (§0.1, §12.1, §12.9)."""

from __future__ import annotations

import json

SEND = "/topapi/message/corpconversation/asyncsend_v2"
PROGRESS = "/topapi/message/corpconversation/getsendprogress"


def test_success_is_http_200_application_json(oapi):
    response = oapi.raw_get("/department/list_ids", id=1)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["errcode"] == 0
    assert body["errmsg"] == "ok"
    assert "request_id" not in body


def test_errors_are_http_200_too(oapi):
    response = oapi.raw_get("/department/get", id=999)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"errcode": 60003, "errmsg": "部门不存在: 999"}


def test_topapi_replies_carry_request_id(oapi):
    body = oapi.send_notice(userid_list="u0001")
    assert body["errcode"] == 0
    assert isinstance(body["task_id"], int)
    assert isinstance(body["request_id"], str) and body["request_id"]


def test_topapi_errors_carry_request_id(oapi):
    body = oapi.post(PROGRESS, {"agent_id": 100001, "task_id": 1})
    assert body["errcode"] == 400002
    assert body["request_id"]


def test_unknown_classic_path_is_errcode_404(oapi):
    response = oapi.raw_get("/department/nothing")
    assert response.status_code == 200
    assert response.json() == {"errcode": 404, "errmsg": "请求的URI地址不存在"}


def test_unknown_topapi_method_is_errcode_22(oapi):
    body = oapi.post("/topapi/app/remove_auth", {})
    assert body["errcode"] == 22
    assert body["sub_msg"] == "不合法ApiName，ApiName = dingtalk.oapi.app.remove_auth"
    assert body["errmsg"] == f"Invalid method[submsg={body['sub_msg']}]"
    assert body["request_id"]


def test_unknown_paths_are_answered_before_the_token_check(oapi):
    assert oapi.get("/nothing/here", token=None)["errcode"] == 404


def test_classic_post_without_json_content_type_is_43004(oapi):
    body = oapi.post(
        "/chat/create",
        data="name=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert body["errcode"] == 43004


def test_classic_post_with_empty_body_is_44002(oapi):
    body = oapi.post("/chat/create", data=b"", headers={"Content-Type": "application/json"})
    assert body["errcode"] == 44002


def test_broken_json_is_47001(oapi):
    body = oapi.post("/chat/create", data=b"{oops", headers={"Content-Type": "application/json"})
    assert body["errcode"] == 47001


def test_wrong_verb_is_accepted_by_default(oapi):
    assert oapi.post("/department/list_ids?id=1", {})["errcode"] == 0


def test_wrong_verb_is_rejected_when_enforced(oapi, sandbox):
    sandbox.set_knobs(enforce_http_method=True)
    assert oapi.post("/department/list_ids?id=1", {})["errcode"] == 43001
    assert oapi.get(SEND)["errcode"] == 43002
    assert oapi.get("/department/list_ids", id=1)["errcode"] == 0


def test_topapi_accepts_form_urlencoded_with_string_values(oapi, sandbox):
    form = {
        "agent_id": str(sandbox.agent_id),
        "userid_list": "u0001,u0002",
        "to_all_user": "false",
        "msg": json.dumps(oapi.text_msg, ensure_ascii=False),
    }
    body = oapi.post(SEND, data=form)
    assert body["errcode"] == 0
    progress = oapi.post(
        PROGRESS, data={"agent_id": str(sandbox.agent_id), "task_id": str(body["task_id"])}
    )
    assert progress["errcode"] == 0
    assert progress["progress"]["status"] == 0


def test_topapi_form_body_may_carry_access_token(oapi, sandbox):
    form = {
        "access_token": oapi.token,
        "agent_id": str(sandbox.agent_id),
        "userid_list": "u0001",
        "msg": json.dumps(oapi.text_msg),
    }
    assert oapi.post(SEND, data=form, token=None)["errcode"] == 0


def test_topapi_json_accepts_string_numbers_and_booleans(oapi, sandbox):
    body = {
        "agent_id": str(sandbox.agent_id),
        "to_all_user": "true",
        "msg": oapi.text_msg,
    }
    assert oapi.post(SEND, body)["errcode"] == 0


def test_bad_boolean_is_40035(oapi, sandbox):
    body = {"agent_id": sandbox.agent_id, "to_all_user": "maybe", "msg": oapi.text_msg}
    assert oapi.post(SEND, body)["errcode"] == 40035


def test_msg_as_broken_json_string_is_40035(oapi, sandbox):
    form = {"agent_id": str(sandbox.agent_id), "userid_list": "u0001", "msg": "{nope"}
    assert oapi.post(SEND, data=form)["errcode"] == 40035


def test_json_body_never_carries_access_token(oapi, sandbox):
    """§0.1: access_token is a query parameter; a client that puts it in a JSON body fails."""
    body = {"access_token": oapi.token, "agent_id": sandbox.agent_id, "msg": oapi.text_msg}
    body["userid_list"] = "u0001"
    reply = oapi.post(SEND, body, token=None)
    assert (reply["errcode"], reply["sub_code"]) == (88, "41001")
    chat = {"access_token": oapi.token, "name": "群", "owner": "u0001", "useridlist": ["u0001"]}
    assert oapi.post("/chat/create", chat, token=None)["errcode"] == 41001


def test_json_body_token_does_not_override_the_query_token(oapi, sandbox):
    body = {"access_token": "stale", "agent_id": sandbox.agent_id, "msg": oapi.text_msg}
    body["userid_list"] = "u0001"
    assert oapi.post(SEND, body)["errcode"] == 0


def test_post_fields_in_the_query_string_are_ignored_by_default(oapi, sandbox):
    """Unverified 4: a POST endpoint reads its fields from the body only, unless the knob says."""
    query = {"access_token": oapi.token, "agent_id": str(sandbox.agent_id)}
    body = {"userid_list": "u0001", "msg": oapi.text_msg}
    url = f"{oapi.base_url}{SEND}"
    assert oapi.session.post(url, params=query, json=body).json()["errcode"] == 41011
    chat_query = {"access_token": oapi.token, "name": "群", "owner": "u0001"}
    reply = oapi.session.post(
        f"{oapi.base_url}/chat/create", params=chat_query, json={"useridlist": ["u0001"]}
    )
    assert reply.json()["errcode"] == 40035
    sandbox.set_knobs(query_params_on_post=True)
    assert oapi.session.post(url, params=query, json=body).json()["errcode"] == 0
