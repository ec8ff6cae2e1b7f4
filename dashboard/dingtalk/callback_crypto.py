"""DingTalk callback encryption: verify, decrypt and answer encrypted event pushes.

DingTalk pushes events (an ISV suite's ``suite_ticket`` about every 20 minutes,
``tmp_auth_code``, ``change_auth``, ``suite_relieve``, ``check_url``) as
``{"encrypt": "<base64>"}`` with ``signature``, ``timestamp`` and ``nonce`` in the
query, and expects an encrypted reply. The scheme (``../shared/dingtalk-callback-crypto.md``):

- signature = sha1 hex of the sorted concatenation of token, timestamp, nonce, encrypt;
- AES-256-CBC, key = base64decode(aes_key + "="), IV = the key's first 16 bytes;
- PKCS#7 padding to a multiple of **32** bytes;
- plaintext = random(16) + len(msg) (4 bytes, big-endian) + msg + receive_id.

``receive_id`` is the suiteKey for ISV suites, the appKey for an internal app's
event subscription, the corpId for legacy registered callbacks.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import string
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

BLOCK_SIZE = 32
RANDOM_SIZE = 16
#: The receive id DingTalk encrypts ``check_create_suite_url`` with: a suite being
#: created has no suiteKey yet, so the vendor's demos decrypt that event with this one.
CREATE_SUITE_KEY = "suite4xxxxxxxxxxxxxxx"


class CallbackCryptoError(ValueError):
    """Base class of callback verification and decryption failures (never carries secrets)."""


class SignatureMismatch(CallbackCryptoError):
    """The callback's signature does not match token, timestamp, nonce and encrypt."""


class DecryptionError(CallbackCryptoError):
    """The payload is not valid base64, AES-CBC or padding, or its length field is wrong."""


class ReceiveIdMismatch(CallbackCryptoError):
    """The payload was encrypted for another suite, app or corp."""


def callback_signature(token: str, timestamp: str, nonce: str, encrypt: str) -> str:
    """sha1 hex (lower case) of the sorted concatenation of the four values."""
    joined = "".join(sorted([str(token), str(timestamp), str(nonce), str(encrypt)]))
    return hashlib.sha1(joined.encode("utf-8"), usedforsecurity=False).hexdigest()


def pkcs7_pad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """PKCS#7 padding to a multiple of ``block_size`` (DingTalk uses 32)."""
    amount = block_size - len(data) % block_size
    return data + bytes([amount]) * amount


def pkcs7_unpad(data: bytes, block_size: int = BLOCK_SIZE) -> bytes:
    """Strip PKCS#7 padding of 1..block_size bytes; raises DecryptionError when malformed."""
    if not data:
        raise DecryptionError("empty plaintext")
    amount = data[-1]
    if not 1 <= amount <= block_size or data[-amount:] != bytes([amount]) * amount:
        raise DecryptionError("bad padding")
    return data[:-amount]


class DingTalkCrypto:
    """Verify, decrypt and encrypt DingTalk callback payloads for one receiver.

    ``token`` and ``aes_key`` are the callback token and 43-character
    EncodingAESKey configured on the suite or app; ``receive_id`` is the
    suiteKey (ISV), appKey (internal app) or corpId (legacy callbacks).
    """

    def __init__(self, token: str, aes_key: str, receive_id: str) -> None:
        if not token:
            raise ValueError("the callback token is required")
        if not aes_key or len(aes_key) != 43:
            raise ValueError("the AES key must be 43 characters")
        try:
            key = base64.b64decode(aes_key + "=", validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the AES key is not valid base64") from None
        if len(key) != 32:
            raise ValueError("the AES key must decode to 32 bytes")
        if not receive_id:
            raise ValueError("the receive id (suiteKey, appKey or corpId) is required")
        self._token = token
        self._key = key
        self._iv = key[:16]
        self.receive_id = receive_id

    def __repr__(self) -> str:
        return f"DingTalkCrypto(receive_id={self.receive_id!r})"

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        """The signature DingTalk computes for these values with this token."""
        return callback_signature(self._token, timestamp, nonce, encrypt)

    def verify_signature(self, signature: str, timestamp: str, nonce: str, encrypt: str) -> bool:
        """True when ``signature`` matches (constant-time comparison)."""
        expected = self.signature(timestamp, nonce, encrypt)
        given = str(signature or "").lower().encode("utf-8")
        return hmac.compare_digest(expected.encode("ascii"), given)

    def decrypt(self, encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
        """Check the signature, then decrypt and return the message text.

        Raises SignatureMismatch, DecryptionError or ReceiveIdMismatch.
        """
        if not self.verify_signature(signature, timestamp, nonce, encrypt):
            raise SignatureMismatch("callback signature mismatch")
        try:
            ciphertext = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise DecryptionError("encrypt is not valid base64") from None
        if not ciphertext or len(ciphertext) % 16:
            raise DecryptionError("ciphertext length is not a multiple of the AES block")
        decryptor = self._cipher().decryptor()
        plain = pkcs7_unpad(decryptor.update(ciphertext) + decryptor.finalize())
        if len(plain) < RANDOM_SIZE + 4:
            raise DecryptionError("plaintext too short")
        (length,) = struct.unpack(">I", plain[RANDOM_SIZE : RANDOM_SIZE + 4])
        start = RANDOM_SIZE + 4
        if start + length > len(plain):
            raise DecryptionError("message length field exceeds the plaintext")
        message = plain[start : start + length]
        receive_id = plain[start + length :]
        if not hmac.compare_digest(receive_id, self.receive_id.encode("utf-8")):
            raise ReceiveIdMismatch("callback was encrypted for another receiver")
        try:
            return message.decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionError("message is not UTF-8") from None

    def encrypt(self, text: str, random_bytes: bytes | None = None) -> str:
        """Base64 ciphertext of ``text`` (fresh random prefix unless ``random_bytes`` is given)."""
        prefix = random_bytes if random_bytes is not None else os.urandom(RANDOM_SIZE)
        if len(prefix) != RANDOM_SIZE:
            raise ValueError("random_bytes must be 16 bytes")
        message = text.encode("utf-8")
        plain = prefix + struct.pack(">I", len(message)) + message + self.receive_id.encode("utf-8")
        encryptor = self._cipher().encryptor()
        ciphertext = encryptor.update(pkcs7_pad(plain)) + encryptor.finalize()
        return base64.b64encode(ciphertext).decode("ascii")

    def encrypt_reply(
        self,
        text: str,
        timestamp: str | int | None = None,
        nonce: str | None = None,
        random_bytes: bytes | None = None,
    ) -> dict[str, str]:
        """The JSON reply DingTalk expects: msg_signature, timeStamp, nonce, encrypt."""
        timestamp = str(timestamp if timestamp is not None else int(time.time() * 1000))
        nonce = nonce or random_nonce()
        encrypted = self.encrypt(text, random_bytes)
        return {
            "msg_signature": self.signature(timestamp, nonce, encrypted),
            "timeStamp": timestamp,
            "nonce": nonce,
            "encrypt": encrypted,
        }

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._iv))


def random_nonce(length: int = 8) -> str:
    """A random alphanumeric nonce like the vendor's (``nEXhMP4r``)."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))
