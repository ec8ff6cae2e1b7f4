"""ISV mode of the console: callback, switcher, ISV page, debugger and sends per company."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlsplit

import pytest

from dashboard.dingtalk.callback_crypto import CREATE_SUITE_KEY, DingTalkCrypto, random_nonce
from dashboard.extensions import db
from dashboard.sandbox.isv import (
    DEFAULT_CALLBACK_AES_KEY,
    DEFAULT_CALLBACK_TOKEN,
    DEFAULT_SUITE_KEY,
    DEFAULT_SUITE_SECRET,
)
from dashboard.sandbox.isv import DEMO_CORP_A as CORP_A
from dashboard.sandbox.isv import DEMO_CORP_B as CORP_B
from dashboard.services.dingtalk import SESSION_KEY, authorised_company, suite_client

API_TOKEN = "isv-automation-token-123"


@pytest.fixture
def app(make_isv_app):
    """The dashboard in ISV mode on the sandbox suite, with its two companies added."""
    return make_isv_app(CORP_A, CORP_B)


@pytest.fixture
def crypto() -> DingTalkCrypto:
    return DingTalkCrypto(DEFAULT_CALLBACK_TOKEN, DEFAULT_CALLBACK_AES_KEY, DEFAULT_SUITE_KEY)


def post_event(
    client, crypto, event, *, tamper=False, timestamp=None, nonce=None, name="signature"
):
    """POST ``event`` as DingTalk does: encrypted body, signed query stamped now (ms)."""
    timestamp = timestamp or str(int(time.time() * 1000))
    nonce = nonce or random_nonce()
    encrypted = crypto.encrypt(json.dumps(event))
    signature = crypto.signature(timestamp, nonce, encrypted)
    if tamper:
        signature = "0" * 40
    return client.post(
        f"/isv/callback?{name}={signature}&timestamp={timestamp}&nonce={nonce}",
        json={"encrypt": encrypted},
    )


def reply_text(crypto, response) -> str:
    reply = response.get_json()
    return crypto.decrypt(
        reply["encrypt"], reply["msg_signature"], reply["timeStamp"], reply["nonce"]
    )


# -- the callback -------------------------------------------------------------------------


def test_suite_ticket_push_is_stored_encrypted_and_answered_with_success(app, client, crypto):
    from dashboard.isv import service
    from dashboard.isv.models import SuiteTicket

    response = post_event(
        client,
        crypto,
        {
            "EventType": "suite_ticket",
            "SuiteTicket": "pushed-ticket-1",
            "SuiteKey": DEFAULT_SUITE_KEY,
        },
    )
    assert response.status_code == 200
    assert reply_text(crypto, response) == "success"
    info = service.latest_ticket()
    assert (info.ticket, info.source, info.fresh) == ("pushed-ticket-1", "callback", True)
    row = db.session.execute(db.select(SuiteTicket)).scalar_one()
    assert "pushed-ticket-1" not in row.ticket_encrypted


def test_tampered_signature_is_rejected_and_nothing_is_stored(app, client, crypto):
    from dashboard.isv import service

    response = post_event(
        client, crypto, {"EventType": "suite_ticket", "SuiteTicket": "evil"}, tamper=True
    )
    assert response.status_code == 403
    assert service.latest_ticket().ticket == "TestSuiteTicket"


def test_callback_needs_no_sign_in_but_rejects_garbage(client):
    assert client.post("/isv/callback", json={"nothing": 1}).status_code == 400
    assert client.post("/isv/callback", data="not json").status_code == 400


def test_check_url_is_answered(client, crypto):
    response = post_event(client, crypto, {"EventType": "check_url"})
    assert reply_text(crypto, response) == "success"


def test_authorisation_events_add_and_remove_a_company(app, client, crypto, auth, isv_sandbox):
    from dashboard.isv import service
    from dashboard.isv.models import AuthorisedCompany

    isv_sandbox.set_corp("dingisvcorpc", corp_name="新客户", auth_level=2)
    response = post_event(
        client,
        crypto,
        {
            "EventType": "tmp_auth_code",
            "AuthCorpId": "dingisvcorpc",
            "AuthCode": "tmp",
            "PermanentCode": "perm-code-123",
        },
    )
    assert reply_text(crypto, response) == "success"
    company = authorised_company("dingisvcorpc")
    assert company.corp_name == "新客户" and company.auth_level == 2
    assert "perm-code-123" not in company.permanent_code_encrypted
    assert service.decrypt_secret(company.permanent_code_encrypted) == "perm-code-123"

    post_event(client, crypto, {"EventType": "suite_relieve", "AuthCorpId": "dingisvcorpc"})
    assert authorised_company("dingisvcorpc") is None
    row = db.session.execute(
        db.select(AuthorisedCompany).filter_by(corpid="dingisvcorpc")
    ).scalar_one()
    assert row.authorised is False and row.permanent_code_encrypted is None
    auth.login()
    assert "dingisvcorpc" not in client.get("/isv/").get_data(as_text=True)


def test_pushed_ticket_is_used_by_the_next_signed_call(app, isv_sandbox, serve):
    """Strict sandbox: the configured ticket fails, the pushed one (over real HTTP) works."""
    from dashboard.dingtalk.isv import SuiteTicketError
    from dashboard.isv import service

    isv_sandbox.configure(strict_ticket=True, current_ticket="old-ticket")
    with pytest.raises(SuiteTicketError):
        suite_client().get_auth_info(CORP_A)
    pushed = isv_sandbox.push_ticket(serve(app) + "/isv/callback")
    assert pushed["success"] is True
    assert service.latest_ticket().ticket == pushed["ticket"]
    assert suite_client().get_auth_info(CORP_A)["auth_corp_info"]["corpid"] == CORP_A


def test_camel_case_event_fields_are_understood(app, client, crypto, isv_sandbox):
    """The reference leaves the casing unverified: eventType/suiteTicket/authCorpId work too."""
    from dashboard.isv import service

    response = post_event(
        client,
        crypto,
        {"eventType": "suite_ticket", "suiteKey": DEFAULT_SUITE_KEY, "suiteTicket": "camel-1"},
    )
    assert reply_text(crypto, response) == "success"
    assert service.latest_ticket().ticket == "camel-1"

    isv_sandbox.set_corp("dingisvcorpd", corp_name="驼峰公司")
    response = post_event(
        client, crypto, {"eventType": "change_auth", "authCorpId": "dingisvcorpd"}
    )
    assert reply_text(crypto, response) == "success"
    assert authorised_company("dingisvcorpd").corp_name == "驼峰公司"


def test_msg_signature_query_name_is_accepted(app, client, crypto):
    from dashboard.isv import service

    response = post_event(
        client,
        crypto,
        {"EventType": "suite_ticket", "SuiteTicket": "via-msg-signature"},
        name="msg_signature",
    )
    assert reply_text(crypto, response) == "success"
    assert service.latest_ticket().ticket == "via-msg-signature"


def test_stale_ticket_push_is_refused_and_not_stored(app, client, crypto):
    from dashboard.isv import service

    two_hours_ago = str(int((time.time() - 2 * 3600) * 1000))
    response = post_event(
        client,
        crypto,
        {"EventType": "suite_ticket", "SuiteTicket": "stale-ticket"},
        timestamp=two_hours_ago,
    )
    assert 400 <= response.status_code < 500
    assert service.latest_ticket().ticket == "TestSuiteTicket"


def test_replayed_push_is_refused_and_acts_once(app, client, crypto, isv_sandbox):
    """A captured suite_relieve replayed after the company re-authorised must not remove it."""
    from dashboard.isv import service

    timestamp, nonce = str(int(time.time() * 1000)), "replay01"
    encrypted = crypto.encrypt(json.dumps({"EventType": "suite_relieve", "AuthCorpId": CORP_B}))
    signature = crypto.signature(timestamp, nonce, encrypted)
    url = f"/isv/callback?signature={signature}&timestamp={timestamp}&nonce={nonce}"
    first = client.post(url, json={"encrypt": encrypted})
    assert reply_text(crypto, first) == "success"
    assert authorised_company(CORP_B) is None
    service.refresh_company(CORP_B)  # the company authorises the suite again
    replay = client.post(url, json={"encrypt": encrypted})
    assert 400 <= replay.status_code < 500
    assert authorised_company(CORP_B) is not None


def test_a_push_that_failed_is_accepted_when_dingtalk_retries_it(app, client, crypto, monkeypatch):
    from dashboard.isv import service

    timestamp, nonce = str(int(time.time() * 1000)), "retry001"
    encrypted = crypto.encrypt(json.dumps({"EventType": "suite_ticket", "SuiteTicket": "t-42"}))
    signature = crypto.signature(timestamp, nonce, encrypted)
    url = f"/isv/callback?signature={signature}&timestamp={timestamp}&nonce={nonce}"
    record = service.record_ticket

    def broken(ticket):
        raise RuntimeError("database went away")

    monkeypatch.setattr(service, "record_ticket", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.post(url, json={"encrypt": encrypted}).status_code == 500
    monkeypatch.setattr(service, "record_ticket", record)
    retry = client.post(url, json={"encrypt": encrypted})
    assert reply_text(crypto, retry) == "success"


def test_vendor_vector_check_create_suite_url_is_answered_with_its_random(isv_config):
    """The vendor's vector, posted as DingTalk would while the suite is being created.

    The suite has no key yet, so the payload is for the placeholder receive id; the
    reply encrypts the event's Random, for that same receive id.
    """
    from dashboard import create_app

    app = create_app(
        isv_config(
            DINGTALK_CALLBACK_TOKEN="123456",
            DINGTALK_CALLBACK_AES_KEY="4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij",
        )
    )
    encrypt = (
        "1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRW"
        "VdUBmfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrf"
        "gnNOS9PhSBdHlegK+AGGanfwjXuQ9+0pZcy0w9lQ=="
    )
    query = (
        "timestamp=1445827045067&nonce=nEXhMP4r&signature=5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0"
    )
    with app.test_client() as client:
        response = client.post(f"/isv/callback?{query}", json={"encrypt": encrypt})
        assert response.status_code == 200
        vendor = DingTalkCrypto(
            "123456", "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij", CREATE_SUITE_KEY
        )
        assert reply_text(vendor, response) == "LPIdSnlF"
        tampered = query.replace("nEXhMP4r", "xxxxx")
        assert (
            client.post(f"/isv/callback?{tampered}", json={"encrypt": encrypt}).status_code == 403
        )


def test_events_for_another_suite_are_refused(app, client):
    from dashboard.isv import service

    other = DingTalkCrypto(DEFAULT_CALLBACK_TOKEN, DEFAULT_CALLBACK_AES_KEY, "suiteotherkey")
    response = post_event(client, other, {"EventType": "suite_ticket", "SuiteTicket": "other"})
    assert response.status_code == 403
    assert service.latest_ticket().ticket == "TestSuiteTicket"


def _raw_ciphertext(plain: bytes) -> str:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    key = base64.b64decode(DEFAULT_CALLBACK_AES_KEY + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    ("encrypt", "query"),
    [
        (_raw_ciphertext(b"\x00" * 64), None),  # bad padding under a valid signature
        (_raw_ciphertext(b"r" * 16 + b"\xff\xff\xff\xff" + bytes([12]) * 12), None),
        (base64.b64encode(b"abc").decode(), None),  # not a whole AES block
        ("%%%not-base64%%%", None),
        ("加密", None),
        ("", "signature={sig}&timestamp={ts}&nonce=n"),
        ("AAAA", "signature=%E7%AD%BE&timestamp={ts}&nonce=n"),  # non-ASCII signature
        ("AAAA", "signature={sig}&signature=x&timestamp=&nonce=n"),
    ],
)
def test_garbage_under_the_callback_is_a_clean_4xx(app, client, crypto, encrypt, query):
    ts = str(int(time.time() * 1000))
    sig = crypto.signature(ts, "n", encrypt)
    query = (query or "signature={sig}&timestamp={ts}&nonce=n").format(sig=sig, ts=ts)
    response = client.post(f"/isv/callback?{query}", json={"encrypt": encrypt})
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "body",
    [[1, 2], "text", {"encrypt": 5}, {"encrypt": None}, {"encrypt": ["x"]}, None],
)
def test_garbage_bodies_are_a_clean_4xx(client, crypto, body):
    ts = str(int(time.time() * 1000))
    response = client.post(
        f"/isv/callback?signature={'a' * 40}&timestamp={ts}&nonce=n",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "event",
    [
        [1, 2],
        "just text",
        {"EventType": ["suite_ticket"], "SuiteTicket": {"x": 1}},
        {"EventType": "suite_ticket", "SuiteTicket": None},
        {"EventType": "change_auth", "AuthCorpId": "x" * 500},
        {"EventType": "change_auth", "AuthCorpId": "<script>"},
        {"EventType": "suite_relieve", "AuthCorpId": 12345},
        {"EventType": "tmp_auth_code", "AuthCode": "legacy-without-corp"},
        {},
    ],
)
def test_odd_events_never_500_and_change_nothing(app, client, crypto, event):
    from dashboard.isv import service
    from dashboard.isv.models import AuthorisedCompany

    timestamp, nonce = str(int(time.time() * 1000)), random_nonce()
    encrypted = crypto.encrypt(json.dumps(event))
    signature = crypto.signature(timestamp, nonce, encrypted)
    response = client.post(
        f"/isv/callback?signature={quote(signature)}&timestamp={timestamp}&nonce={nonce}",
        json={"encrypt": encrypted},
    )
    assert response.status_code < 500
    assert service.latest_ticket().ticket == "TestSuiteTicket"
    rows = db.session.execute(db.select(AuthorisedCompany)).scalars().all()
    assert sorted(row.corpid for row in rows if row.authorised) == [CORP_A, CORP_B]


def test_isv_mode_refuses_to_start_without_the_encryption_key(isv_config):
    from dashboard import create_app
    from dashboard.isv.service import IsvConfigError

    with pytest.raises(IsvConfigError):
        create_app(isv_config(DASHBOARD_ENCRYPTION_KEY=None))


# -- the console ----------------------------------------------------------------------------


def test_switcher_lists_companies_and_remembers_the_choice(client, auth):
    auth.login()
    page = client.get("/isv/").get_data(as_text=True)
    for text in ("云帆科技", "星河物流", CORP_A, CORP_B, "星河通知"):
        assert text in page
    assert "company-switcher" in page
    response = client.post("/isv/select", data={"corpid": CORP_B, "next": "/isv/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/isv/")
    page = client.get("/isv/").get_data(as_text=True)
    assert 'aria-current="true"' in page
    with client.session_transaction() as session:
        assert session[SESSION_KEY] == CORP_B


def test_switching_to_an_unknown_company_is_refused(client, auth):
    auth.login()
    response = client.post(
        "/isv/select", data={"corpid": "dingnotthere", "next": "/isv/"}, follow_redirects=True
    )
    assert "has not authorised" in response.get_data(as_text=True) or "未授权" in response.get_data(
        as_text=True
    )
    with client.session_transaction() as session:
        assert SESSION_KEY not in session


def test_pages_without_a_selected_company_point_to_the_switcher(app, client, auth):
    from dashboard.services.dingtalk import NoCompanySelected, get_client

    with app.test_request_context("/"), pytest.raises(NoCompanySelected):
        get_client()
    auth.login()
    response = client.get("/departments/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/isv/")
    assert client.get("/isv/").status_code == 200
    with client.session_transaction() as session:
        assert session.get("_flashes") is None  # shown once, on the ISV page
    client.post("/isv/select", data={"corpid": CORP_A, "next": "/"})
    assert client.get("/departments/").status_code == 200


def test_get_client_acts_for_the_session_company_or_the_given_corpid(app):
    from flask import session

    from dashboard.services.dingtalk import UnknownCompany, get_client

    with app.test_request_context("/"):
        session[SESSION_KEY] = CORP_B
        assert get_client().corp_id == CORP_B
        assert get_client(corpid=CORP_A).corp_id == CORP_A
        with pytest.raises(UnknownCompany):
            get_client(corpid="dingnotthere")


def test_isv_page_shows_ticket_and_token_state_but_no_secret(app, client, auth, isv_sandbox):
    from flask import session

    from dashboard.services.dingtalk import get_client

    auth.login()
    page = client.get("/isv/").get_data(as_text=True)
    assert 'id="ticket-freshness"' in page
    assert page.count("token-state") == 2
    with app.test_request_context("/"):
        session[SESSION_KEY] = CORP_A
        get_client().users.get_user("u0001")
    page = client.get("/isv/").get_data(as_text=True)
    token_a = isv_sandbox.state()["corp_tokens"][CORP_A]
    assert token_a not in page
    assert DEFAULT_SUITE_SECRET not in page
    row_a = page.split(f'data-corpid="{CORP_A}"')[-1].split("</tr>")[0]
    row_b = page.split(f'data-corpid="{CORP_B}"')[-1].split("</tr>")[0]
    assert "text-bg-success" in row_a and "text-bg-secondary" in row_b


def test_isv_page_marks_an_old_ticket_stale(app, client, auth):
    from datetime import timedelta

    from dashboard.auth.models import utcnow
    from dashboard.isv import service

    service.record_ticket("old", received_at=utcnow() - timedelta(minutes=25))
    assert service.latest_ticket().fresh is False
    auth.login()
    page = client.get("/isv/").get_data(as_text=True)
    assert "text-bg-warning" in page and "25" in page


def test_signature_debugger_shows_the_canonical_string_and_signature(client, auth):
    auth.login()
    response = client.post(
        "/isv/signature", data={"timestamp": "1445827045067", "ticket": "TestSuiteTicket"}
    )
    page = response.get_data(as_text=True)
    expected = base64.b64encode(
        hmac.new(
            DEFAULT_SUITE_SECRET.encode(), b"1445827045067\nTestSuiteTicket", hashlib.sha256
        ).digest()
    ).decode()
    assert response.status_code == 200
    assert "1445827045067\nTestSuiteTicket" in page
    assert expected in page
    assert DEFAULT_SUITE_SECRET not in page


def test_signature_debugger_explains_bad_input(client, auth):
    auth.login()
    response = client.post("/isv/signature", data={"timestamp": "yesterday", "ticket": ""})
    assert response.status_code == 400
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)


def test_add_company_by_corpid_and_refuse_an_unknown_one(client, auth, isv_sandbox):
    isv_sandbox.set_corp("dingisvcorpc", corp_name="第三家")
    auth.login()
    page = client.post(
        "/isv/companies", data={"corpid": "dingisvcorpc"}, follow_redirects=True
    ).get_data(as_text=True)
    assert "第三家" in page
    response = client.post("/isv/companies", data={"corpid": "dingnotthere"}, follow_redirects=True)
    assert response.status_code == 200
    assert "dingnotthere" in response.get_data(as_text=True)
    assert client.post("/isv/companies", data={"corpid": "bad corp!"}).status_code == 400


def test_each_company_sends_with_its_own_token_fetched_once(app, sandbox, isv_sandbox):
    """Two companies, several calls each: one get_corp_token per company, its own token on each call."""
    from flask import session

    from dashboard.dingtalk import messages
    from dashboard.services.dingtalk import get_client

    sent = []
    session_obj = suite_client().session
    original = session_obj.request

    def recording(method, url, **kwargs):
        sent.append((urlsplit(url).path, dict(kwargs.get("params") or {})))
        return original(method, url, **kwargs)

    session_obj.request = recording
    try:
        for corpid in (CORP_A, CORP_B, CORP_A, CORP_B):
            with app.test_request_context("/"):
                session[SESSION_KEY] = corpid
                client = get_client()
                client.users.get_user("u0001")
                client.messages.send_work_notice(
                    messages.build_msg("text", content=f"hello {corpid}"), userid_list=["u0002"]
                )
    finally:
        session_obj.request = original
    state = isv_sandbox.state()
    assert state["corp_token_calls"] == {CORP_A: 1, CORP_B: 1}
    assert sandbox.stats()["gettoken"] == 0
    sends = [p["access_token"] for path, p in sent if path.endswith("/asyncsend_v2")]
    assert sends == [state["corp_tokens"][c] for c in (CORP_A, CORP_B, CORP_A, CORP_B)]


def test_composer_sends_for_the_selected_company(client, auth, isv_sandbox, sandbox):
    auth.login()
    client.post("/isv/select", data={"corpid": CORP_B, "next": "/"})
    response = client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "来自星河物流的通知", "userid_list": "u0001"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert sandbox.stats()["calls"].get("/topapi/message/corpconversation/asyncsend_v2") == 1
    assert isv_sandbox.state()["corp_token_calls"] == {CORP_B: 1}


def test_internal_mode_has_no_isv_pages(isv_config):
    from tests.conftest import AuthActions, running_dashboard

    with running_dashboard(isv_config(DINGTALK_SUITE_KEY=None)) as app:
        client = app.test_client()
        assert client.get("/isv/").status_code == 302  # sign-in first, as for every page
        AuthActions(client).login()
        assert client.get("/isv/").status_code == 404
        assert app.test_client().post("/isv/callback", json={}).status_code == 404


@pytest.fixture
def api_app(make_isv_app):
    """ISV mode with an automation API token, both demo companies added."""
    return make_isv_app(CORP_A, CORP_B, DASHBOARD_API_TOKEN=API_TOKEN)


def api_post(app, operation, body):
    return app.test_client().post(
        f"/api/dingtalkserve/{operation}",
        json=body,
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )


def test_api_acts_for_the_company_named_by_corpid(api_app, isv_sandbox):
    for corpid in (CORP_A, CORP_B):
        reply = api_post(api_app, "userinfo", {"userid": "u0001", "corpid": corpid})
        assert reply.status_code == 200, reply.get_json()
    sent = api_post(
        api_app, "asyncsend_v2", {"userid_list": "u0002", "msg": "hi", "corpid": CORP_B}
    )
    assert sent.status_code == 200, sent.get_json()
    assert isv_sandbox.state()["corp_token_calls"] == {CORP_A: 1, CORP_B: 1}


def test_api_in_isv_mode_needs_an_authorised_corpid(api_app):
    missing = api_post(api_app, "userinfo", {"userid": "u0001"})
    assert missing.status_code == 400
    assert "corpid" in missing.get_json()["msg"]
    unknown = api_post(api_app, "userinfo", {"userid": "u0001", "corpid": "dingnotauthorised"})
    assert unknown.status_code == 403


def test_api_adopts_a_company_dingtalk_confirms_it_authorised(make_isv_app, sandbox):
    """Authorised before the console was installed (no callback seen): asked once, then known."""
    app = make_isv_app(CORP_A, DASHBOARD_API_TOKEN=API_TOKEN)
    assert authorised_company(CORP_B) is None
    for _ in range(2):
        reply = api_post(app, "userinfo", {"userid": "u0001", "corpid": CORP_B})
        assert reply.status_code == 200, reply.get_json()
    assert sandbox.stats()["calls"]["/service/get_auth_info"] == 2  # A at start-up, B once
    company = authorised_company(CORP_B)
    assert company.corp_name == "星河物流" and company.agent_id


def test_api_refuses_a_corpid_dingtalk_does_not_know_with_its_answer_once_a_minute(
    api_app, sandbox
):
    calls = sandbox.stats()["calls"]["/service/get_auth_info"]
    for _ in range(3):
        reply = api_post(api_app, "userinfo", {"userid": "u0001", "corpid": "dingnotauthorised"})
        assert reply.status_code == 403
        assert "不合法的corpid或corpsecret" in reply.get_json()["msg"]
    assert sandbox.stats()["calls"]["/service/get_auth_info"] == calls + 1
    assert authorised_company("dingnotauthorised") is None
    sent = api_post(api_app, "asyncsend_v2", {"userid_list": "u1", "msg": "hi", "corpid": "x" * 80})
    assert sent.status_code == 403  # not a corpid at all: DingTalk is not asked
    assert sandbox.stats()["calls"]["/service/get_auth_info"] == calls + 1


def test_each_company_has_its_own_history_and_its_sends_are_followed_with_its_token(
    app, client, auth, isv_sandbox
):
    from dashboard.notifications.models import Send

    auth.login()
    client.post("/isv/select", data={"corpid": CORP_B, "next": "/"})
    client.post(
        "/notifications/new",
        data={"msgtype": "text", "msg": "星河物流的周报提醒", "userid_list": "u0001"},
    )
    send = db.session.execute(db.select(Send)).scalar_one()
    assert send.corpid == CORP_B
    assert "星河物流的周报提醒" in client.get("/notifications/").get_data(as_text=True)

    client.post("/isv/select", data={"corpid": CORP_A, "next": "/"})
    assert "星河物流的周报提醒" not in client.get("/notifications/").get_data(as_text=True)
    # following B's send while A is selected still asks DingTalk as company B
    assert client.get(f"/notifications/{send.id}/status").status_code == 200
    assert isv_sandbox.state()["corp_token_calls"] == {CORP_B: 1}
