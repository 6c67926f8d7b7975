"""Contacts at rest: the first name, phone and email of a resident are sealed one by one with
AES-256-GCM (the registry's approach, services/registry/src/registry/crypto.py), the resident id
and the field's name as associated data, so a ciphertext cannot be moved to another row or
column. NULL stays NULL: whether a resident has a phone or an email is not secret, and the
delivery planner asks exactly that in SQL. The key is NOTIFY_DATA_KEY (32 bytes, base64)."""

import base64
import binascii
import os
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_NONCE = 12
FIELDS = ("first_name", "phone", "email")


def check_key(encoded: str) -> bytes:
    try:
        key = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ValueError("NOTIFY_DATA_KEY must be 32 bytes, base64-encoded")
    return key


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


class ContactCipher:
    def __init__(self, data_key: str) -> None:
        self._aead = AESGCM(check_key(data_key))

    def seal(self, value: str | None, *, resident_id: UUID, field: str) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, value.encode(), _aad(resident_id, field))

    def open(self, sealed: bytes | None, *, resident_id: UUID, field: str) -> str | None:
        if sealed is None:
            return None
        data = bytes(sealed)
        return self._aead.decrypt(data[:_NONCE], data[_NONCE:], _aad(resident_id, field)).decode()

    def seal_contact(
        self, values: dict[str, str | None], *, resident_id: UUID
    ) -> list[bytes | None]:
        """The sealed first name, phone and email, in that order."""
        return [self.seal(values.get(f), resident_id=resident_id, field=f) for f in FIELDS]

    def open_contact(self, row: object, *, resident_id: UUID) -> dict[str, str | None]:
        """`first_name`, `phone`, `email` in clear from a row with the `*_sealed` columns."""
        return {
            f: self.open(row[f"{f}_sealed"], resident_id=resident_id, field=f)  # type: ignore[index]
            for f in FIELDS
        }


def _aad(resident_id: UUID, field: str) -> bytes:
    return resident_id.bytes + field.encode()
