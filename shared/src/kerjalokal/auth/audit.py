"""The audit log of personal data read in clear: who, when, which resident, which fields, why.

Written in the same transaction as the read it records: a read that is not logged does not
happen. Operators read it (`GET /residents/{id}/access-log` in the registry)."""

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

import asyncpg

from .principal import Principal


async def record(
    conn: asyncpg.Connection,
    *,
    who: Principal,
    resident_id: UUID,
    fields: Sequence[str],
    purpose: str,
    now: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO personal_data_access (accessed_at, principal, role, resident_id, fields,"
        " purpose) VALUES ($1, $2, $3, $4, $5, $6)",
        now,
        who.label,
        who.role,
        resident_id,
        list(fields),
        purpose,
    )


async def accesses(conn: asyncpg.Connection, resident_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT accessed_at, principal, role, fields, purpose FROM personal_data_access"
        " WHERE resident_id = $1 ORDER BY accessed_at, access_id",
        resident_id,
    )
