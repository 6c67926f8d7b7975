"""The delivery log for operators (an agency: its own channels' webhooks only): search, one
delivery with its attempts, a new round of tries for a parked or failed one."""

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
    owner: str | None = None
    """An agency's key subject: only the deliveries to its own channels."""


_OWNED = "channel_id IN (SELECT channel_id FROM channel WHERE owner_key_subject = {})"
_LOG_WHERE = (
    """
    ($1::uuid IS NULL OR resident_id = $1) AND ($2::text IS NULL OR event_id = $2)
    AND ($3::text IS NULL OR status = $3) AND ($4::text IS NULL OR channel = $4)
    AND ($5::uuid IS NULL OR channel_id = $5) AND ($6::text IS NULL OR kind = $6)
    AND ($7::uuid IS NULL OR vacancy_id = $7)
    AND ($8::text IS NULL OR """
    + _OWNED.format("$8")
    + """)
"""
)


async def search(
    conn: asyncpg.Connection, *, filters: LogFilters, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    values = (
        filters.resident_id, filters.event_id, filters.status, filters.channel,
        filters.channel_id, filters.kind, filters.vacancy_id, filters.owner,
    )  # fmt: skip
    rows = await conn.fetch(
        f"SELECT * FROM delivery WHERE {_LOG_WHERE}"
        " ORDER BY created_at DESC, delivery_id LIMIT $9 OFFSET $10",
        *values,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM delivery WHERE {_LOG_WHERE}", *values)
    return rows, int(total)


async def get(
    conn: asyncpg.Connection, *, delivery_id: UUID, owner: str | None = None
) -> asyncpg.Record | None:
    """One delivery; with `owner`, only one to that agency's own channel."""
    return await conn.fetchrow(
        "SELECT * FROM delivery WHERE delivery_id = $1 AND ($2::text IS NULL OR "
        + _OWNED.format("$2")
        + ")",
        delivery_id,
        owner,
    )


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
