"""Keys derived from what caused a message, so that the same cause always gives the same key.

The delivery key is the idempotency key handed to the provider (`Idempotency-Key`, the email's
`Message-ID`, the webhook's `webhook-id`): a redelivered event or a resend after a crash carries
the same key, and the provider drops the second copy. The database computes the same key in SQL
(`md5(event_id || '|' || target || '|' || channel)::uuid`) when it fans out in bulk.
"""

import base64
import hashlib
import hmac
from uuid import UUID


def delivery_key(event_id: str, target: UUID | str, channel: str) -> UUID:
    return UUID(hashlib.md5(f"{event_id}|{target}|{channel}".encode()).hexdigest())  # noqa: S324


def _mac(key: bytes, resident_id: UUID) -> bytes:
    return hmac.new(key, b"berhenti:" + resident_id.bytes, hashlib.sha256).digest()[:16]


def opt_out_token(key: bytes, resident_id: UUID) -> str:
    """An unguessable token for the resident's opt-out link; it names no personal data."""
    raw = resident_id.bytes + _mac(key, resident_id)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def resident_of(key: bytes, token: str) -> UUID | None:
    """The resident a genuine token was made for; None for anything else."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (ValueError, TypeError):
        return None
    if len(raw) != 32:
        return None
    resident_id = UUID(bytes=raw[:16])
    return resident_id if hmac.compare_digest(raw[16:], _mac(key, resident_id)) else None
