"""Personal data at rest: AES-256-GCM with the resident id as associated data (a ciphertext
cannot be moved to another row), and the NIK found by a keyed HMAC, never a plain hash: the
adult NIK space of one regency is small enough to brute-force an unkeyed hash in minutes.

A second keyed HMAC, under NIK_LOOKUP_KEY, is the only form of the NIK that leaves the registry
(restricted event `resident_identity_recorded`): vacancies holds the same key to match the NIKs of
placement reports, and never the registry's own key."""

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
    def __init__(self, *, hmac_key: str, data_key: str, lookup_key: str | None = None) -> None:
        self._hmac_key = _key(hmac_key, name="REGISTRY_NIK_HMAC_KEY")
        self._lookup_key = _key(lookup_key, name="NIK_LOOKUP_KEY") if lookup_key else None
        self._aead = AESGCM(_key(data_key, name="REGISTRY_DATA_KEY"))
        self.key_id = hashlib.sha256(_key(data_key, name="REGISTRY_DATA_KEY")).hexdigest()[:8]

    def nik_lookup(self, nik: str) -> bytes:
        return hmac.digest(self._hmac_key, nik.encode(), "sha256")  # hmac.new's, in one C call

    def partner_lookup(self, nik: str) -> str | None:
        """The NIK as vacancies knows it (hex); None where no NIK_LOOKUP_KEY was given."""
        if self._lookup_key is None:
            return None
        return hmac.digest(self._lookup_key, nik.encode(), "sha256").hex()

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
