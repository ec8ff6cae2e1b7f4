"""The sandbox suite: signature checks, per-company tokens, auth info and ticket pushes."""

from __future__ import annotations

import time

import pytest
import requests

from dashboard.dingtalk import messages
from dashboard.dingtalk.errors import InvalidRequest
from dashboard.dingtalk.isv import SuiteClient, SuiteTicketError, signed_query
from dashboard.sandbox.isv import (
    DEFAULT_SUITE_KEY,
    DEFAULT_SUITE_SECRET,
    IsvSandboxControl,
)

CORP_A = "dingisvcorpa"
CORP_B = "dingisvcorpb"


@pytest.fixture
def isv(sandbox) -> IsvSandboxControl:
    return IsvSandboxControl(sandbox.base_url)


def suite_for(sandbox, ticket="TestSuiteTicket", secret=DEFAULT_SUITE_SECRET, **kw) -> SuiteClient:
    tickets = ticket if callable(ticket) else (lambda: ticket)
    return SuiteClient(DEFAULT_SUITE_KEY, secret, tickets, base_url=sandbox.base_url, **kw)


def test_test_suite_accepts_any_ticket_and_returns_distinct_corp_tokens(sandbox):
    suite = suite_for(sandbox)
    token_a = suite.get_corp_token(CORP_A)["access_token"]
    token_b = suite.get_corp_token(CORP_B)["access_token"]
    assert token_a and token_b and token_a != token_b


def test_auth_info_names_the_company_level_and_agent(sandbox):
    info = suite_for(sandbox).get_auth_info(CORP_B)
    assert info["auth_corp_info"]["corpid"] == CORP_B
    assert info["auth_corp_info"]["corp_name"] == "星河物流"
    assert info["auth_corp_info"]["auth_level"] == 0
    assert info["auth_info"]["agent"][0]["agentid"] == sandbox.agent_id
    assert info["auth_user_info"]["userId"]


def test_wrong_secret_is_a_signature_error_not_853005(sandbox):
    with pytest.raises(InvalidRequest) as info:
        suite_for(sandbox, secret="not-the-secret").get_corp_token(CORP_A)
    assert info.value.errcode == 853002
    assert not isinstance(info.value, SuiteTicketError)


def test_stale_timestamp_is_a_signature_error(sandbox, isv):
    isv.configure(timestamp_skew=60)
    suite = suite_for(sandbox, clock=lambda: time.time() - 3600)
    with pytest.raises(InvalidRequest) as info:
        suite.get_corp_token(CORP_A)
    assert info.value.errcode == 853002


def test_strict_mode_refuses_a_wrong_ticket_with_853005(sandbox, isv):
    isv.configure(strict_ticket=True, current_ticket="the-ticket")
    with pytest.raises(SuiteTicketError) as info:
        suite_for(sandbox, ticket="other-ticket").get_corp_token(CORP_A)
    assert info.value.errcode == 853005
    assert suite_for(sandbox, ticket="the-ticket").get_corp_token(CORP_A)["access_token"]


def test_empty_ticket_is_853005_even_for_a_test_suite(sandbox):
    timestamp = int(time.time() * 1000)
    query = signed_query(DEFAULT_SUITE_KEY, DEFAULT_SUITE_SECRET, "", timestamp)
    body = requests.post(
        f"{sandbox.base_url}/service/get_corp_token?{query}",
        json={"auth_corpid": CORP_A},
        timeout=5,
    ).json()
    assert body["errcode"] == 853005


def test_unknown_company_is_refused(sandbox, isv):
    isv.set_corp(CORP_B, authorised=False)
    with pytest.raises(InvalidRequest):
        suite_for(sandbox).get_corp_token(CORP_B)


def test_corp_tokens_work_on_every_endpoint_and_are_fetched_once(sandbox, isv):
    suite = suite_for(sandbox)
    corp_a = suite.corp_client(CORP_A, agent_id=sandbox.agent_id)
    corp_b = suite.corp_client(CORP_B, agent_id=sandbox.agent_id)
    for corp in (corp_a, corp_b, corp_a, corp_b):
        corp.users.get_user("u0001")
        corp.departments.list_sub_department_ids(1)
    result = corp_b.messages.send_work_notice(
        messages.build_msg("text", content="hi"), userid_list=["u0001"]
    )
    assert result["task_id"]
    assert corp_a.get_access_token() != corp_b.get_access_token()
    counts = isv.state()["corp_token_calls"]
    assert counts == {CORP_A: 1, CORP_B: 1}
    stats = sandbox.stats()
    assert stats["calls"]["/service/get_corp_token"] == 2
    assert stats["gettoken"] == 0


def test_each_company_sees_its_own_directory(sandbox):
    """Two corp tokens, two directories: same ids and shape, other people and departments."""
    suite = suite_for(sandbox)
    corp_a = suite.corp_client(CORP_A, agent_id=sandbox.agent_id)
    corp_b = suite.corp_client(CORP_B, agent_id=sandbox.agent_id)
    user_a, user_b = corp_a.users.get_user("u0001"), corp_b.users.get_user("u0001")
    assert user_a["name"] != user_b["name"]
    assert user_a["unionid"] != user_b["unionid"]
    root_a = corp_a.departments.get_department(1)["name"]
    root_b = corp_b.departments.get_department(1)["name"]
    assert (root_a, root_b) == ("杭州云帆科技有限公司", "苏州星河物流有限公司")
    names_a = {u["name"] for u in corp_a.users.iter_department_members(5)}
    names_b = {u["name"] for u in corp_b.users.iter_department_members(5)}
    assert names_a and names_b and not names_a & names_b
    # company A is the demo company the internal app sees; B is the same every time
    assert user_a["name"] == sandbox_user(sandbox, "u0001")["name"]
    again = suite_for(sandbox).corp_client(CORP_B, agent_id=sandbox.agent_id)
    assert again.users.get_user("u0001")["name"] == user_b["name"]


def sandbox_user(sandbox, userid):
    token = requests.get(
        f"{sandbox.base_url}/gettoken",
        params={"appkey": sandbox.app_key, "appsecret": sandbox.app_secret},
        timeout=10,
    ).json()["access_token"]
    return requests.get(
        f"{sandbox.base_url}/user/get",
        params={"access_token": token, "userid": userid},
        timeout=10,
    ).json()


def test_revoked_corp_token_is_refetched_once(sandbox, isv):
    corp = suite_for(sandbox).corp_client(CORP_A)
    corp.users.get_user("u0001")
    sandbox.revoke_tokens()
    corp.users.get_user("u0002")
    assert isv.state()["corp_token_calls"] == {CORP_A: 2}


def test_reset_restores_the_suite_defaults(sandbox, isv):
    isv.configure(strict_ticket=True)
    sandbox.reset()
    assert isv.state()["settings"]["strict_ticket"] is False
    assert isv.state()["corp_token_calls"] == {}


def test_push_refuses_urls_off_this_machine(isv):
    with pytest.raises(RuntimeError):
        isv.push_ticket("http://example.com/isv/callback")
