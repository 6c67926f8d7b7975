"""API keys: `kl_<service>_<key id>_<secret>`, made of 16 and 256 random bits.

The full key is shown once, when it is issued; the database keeps the key id (public, it names
the key in logs and in the audit log) and the SHA-256 of the secret. A slow password hash would
protect nothing more: the secret is random, not a person's password. The service name in the key
lets a leaked key be recognised (secret scanners) and refused by the wrong service at once.
"""

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from .principal import Principal, check_scope

MAX_LIFETIME = timedelta(days=400)
_KEY = re.compile(r"kl_(?P<service>[a-z]+)_(?P<key_id>[0-9a-f]{8})_(?P<secret>[A-Za-z0-9_-]{43})")
# last_used_at is written at most once a minute per key: a busy key does not write on every call.
_TOUCH_EVERY = timedelta(minutes=1)


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def _scope(value: Any) -> dict[str, str]:
    """The scope column as a dict, whether the connection decodes jsonb (a service's own codec)
    or hands it over as text (asyncpg's default)."""
    return dict(json.loads(value) if isinstance(value, str | bytes) else value)


@dataclass(frozen=True)
class IssuedKey:
    key: str
    """The whole key: shown once, never stored."""
    key_id: str
    expires_at: datetime


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    role: str
    subject: str
    scope: dict[str, str]
    label: str
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> "KeyRecord":
        return cls(
            key_id=row["key_id"],
            role=row["role"],
            subject=row["subject"],
            scope=_scope(row["scope"]),
            label=row["label"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            expires_at=row["expires_at"],
            revoked_at=row["revoked_at"],
            last_used_at=row["last_used_at"],
        )


async def issue(
    conn: asyncpg.Connection,
    *,
    service: str,
    role: str,
    subject: str,
    scope: dict[str, Any],
    label: str,
    created_by: str,
    now: datetime,
    lifetime: timedelta,
) -> IssuedKey:
    """A new key for `role` in `scope`; raises `ScopeError` when the scope does not fit."""
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValueError(f"a key lives between a minute and {MAX_LIFETIME.days} days")
    kept = check_scope(role, scope)
    key_id = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    expires_at = now + lifetime
    await conn.execute(
        "INSERT INTO api_key (key_id, secret_sha256, role, subject, scope, label, created_by,"
        " created_at, expires_at) VALUES ($1, $2, $3, $4, $5::text::jsonb, $6, $7, $8, $9)",
        key_id,
        _digest(secret),
        role,
        subject,
        json.dumps(kept),
        label,
        created_by,
        now,
        expires_at,
    )
    return IssuedKey(key=f"kl_{service}_{key_id}_{secret}", key_id=key_id, expires_at=expires_at)


async def authenticate(
    conn: asyncpg.Connection, key: str, *, service: str, now: datetime
) -> Principal | None:
    """The principal of a live key of this service, or None (unknown, wrong service, expired,
    revoked or a wrong secret: the caller cannot tell which)."""
    match = _KEY.fullmatch(key)
    if match is None or match["service"] != service:
        return None
    row = await conn.fetchrow(
        "SELECT key_id, secret_sha256, role, subject, scope, revoked_at, expires_at, last_used_at"
        " FROM api_key WHERE key_id = $1",
        match["key_id"],
    )
    if row is None or not hmac.compare_digest(
        bytes(row["secret_sha256"]), _digest(match["secret"])
    ):
        return None
    if row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    if row["last_used_at"] is None or now - row["last_used_at"] >= _TOUCH_EVERY:
        await conn.execute(
            "UPDATE api_key SET last_used_at = $2 WHERE key_id = $1", row["key_id"], now
        )
    return Principal(
        role=row["role"],
        subject=row["subject"],
        key_id=row["key_id"],
        scope=_scope(row["scope"]),
    )


async def revoke(conn: asyncpg.Connection, key_id: str, *, now: datetime) -> bool:
    """End a key at once; False when there is no such key. Revoking twice changes nothing."""
    status = await conn.execute(
        "UPDATE api_key SET revoked_at = coalesce(revoked_at, $2) WHERE key_id = $1", key_id, now
    )
    return status != "UPDATE 0"


async def revoke_scope(
    conn: asyncpg.Connection, *, role: str, scope: dict[str, str], now: datetime
) -> int:
    """End every live key of `role` in `scope` (an HR desk's keys when new ones replace them)."""
    status = await conn.execute(
        "UPDATE api_key SET revoked_at = $3 WHERE role = $1 AND scope = $2::text::jsonb"
        " AND revoked_at IS NULL",
        role,
        json.dumps(check_scope(role, scope)),
        now,
    )
    return int(status.split()[-1])


async def listing(
    conn: asyncpg.Connection, *, include_ended: bool, now: datetime
) -> list[KeyRecord]:
    rows = await conn.fetch(
        "SELECT * FROM api_key WHERE $1 OR (revoked_at IS NULL AND expires_at > $2)"
        " ORDER BY created_at, key_id",
        include_ended,
        now,
    )
    return [KeyRecord.of(row) for row in rows]
