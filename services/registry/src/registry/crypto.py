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
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12


def _key(encoded: str, *, name: str) -> bytes:
    key = base64.b64decode(encoded)
    if len(key) != 32:
        raise ValueError(f"{name} must be 32 bytes, base64-encoded")
    return key


@dataclass(frozen=True)
class CipherKeys:
    """A cipher's keys, for a worker process of this service to make the same cipher (the bulk
    import validates in worker processes): handed over as the arguments that start the worker,
    through the pipe between the two processes; never logged (no repr), never stored."""

    hmac_key: bytes = field(repr=False)
    data_key: bytes = field(repr=False)
    lookup_key: bytes | None = field(repr=False)


class PersonalDataCipher:
    def __init__(self, *, hmac_key: str, data_key: str, lookup_key: str | None = None) -> None:
        self._init(
            _key(hmac_key, name="REGISTRY_NIK_HMAC_KEY"),
            _key(data_key, name="REGISTRY_DATA_KEY"),
            _key(lookup_key, name="NIK_LOOKUP_KEY") if lookup_key else None,
        )

    def _init(self, hmac_key: bytes, data_key: bytes, lookup_key: bytes | None) -> None:
        self._hmac_key = hmac_key
        self._data_key = data_key
        self._lookup_key = lookup_key
        self._aead = AESGCM(data_key)
        self.key_id = hashlib.sha256(data_key).hexdigest()[:8]

    def keys(self) -> CipherKeys:
        return CipherKeys(self._hmac_key, self._data_key, self._lookup_key)

    @classmethod
    def from_keys(cls, keys: CipherKeys) -> "PersonalDataCipher":
        cipher = cls.__new__(cls)
        cipher._init(keys.hmac_key, keys.data_key, keys.lookup_key)
        return cipher

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
