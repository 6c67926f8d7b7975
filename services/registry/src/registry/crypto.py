"""Personal data at rest: AES-256-GCM with the resident id as associated data (a ciphertext
cannot be moved to another row), and the NIK found by a keyed HMAC, never a plain hash: the
adult NIK space of one regency is small enough to brute-force an unkeyed hash in minutes."""

import base64
import hashlib
import hmac
import json
import os
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


def _key(encoded: str, *, name: str) -> bytes:
    key = base64.b64decode(encoded)
    if len(key) != 32:
        raise ValueError(f"{name} must be 32 bytes, base64-encoded")
    return key


class PersonalDataCipher:
    def __init__(self, *, hmac_key: str, data_key: str) -> None:
        self._hmac_key = _key(hmac_key, name="REGISTRY_NIK_HMAC_KEY")
        self._aead = AESGCM(_key(data_key, name="REGISTRY_DATA_KEY"))
        self.key_id = hashlib.sha256(_key(data_key, name="REGISTRY_DATA_KEY")).hexdigest()[:8]

    def nik_lookup(self, nik: str) -> bytes:
        return hmac.new(self._hmac_key, nik.encode(), hashlib.sha256).digest()

    def seal(self, personal: dict[str, Any], *, resident_id: UUID) -> bytes:
        nonce = os.urandom(_NONCE)
        plain = json.dumps(personal, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, plain, resident_id.bytes)

    def open(self, sealed: bytes, *, resident_id: UUID) -> dict[str, Any]:
        plain = self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], resident_id.bytes)
        result: dict[str, Any] = json.loads(plain)
        return result


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()
