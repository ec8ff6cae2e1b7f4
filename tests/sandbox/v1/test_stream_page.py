"""The sandbox's Stream page (`/_sandbox/v1/stream/`) and its forms, with the Flask test client."""

from __future__ import annotations

import pytest

from dashboard.sandbox import create_sandbox_app
from dashboard.sandbox.settings import SandboxSettings


@pytest.fixture
def page():
    return create_sandbox_app(SandboxSettings()).test_client()


def test_the_page_lists_forms_and_settings(page):
    html = page.get("/_sandbox/v1/stream/").get_data(as_text=True)
    for change in ("hire", "move", "leave", "dept_create", "dept_remove", "chat_members"):
        assert f'data-change="{change}"' in html
    assert "redeliver_delay" in html and "没有连接" in html


def test_a_hire_from_the_form_changes_the_directory_and_queues_its_event(page):
    reply = page.post(
        "/_sandbox/v1/directory/hire",
        data={"name": "赵六", "userid": "zhaoliu", "deptIds": "2, 3"},
        follow_redirects=True,
    )
    html = reply.get_data(as_text=True)
    assert reply.status_code == 200 and 'role="status"' in html and "user_add_org" in html
    state = page.get("/_sandbox/v1/stream/state").get_json()
    (message, for_suite) = state["messages"]  # the demo company is ISV company A too
    assert (
        for_suite["eventCorpId"] == "dingisvcorpa" and for_suite["clientId"] != message["clientId"]
    )
    assert message["data"]["userId"] == ["zhaoliu"] and message["status"] == "queued"


def test_bad_form_input_comes_back_as_a_message_not_an_error_page(page):
    reply = page.post(
        "/_sandbox/v1/directory/leave", data={"userid": "nobody"}, follow_redirects=True
    )
    assert reply.status_code == 200
    assert 'role="alert"' in reply.get_data(as_text=True)
    assert "unknown userid nobody" in reply.get_data(as_text=True)
    bad = page.post("/_sandbox/v1/stream/events", data={"eventType": "x", "data": "{oops"})
    assert bad.status_code == 302 and "error=" in bad.headers["Location"]
    config = page.post(
        "/_sandbox/v1/stream/config", data={"name": "redeliver_delay", "value": "abc"}
    )
    assert "error=" in config.headers["Location"]
    page.post("/_sandbox/v1/stream/config", data={"name": "user_key", "value": "UserId"})
    assert page.get("/_sandbox/v1/stream/state").get_json()["settings"]["user_key"] == "UserId"


def test_json_control_errors_are_json(page):
    reply = page.post("/_sandbox/v1/directory/dept_remove", json={"deptId": 1})
    assert reply.status_code == 400 and reply.get_json()["error"]
    assert page.post("/_sandbox/v1/directory/nope", json={}).status_code == 404
    assert page.post("/_sandbox/v1/stream/config", json={"nope": 1}).status_code == 400
