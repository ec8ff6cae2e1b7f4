"""The ISV signature (§7.1) and the exact signed request DingTalk receives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from dashboard.dingtalk.isv import (
    StaticTicket,
    SuiteClient,
    SuiteTicketError,
    canonical_string,
    sign,
    signed_query,
)

SECRET = "suite-sandbox-secret"
TIMESTAMP = 1445827045067
TICKET = "TestSuiteTicket"
#: Precomputed once with hmac/base64 from the spec; contains "+" and "=" on purpose.
EXPECTED = "NLu3MWxBV1FT+UJLRl5Hiw3tLLw+5m14KkMRxN2qqik="


def reference_signature(secret: str, timestamp: int, ticket: str) -> str:
    """§7.1 written out independently: base64(HMAC-SHA256(secret, f"{ts}\\n{ticket}"))."""
    message = f"{timestamp}\n{ticket}".encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def test_signature_matches_the_precomputed_literal():
    assert sign(SECRET, TIMESTAMP, TICKET) == EXPECTED


@pytest.mark.parametrize(
    ("secret", "timestamp", "ticket"),
    [(SECRET, TIMESTAMP, TICKET), ("testsecret", 1700000000000, "ticket+/="), ("密钥", 1, "票据")],
)
def test_signature_matches_the_reference_algorithm(secret, timestamp, ticket):
    assert sign(secret, timestamp, ticket) == reference_signature(secret, timestamp, ticket)


def test_canonical_string_is_timestamp_newline_ticket():
    assert canonical_string(TIMESTAMP, TICKET) == "1445827045067\nTestSuiteTicket"
    assert canonical_string(TIMESTAMP, "") == "1445827045067"


def test_query_encodes_the_signature_exactly_once():
    query = signed_query("suitekey", SECRET, TICKET, TIMESTAMP)
    assert query == (
        "accessKey=suitekey&timestamp=1445827045067&suiteTicket=TestSuiteTicket"
        "&signature=NLu3MWxBV1FT%2BUJLRl5Hiw3tLLw%2B5m14KkMRxN2qqik%3D"
    )
    assert "%25" not in query


def test_without_a_ticket_the_query_has_no_suite_ticket_and_signs_the_timestamp_only():
    """What the official SDKs do with an empty ticket: no suiteTicket parameter at all."""
    for ticket in ("", None):
        query = signed_query("suitekey", SECRET, ticket, TIMESTAMP)
        params = dict(parse_qsl(query))
        assert "suiteTicket" not in params
        assert (
            params["signature"]
            == base64.b64encode(
                hmac.new(SECRET.encode(), b"1445827045067", hashlib.sha256).digest()
            ).decode()
        )


class FakeResponse:
    status_code = 200

    def __init__(self, body):
        self._body = body
        self.text = str(body)

    def json(self):
        return self._body


class RecordingSession:
    """Stands in for requests.Session: records each call, answers from a list."""

    def __init__(self, *bodies):
        self.bodies = list(bodies)
        self.calls = []

    def post(self, url, data=None, headers=None, timeout=None):
        self.calls.append(
            {
                "url": url,
                "json": json.loads(data) if data is not None else None,
                "data": data,
                "headers": headers,
                "timeout": timeout,
            }
        )
        return FakeResponse(self.bodies.pop(0))


def make_suite(session, tickets=None, clock=lambda: TIMESTAMP / 1000):
    tickets = list(tickets or [TICKET])
    return SuiteClient(
        "suitekey",
        SECRET,
        lambda: tickets.pop(0) if len(tickets) > 1 else tickets[0],
        base_url="http://127.0.0.1:9",
        session=session,
        timeout=3.0,
        clock=clock,
    )


def test_get_corp_token_sends_the_exact_signed_request():
    session = RecordingSession({"errcode": 0, "access_token": "t1", "expires_in": 7200})
    suite = make_suite(session)
    assert suite.get_corp_token("dingcorp")["access_token"] == "t1"
    call = session.calls[0]
    url = urlsplit(call["url"])
    assert url.path == "/service/get_corp_token"
    assert url.query == signed_query("suitekey", SECRET, TICKET, TIMESTAMP)
    assert dict(parse_qsl(url.query)) == {
        "accessKey": "suitekey",
        "timestamp": "1445827045067",
        "suiteTicket": TICKET,
        "signature": EXPECTED,
    }
    assert call["json"] == {"auth_corpid": "dingcorp"}
    assert call["headers"] == {"Content-Type": "application/json;charset=UTF-8"}
    assert call["timeout"] == 3.0


def test_get_auth_info_posts_the_corp_and_suite_key():
    session = RecordingSession({"errcode": 0, "auth_corp_info": {"corpid": "dingcorp"}})
    suite = make_suite(session)
    assert suite.get_auth_info("dingcorp")["auth_corp_info"]["corpid"] == "dingcorp"
    assert urlsplit(session.calls[0]["url"]).path == "/service/get_auth_info"
    assert session.calls[0]["json"] == {"auth_corpid": "dingcorp", "suite_key": "suitekey"}


def test_invalid_ticket_refreshes_from_the_provider_and_retries_once():
    session = RecordingSession(
        {"errcode": 853005, "errmsg": "签名中套件ticket参数无效"},
        {"errcode": 0, "access_token": "t2", "expires_in": 7200},
    )
    suite = make_suite(session, tickets=["old-ticket", "new-ticket"])
    assert suite.get_corp_token("dingcorp")["access_token"] == "t2"
    sent = [dict(parse_qsl(urlsplit(c["url"]).query))["suiteTicket"] for c in session.calls]
    assert sent == ["old-ticket", "new-ticket"]


def test_invalid_ticket_is_retried_once_even_with_the_same_ticket():
    """853005 can be transient (DingTalk rotating the ticket): one retry, freshly signed."""
    session = RecordingSession(
        {"errcode": 853005, "errmsg": "签名中套件ticket参数无效"},
        {"errcode": 0, "access_token": "t3", "expires_in": 7200},
    )
    suite = make_suite(session, tickets=["same-ticket"])
    assert suite.get_corp_token("dingcorp")["access_token"] == "t3"
    assert len(session.calls) == 2


def test_invalid_ticket_twice_raises_without_secrets():
    session = RecordingSession(
        {"errcode": 853005, "errmsg": "签名中套件ticket参数无效"},
        {"errcode": 853005, "errmsg": "签名中套件ticket参数无效"},
    )
    suite = make_suite(session, tickets=["same-ticket"])
    with pytest.raises(SuiteTicketError) as info:
        suite.get_corp_token("dingcorp")
    assert len(session.calls) == 2
    text = str(info.value) + repr(info.value)
    assert info.value.errcode == 853005
    assert SECRET not in text and "same-ticket" not in text
    assert quote(sign(SECRET, TIMESTAMP, "same-ticket"), safe="") not in text


def test_suite_repr_hides_the_secret_and_ticket():
    suite = SuiteClient("suitekey", SECRET, StaticTicket(TICKET))
    assert SECRET not in repr(suite)
    assert TICKET not in repr(suite.ticket_provider)
