"""V1SandboxControl: the helper other tests use to read, press and inspect."""

from __future__ import annotations

import json

import pytest

from dashboard.sandbox.demo import ROBOT_GROUP_DEPTS
from dashboard.sandbox.v1.control import V1SandboxControl, V1SandboxControlError


def test_control_reads_presses_and_resets_with_the_sandbox(api, sandbox):
    v1 = V1SandboxControl(api.base_url)
    cids = v1.robot_group_ids()
    assert len(cids) == len(ROBOT_GROUP_DEPTS)
    body = {
        "robotCode": api.robot_code,
        "userIds": ["manager01"],
        "msgKey": "sampleText",
        "msgParam": json.dumps({"content": "x"}),
    }
    key = api.post("/v1.0/robot/oToMessages/batchSend", body).json()["processQueryKey"]
    assert v1.read(key, "manager01")["recipients"][0]["read"] is True
    assert v1.message(key)["recipients"][0]["readAt"]
    with pytest.raises(V1SandboxControlError):
        v1.press("nope", "manager01", "read")
    v1.set_robot_member(cids[0], member=False)
    assert len(v1.robot_group_ids(api.robot_code)) == len(cids) - 1
    sandbox.reset()
    assert v1.state()["messages"] == [] and len(v1.robot_group_ids()) == len(cids)


def test_suite_access_token(api):
    body = {
        "suiteKey": "suitesandboxkey",
        "suiteSecret": "suite-sandbox-secret",
        "suiteTicket": "t",
    }
    reply = api.session.post(f"{api.base_url}/v1.0/oauth2/suiteAccessToken", json=body)
    assert set(reply.json()) == {"accessToken", "expireIn"}
