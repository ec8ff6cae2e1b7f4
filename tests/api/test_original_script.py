"""A script written for the original Koa service runs unchanged against this server.

It speaks plain HTTP with `requests` to a live server on 127.0.0.1 (in front of
the sandbox), with the original operation names, field names and reply shape;
the only addition is the Authorization header.
"""

from __future__ import annotations

import pytest
import requests

from dashboard.api.auth import create_token
from tests.conftest import _ServerThread


@pytest.fixture
def live_api(app):
    thread = _ServerThread(app)
    thread.start()
    yield thread.url
    thread.stop()


def original_script(base_url: str, token: str) -> dict[str, dict]:
    """What a caller of the old service did: POST each operation, read success and data."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    replies: dict[str, dict] = {}

    def call(operation: str, form: bool = False, **fields) -> dict:
        url = f"{base_url}/api/dingtalkserve/{operation}"
        response = (
            session.post(url, data=fields, timeout=10)
            if form
            else session.post(url, json=fields, timeout=10)
        )
        reply = response.json()
        if not reply["success"]:
            raise AssertionError(f"{operation}: {response.status_code} {reply}")
        replies[operation] = reply["data"]
        return reply["data"]

    task_id = call("asyncsend_v2", userid_list="u0002,u0003", to_all_user=False, msg="请提交周报")[
        "task_id"
    ]
    call("getsendprogress", task_id=task_id)
    call("getsendresult", task_id=task_id)
    call("list_ids", id=1)
    call("list", id=1, fetch_child=True)
    call("departmentget", id=2)
    call("list_parent_depts_by_dept", id=3)
    call("list_parent_depts", userId="u0002")
    call("get_org_user_count", onlyActive=0)
    unionid = call("userinfo", userid="u0002")["unionid"]
    call("getDeptMember", deptId=2)
    call("listbypage", form=True, department_id="2", offset="0", size="10")
    call("getUseridByUnionid", unionid=unionid)
    call("authScopes")
    chatid = call("createChat", name="周报群", owner="u0002", useridlist="u0002,u0003,u0004")[
        "chatid"
    ]
    call("chatInfo", chatid=chatid)
    message_id = call("chatSend", chatid=chatid, msg="周报已发")["messageId"]
    call("getReadList", messageId=message_id, cursor=0, size=3)
    return replies


def test_the_original_script_runs_every_operation(live_api, sandbox):
    token = create_token(name="koa-script", scope="send", created_by="admin")[1]
    replies = original_script(live_api, token)
    assert len(replies) == 18
    assert all(data["errcode"] == 0 for data in replies.values())
    assert replies["getUseridByUnionid"]["userid"] == "u0002"
    assert replies["get_org_user_count"]["count"] == 150
    stats = sandbox.stats()
    assert stats["gettoken"] == 1  # one token for the whole script, not one per request
