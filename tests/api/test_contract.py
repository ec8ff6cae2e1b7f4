"""What an independent client of the original service relies on beyond the happy path.

A body that is odd (deeply nested, huge, posted to a trailing-slash URL,
jQuery-style arrays) gets a JSON reply, never a 500; a missing field is
reported with the original message even when another field is also wrong.
"""

from __future__ import annotations

import json

import pytest


def post_raw(api, data, content_type="application/json", path="list_ids"):
    return api.client.post(
        f"/api/dingtalkserve/{path}",
        data=data,
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": content_type},
    )


def test_absurdly_nested_json_is_a_400_not_a_500(api, sandbox):
    for raw in ("[" * 100_000 + "]" * 100_000, '{"id":' * 100_000 + "1" + "}" * 100_000):
        response = post_raw(api, raw)
        assert response.status_code == 400
        assert response.get_json()["success"] is False


def test_a_huge_body_is_a_413_json_without_a_dingtalk_call(api, sandbox):
    before = sandbox.stats()["total"]
    response = post_raw(api, json.dumps({"id": 1, "padding": "x" * 9_000_000}))
    assert response.status_code == 413
    assert response.get_json()["success"] is False and response.get_json()["msg"]
    assert sandbox.stats()["total"] == before


def test_a_send_to_100000_userids_is_read_not_refused_as_too_large(api, sandbox):
    userids = ",".join(f"user{n:06d}" for n in range(100_000))  # about 1.2 MB
    before = sandbox.stats()["total"]
    # No msg: the body is read and answered with the missing field (nothing is sent).
    response = api("asyncsend_v2", {"userid_list": userids})
    assert response.status_code == 400, response.get_data(as_text=True)[:200]
    assert "msg" in response.get_json()["msg"]
    assert sandbox.stats()["total"] == before


def test_a_long_id_list_still_fits(api, sandbox):
    userids = ",".join(f"u{n:04d}" for n in range(1, 151))
    response = api("asyncsend_v2", {"userid_list": userids, "msg": "全员周报"})
    assert response.status_code == 202, response.get_data(as_text=True)
    data = response.get_json()["data"]
    assert data["batches"] == 2 and data["send_id"]


def test_a_trailing_slash_reaches_the_operation(api, sandbox):
    response = api.client.post(
        "/api/dingtalkserve/list_ids/",
        json={"id": 1},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 200
    assert response.get_json()["data"]["sub_dept_id_list"]


def test_get_is_a_405_json(api, sandbox):
    response = api.client.get(
        "/api/dingtalkserve/list_ids", headers={"Authorization": f"Bearer {api.token}"}
    )
    assert response.status_code == 405
    assert response.is_json and response.get_json()["success"] is False


def test_jquery_style_array_form_fields(api, sandbox):
    response = post_raw(
        api,
        "userid_list%5B%5D=u0002&userid_list%5B%5D=u0003&msg=hi",
        "application/x-www-form-urlencoded",
        "asyncsend_v2",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    task = sandbox.task(response.get_json()["data"]["task_id"])
    assert sorted(task["recipients"]) == ["u0002", "u0003"]

    one = post_raw(
        api,
        "name=%E7%BE%A4&owner=u0002&useridlist%5B%5D=u0002",
        "application/x-www-form-urlencoded",
        "createChat",
    )
    assert one.status_code == 200, one.get_data(as_text=True)


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("listbypage", {"department_id": "abc", "size": 10}, "偏移量不能为空"),
        ("listbypage", {"department_id": 1, "offset": -5}, "每页数量不能为空"),
        ("getReadList", {"cursor": "x", "size": 10}, "messageId不能为空"),
        ("asyncsend_v2", {"to_all_user": False, "msg": 42}, "userid_list,dept_id_list, to_all_user必须有一个不能为空"),
        ("asyncsend_v2", {"dept_id_list": "abc"}, "msg不能为空"),
        ("createChat", {"name": "x" * 30, "useridlist": "u1"}, "群主userid不能为空"),
    ],
)  # fmt: skip
def test_a_missing_field_is_reported_before_other_mistakes(api, sandbox, operation, body, message):
    response = api(operation, body)
    assert response.status_code == 400
    assert response.get_json() == {"success": False, "msg": message}


def test_a_list_of_nothing_is_missing(api, sandbox):
    response = api("asyncsend_v2", {"userid_list": " , ,", "msg": "x"})
    assert response.get_json() == {
        "success": False,
        "msg": "userid_list,dept_id_list, to_all_user必须有一个不能为空",
    }
    response = api("createChat", {"name": "群", "owner": "u0002", "useridlist": [" ", ""]})
    assert response.get_json() == {"success": False, "msg": "群成员不能为空"}
