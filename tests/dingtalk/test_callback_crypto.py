"""Callback crypto against the vendor's known-answer vectors (dingtalk-callback-crypto.md)."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from dashboard.dingtalk.callback_crypto import (
    DecryptionError,
    DingTalkCrypto,
    ReceiveIdMismatch,
    SignatureMismatch,
    callback_signature,
    pkcs7_pad,
    pkcs7_unpad,
)

TOKEN = "123456"
AES_KEY = "4g5j64qlyl3zvetqxz5jiocdr586fn2zvjpa8zls3ij"
RECEIVE_ID = "suite4xxxxxxxxxxxxxxx"
TIMESTAMP = "1445827045067"
NONCE = "nEXhMP4r"
SIGNATURE = "5a65ceeef9aab2d149439f82dc191dd6c5cbe2c0"
ENCRYPT = (
    "1a3NBxmCFwkCJvfoQ7WhJHB+iX3qHPsc9JbaDznE1i03peOk1LaOQoRz3+nlyGNhwmwJ3vDMG+OzrHMeiZI7gTRWVdUB"
    "mfxjZ8Ej23JVYa9VrYeJ5as7XM/ZpulX8NEQis44w53h1qAgnC3PRzM7Zc/D6Ibr0rgUathB6zRHP8PYrfgnNOS9PhSB"
    "dHlegK+AGGanfwjXuQ9+0pZcy0w9lQ=="
)
PLAIN = '{"EventType":"check_create_suite_url","Random":"LPIdSnlF","TestSuiteKey":"suite4xxxxxxxxxxxxxxx"}'
ENCRYPTED_WITH_FIXED_RANDOM = (
    "5DJFWzjRNOQk+5GSZxW+VrFMDWCIidPjEjg3//gm5x556BedVi62rDj1F9uXU97a4jw1R4FACUv9RCpoDobNqxhxRB2Y"
    "tW901k4KHbP1/wpFJ3xdLG0n0A8U1VhENg80zKJd+YROR0YMGum4WYuoXJ6J98vt0ihYeIFoapNddLML5MyNAGM9saSp"
    "kouDMSvD+iU14i7V8ix1ia1Tb9ogog=="
)
FIXED_RANDOM_SIGNATURE = "bcf6dcefa4ce2dbaf7b0666c7264d46fd9aad4bd"


@pytest.fixture
def crypto() -> DingTalkCrypto:
    return DingTalkCrypto(TOKEN, AES_KEY, RECEIVE_ID)


def test_vendor_signature_vector():
    assert callback_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT) == SIGNATURE


def test_vendor_decrypt_vector(crypto):
    assert crypto.decrypt(ENCRYPT, SIGNATURE, TIMESTAMP, NONCE) == PLAIN
    assert json.loads(PLAIN)["EventType"] == "check_create_suite_url"


def test_tampered_nonce_is_rejected(crypto):
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(ENCRYPT, SIGNATURE, TIMESTAMP, "xxxxx")


def test_tampered_signature_and_payload_are_rejected(crypto):
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(ENCRYPT, "0" * 40, TIMESTAMP, NONCE)
    tampered = "A" + ENCRYPT[1:]
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(tampered, SIGNATURE, TIMESTAMP, NONCE)


def test_vendor_encrypt_vector_with_fixed_random_bytes(crypto):
    reply = crypto.encrypt_reply(
        PLAIN, timestamp=TIMESTAMP, nonce=NONCE, random_bytes=b"1234567890123456"
    )
    assert reply == {
        "msg_signature": FIXED_RANDOM_SIGNATURE,
        "timeStamp": TIMESTAMP,
        "nonce": NONCE,
        "encrypt": ENCRYPTED_WITH_FIXED_RANDOM,
    }


def test_reply_round_trips_with_fresh_random_bytes(crypto):
    first = crypto.encrypt_reply("success")
    second = crypto.encrypt_reply("success")
    assert first["encrypt"] != second["encrypt"]
    text = crypto.decrypt(
        first["encrypt"], first["msg_signature"], first["timeStamp"], first["nonce"]
    )
    assert text == "success"


def test_other_receive_id_is_rejected():
    sender = DingTalkCrypto(TOKEN, AES_KEY, "suiteother")
    reply = sender.encrypt_reply("hello", timestamp=TIMESTAMP, nonce=NONCE)
    receiver = DingTalkCrypto(TOKEN, AES_KEY, RECEIVE_ID)
    with pytest.raises(ReceiveIdMismatch):
        receiver.decrypt(reply["encrypt"], reply["msg_signature"], TIMESTAMP, NONCE)


def test_padding_is_to_32_bytes_and_can_be_a_full_block():
    assert len(pkcs7_pad(b"x" * 31)) == 32
    assert pkcs7_pad(b"x" * 32) == b"x" * 32 + bytes([32]) * 32
    assert pkcs7_unpad(pkcs7_pad(b"abc")) == b"abc"
    with pytest.raises(DecryptionError):
        pkcs7_unpad(b"abc" + bytes([33]))


def test_vendor_ciphertext_uses_32_byte_padding():
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(ENCRYPT)) + decryptor.finalize()
    assert plain[-1] > 16  # a pad longer than one AES block: the 32-byte variant


def test_garbage_payload_is_a_clean_error(crypto):
    garbage = base64.b64encode(b"\x00" * 48).decode()
    signature = crypto.signature(TIMESTAMP, NONCE, garbage)
    with pytest.raises(DecryptionError):
        crypto.decrypt(garbage, signature, TIMESTAMP, NONCE)
    with pytest.raises(DecryptionError):
        crypto.decrypt(
            "not base64!", crypto.signature(TIMESTAMP, NONCE, "not base64!"), TIMESTAMP, NONCE
        )


def test_bad_key_is_refused_and_repr_hides_secrets():
    with pytest.raises(ValueError):
        DingTalkCrypto(TOKEN, "short", RECEIVE_ID)
    crypto = DingTalkCrypto(TOKEN, AES_KEY, RECEIVE_ID)
    assert AES_KEY not in repr(crypto)
    assert TOKEN not in repr(crypto)


def _encrypt_raw(plain: bytes) -> str:
    """AES-256-CBC of ``plain`` as is, with no padding added: a sender that pads wrongly."""
    key = base64.b64decode(AES_KEY + "=")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


@pytest.mark.parametrize(
    "tail",
    [bytes([0]) * 32, bytes([33]) * 32, bytes([5]) * 31 + bytes([6]), b"x" * 31 + bytes([4])],
    ids=["zero", "over-32", "inconsistent", "short-run"],
)
def test_bad_padding_under_a_valid_signature_is_a_decryption_error(crypto, tail):
    encrypted = _encrypt_raw(b"r" * 16 + b"\x00\x00\x00\x02{}" + RECEIVE_ID.encode()[:10] + tail)
    signature = crypto.signature(TIMESTAMP, NONCE, encrypted)
    with pytest.raises(DecryptionError):
        crypto.decrypt(encrypted, signature, TIMESTAMP, NONCE)


def test_non_ascii_signature_is_a_mismatch_not_a_crash(crypto):
    assert crypto.verify_signature("签名", TIMESTAMP, NONCE, ENCRYPT) is False
    with pytest.raises(SignatureMismatch):
        crypto.decrypt(ENCRYPT, "é" * 40, TIMESTAMP, NONCE)
