"""CorpClient over the sandbox suite: per-(suite, corp) token cache, refresh on token errcodes, no secrets in logs."""

from __future__ import annotations

import logging

from dashboard.dingtalk import MemoryTokenStore
from dashboard.dingtalk.isv import CorpClient, StaticTicket, SuiteClient
from dashboard.sandbox.isv import DEFAULT_SUITE_KEY, DEFAULT_SUITE_SECRET, IsvSandboxControl

CORP_A = "dingisvcorpa"
CORP_B = "dingisvcorpb"


def make_suite(sandbox, store=None) -> SuiteClient:
    return SuiteClient(
        DEFAULT_SUITE_KEY,
        DEFAULT_SUITE_SECRET,
        StaticTicket("TestSuiteTicket"),
        base_url=sandbox.base_url,
        token_store=store or MemoryTokenStore(),
    )


def test_corp_client_is_a_full_client_with_a_per_corp_token_key(sandbox):
    suite = make_suite(sandbox)
    corp = suite.corp_client(CORP_A, agent_id=sandbox.agent_id)
    assert isinstance(corp, CorpClient)
    assert corp.token_key == f"isv:{DEFAULT_SUITE_KEY}:{CORP_A}"
    assert corp.app_id == CORP_A
    assert corp.auth.get_scopes()["errcode"] == 0
    assert corp.departments.list_departments(1)["department"]


def test_two_clients_of_one_corp_share_the_cached_token(sandbox):
    store = MemoryTokenStore()
    first = make_suite(sandbox, store).corp_client(CORP_A)
    second = make_suite(sandbox, store).corp_client(CORP_A)
    first.users.get_user("u0001")
    second.users.get_user("u0002")
    assert IsvSandboxControl(sandbox.base_url).state()["corp_token_calls"] == {CORP_A: 1}


def test_expired_token_is_refreshed_once_with_get_corp_token(sandbox):
    corp = make_suite(sandbox).corp_client(CORP_B)
    corp.users.get_user("u0001")
    sandbox.inject("token_expired", count=1, path="/user/get")
    assert corp.users.get_user("u0001")["userid"] == "u0001"
    assert IsvSandboxControl(sandbox.base_url).state()["corp_token_calls"] == {CORP_B: 2}
    assert sandbox.stats()["gettoken"] == 0


def test_logs_carry_no_secret_ticket_signature_or_token(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # the app quietens it; it logs full URLs
    suite = make_suite(sandbox)
    corp = suite.corp_client(CORP_A)
    corp.users.get_user("u0001")
    token = corp.get_access_token()
    text = caplog.text
    assert "/service/get_corp_token" in text
    for secret in (DEFAULT_SUITE_SECRET, "TestSuiteTicket", token):
        assert secret not in text
    assert "signature=" in text  # urllib3 logged the signed URL ...
    assert all(part.startswith("***") for part in text.split("signature=")[1:])  # ... redacted
