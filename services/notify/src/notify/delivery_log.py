"""The delivery log for operators: search, one delivery with its attempts, a new round of
tries for a parked or failed one."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg


@dataclass(frozen=True)
class LogFilters:
    resident_id: UUID | None = None
    event_id: str | None = None
    status: str | None = None
    channel: str | None = None
    channel_id: UUID | None = None
    kind: str | None = None
    vacancy_id: UUID | None = None


_LOG_WHERE = """
    ($1::uuid IS NULL OR resident_id = $1) AND ($2::text IS NULL OR event_id = $2)
    AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR channel = $4)
    AND ($5::uuid IS NULL OR channel_id = $5) AND ($6::text IS NULL OR kind = $6)
    AND ($7::uuid IS NULL OR vacancy_id = $7)
"""


async def search(
    conn: asyncpg.Connection, *, filters: LogFilters, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    values = (
        filters.resident_id, filters.event_id, filters.status, filters.channel,
        filters.channel_id, filters.kind, filters.vacancy_id,
    )  # fmt: skip
    rows = await conn.fetch(
        f"SELECT * FROM delivery WHERE {_LOG_WHERE}"
        " ORDER BY created_at DESC, delivery_id LIMIT $8 OFFSET $9",
        *values,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM delivery WHERE {_LOG_WHERE}", *values)
    return rows, int(total)


async def get(conn: asyncpg.Connection, *, delivery_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM delivery WHERE delivery_id = $1", delivery_id)


async def attempts(conn: asyncpg.Connection, *, delivery_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM delivery_attempt WHERE delivery_id = $1 ORDER BY attempt", delivery_id
    )


async def retry(conn: asyncpg.Connection, *, delivery_id: UUID, now: datetime) -> bool:
    """Give a parked (or failed) delivery a new round of tries, under the same key."""
    done = await conn.fetchval(
        "UPDATE delivery SET status = 'pending', retry_from = attempts, not_before = $2,"
        " updated_at = $2, reason = NULL"
        " WHERE delivery_id = $1 AND status IN ('parked', 'failed') RETURNING true",
        delivery_id,
        now,
    )
    return bool(done)
