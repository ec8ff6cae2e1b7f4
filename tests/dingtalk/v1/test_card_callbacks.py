"""The HTTP card callback: its signature (§6.4), its body and the reply."""

from __future__ import annotations

import json

import pytest

from dashboard.dingtalk.v1 import CardCallbackError, parse_callback, verify_signature
from dashboard.dingtalk.v1.card_callbacks import callback_reply, card_signature, signed_headers

SECRET = "card-api-secret"
NOW = 1_765_000_000.0
STAMP = int(NOW * 1000)


def test_signature_is_base64_hmac_sha256_of_the_timestamp():
    # Computed independently: HMAC-SHA256(key="card-api-secret", msg="1765000000000").
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(SECRET.encode(), str(STAMP).encode(), hashlib.sha256).digest()
    ).decode()
    assert card_signature(SECRET, STAMP) == expected


def test_a_signed_callback_is_accepted_with_any_header_casing():
    headers = {k.title(): v for k, v in signed_headers(SECRET, STAMP).items()}
    assert verify_signature(headers, SECRET, now=NOW + 1) == STAMP


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-ddpaas-signature-timestamp": str(STAMP)},
        {"x-ddpaas-signature-timestamp": str(STAMP), "x-ddpaas-signature": "forged"},
        signed_headers("another-secret", STAMP),
        {"x-ddpaas-signature-timestamp": "12a", "x-ddpaas-signature": "x"},
    ],
)
def test_forged_or_unsigned_callbacks_are_refused(headers):
    with pytest.raises(CardCallbackError):
        verify_signature(headers, SECRET, now=NOW)


def test_a_stale_signature_is_refused():
    with pytest.raises(CardCallbackError, match="too old"):
        verify_signature(signed_headers(SECRET, STAMP), SECRET, now=NOW + 301, max_age=300)


def test_parse_reads_content_as_a_json_string():
    body = {
        "type": "actionCallback",
        "outTrackId": "appr-001",
        "corpId": "dingcorp001",
        "userId": "manager4220",
        "content": json.dumps(
            {"cardPrivateData": {"actionIds": ["agree"], "params": {"action": "agree"}}}
        ),
        "extension": '{"k":"v"}',
        "spaceType": "IM_GROUP",
        "userIdType": 1,
    }
    press = parse_callback(json.dumps(body).encode())
    assert (press.out_track_id, press.user_id, press.action_ids) == (
        "appr-001",
        "manager4220",
        ["agree"],
    )
    assert press.params == {"action": "agree"} and press.extension == {"k": "v"}
    assert press.space_type == "IM_GROUP" and press.user_id_type == 1


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'{"userId":"u"}', b'{"outTrackId":"t","userId":"u","content":"{bad"}'],
)
def test_malformed_callbacks_are_refused(body):
    with pytest.raises(CardCallbackError):
        parse_callback(body)


def test_reply_values_are_strings():
    assert callback_reply({"done": True}, {"mine": 1}) == {
        "cardData": {"cardParamMap": {"done": "true"}},
        "userPrivateData": {"cardParamMap": {"mine": "1"}},
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
    }
