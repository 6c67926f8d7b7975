"""Hand-written SQL over an asyncpg connection for contacts, vacancies, channels and reports; the
caller owns the transaction. Deliveries have their own module (deliveries.py)."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

from kerjalokal.events.vacancies import Vacancy


async def init_connection(conn: asyncpg.Connection) -> None:
    """JSON columns as Python values."""
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec(
        "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
    )


# --- contacts --------------------------------------------------------------------------------


async def upsert_contact(conn: asyncpg.Connection, *, row: dict[str, Any]) -> bool:
    """Keep the newest version of a resident's contact; False when an older one arrived late.
    The first name, phone and email arrive sealed (crypto.py)."""
    applied = await conn.fetchval(
        """
        INSERT INTO contact AS c (resident_id, version, first_name_sealed, phone_sealed,
                                  email_sealed, channels, consent, changed_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (resident_id) DO UPDATE SET
            version = EXCLUDED.version, first_name_sealed = EXCLUDED.first_name_sealed,
            phone_sealed = EXCLUDED.phone_sealed, email_sealed = EXCLUDED.email_sealed,
            channels = EXCLUDED.channels, consent = EXCLUDED.consent,
            changed_at = EXCLUDED.changed_at, updated_at = EXCLUDED.updated_at
        WHERE c.version < EXCLUDED.version
        RETURNING true
        """,
        *(row[k] for k in ("resident_id", "version")),
        *(row[k] for k in ("first_name_sealed", "phone_sealed", "email_sealed")),
        *(row[k] for k in ("channels", "consent", "changed_at", "updated_at")),
    )
    return bool(applied)


async def opt_out(conn: asyncpg.Connection, *, resident_id: UUID, now: datetime) -> bool:
    found = await conn.fetchval(
        "UPDATE contact SET opted_out_at = coalesce(opted_out_at, $2), updated_at = $2"
        " WHERE resident_id = $1 RETURNING true",
        resident_id,
        now,
    )
    return bool(found)


async def upsert_status(
    conn: asyncpg.Connection, *, resident_id: UUID, version: int, status: str, at: datetime
) -> None:
    await conn.execute(
        """
        INSERT INTO resident_state AS s (resident_id, version, status, changed_at)
        VALUES ($1, $2, $3, $4)
        ON CONFLICT (resident_id) DO UPDATE SET
            version = EXCLUDED.version, status = EXCLUDED.status, changed_at = EXCLUDED.changed_at
        WHERE s.version < EXCLUDED.version
        """,
        resident_id,
        version,
        status,
        at,
    )


# --- vacancies -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a reader may narrow the board and the feeds to."""

    kecamatan: str | None = None
    education: int | None = None
    occupation: str | None = None
    contract: str | None = None
    outsourcing: bool | None = None

    def key(self) -> str:
        return "&".join(f"{k}={v}" for k, v in sorted(vars(self).items()) if v is not None)


async def upsert_vacancy(
    conn: asyncpg.Connection, *, vacancy: Vacancy, version: int, now: datetime
) -> asyncpg.Record | None:
    """Apply a newer version of an open vacancy; None when stale or already closed. The record
    says whether the vacancy was new here and when it was first broadcast."""
    return await conn.fetchrow(
        """
        INSERT INTO vacancy AS v (vacancy_id, version, body, kecamatan_kode, desa_kode,
            education_min, education_max, kbji_code, contract_type, outsourcing, published_at,
            valid_until, changed_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
        ON CONFLICT (vacancy_id) DO UPDATE SET
            version = EXCLUDED.version, body = EXCLUDED.body,
            kecamatan_kode = EXCLUDED.kecamatan_kode, desa_kode = EXCLUDED.desa_kode,
            education_min = EXCLUDED.education_min, education_max = EXCLUDED.education_max,
            kbji_code = EXCLUDED.kbji_code, contract_type = EXCLUDED.contract_type,
            outsourcing = EXCLUDED.outsourcing, published_at = EXCLUDED.published_at,
            valid_until = EXCLUDED.valid_until, changed_at = EXCLUDED.changed_at
        WHERE v.version < EXCLUDED.version AND v.closed_at IS NULL
        RETURNING (xmax = 0) AS inserted, broadcast_at
        """,
        vacancy.vacancy_id,
        version,
        vacancy.model_dump(mode="json"),
        vacancy.work_kecamatan_kode,
        vacancy.work_desa_kode,
        vacancy.education.minimum,
        vacancy.education.maximum,
        vacancy.kbji_code,
        vacancy.contract_type,
        vacancy.outsourcing,
        vacancy.published_at,
        vacancy.valid_until,
        now,
    )


async def mark_broadcast(conn: asyncpg.Connection, *, vacancy_id: UUID, at: datetime) -> bool:
    done = await conn.fetchval(
        "UPDATE vacancy SET broadcast_at = $2 WHERE vacancy_id = $1 AND broadcast_at IS NULL"
        " RETURNING true",
        vacancy_id,
        at,
    )
    return bool(done)


async def close_vacancy(
    conn: asyncpg.Connection, *, vacancy_id: UUID, reason: str, closed_at: datetime, now: datetime
) -> asyncpg.Record | None:
    """Close an open vacancy (a tombstone if it is not known yet); None if it was closed."""
    row = await conn.fetchrow(
        "UPDATE vacancy SET closed_at = $2, close_reason = $3, changed_at = $4"
        " WHERE vacancy_id = $1 AND closed_at IS NULL RETURNING kecamatan_kode",
        vacancy_id,
        closed_at,
        reason,
        now,
    )
    if row is not None:
        return row
    return await conn.fetchrow(
        "INSERT INTO vacancy (vacancy_id, version, closed_at, close_reason, changed_at)"
        " VALUES ($1, 0, $2, $3, $4) ON CONFLICT (vacancy_id) DO NOTHING"
        " RETURNING kecamatan_kode",
        vacancy_id,
        closed_at,
        reason,
        now,
    )


async def get_vacancy(conn: asyncpg.Connection, *, vacancy_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT vacancy_id, body, closed_at, close_reason, changed_at FROM vacancy"
        " WHERE vacancy_id = $1",
        vacancy_id,
    )


_OPEN = """
    closed_at IS NULL AND valid_until >= $1
    AND ($2::text IS NULL OR kecamatan_kode = $2)
    AND ($3::int IS NULL
         OR (education_min <= $3 AND (education_max IS NULL OR education_max >= $3)))
    AND ($4::text IS NULL OR kbji_code LIKE $4 || '%')
    AND ($5::text IS NULL OR contract_type = $5)
    AND ($6::bool IS NULL OR outsourcing = $6)
"""


def _filter_values(filters: Filters, today: date) -> tuple[Any, ...]:
    return (
        today, filters.kecamatan, filters.education, filters.occupation, filters.contract,
        filters.outsourcing,
    )  # fmt: skip


async def count_open(conn: asyncpg.Connection, *, filters: Filters, today: date) -> int:
    total = await conn.fetchval(
        f"SELECT count(*) FROM vacancy WHERE {_OPEN}", *_filter_values(filters, today)
    )
    return int(total)


async def open_vacancies(
    conn: asyncpg.Connection,
    *,
    filters: Filters,
    today: date,
    near: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[asyncpg.Record]:
    """Open vacancies, newest first; with `near` (a desa or kecamatan code), those whose
    workplace is in that desa come first, then those in its kecamatan."""
    nearness = ""
    if near:
        nearness = (
            "CASE WHEN desa_kode = $8 THEN 0 WHEN kecamatan_kode = left($8, 8) THEN 1 ELSE 2 END,"
        )
    return await conn.fetch(
        f"SELECT vacancy_id, body, closed_at, close_reason, changed_at FROM vacancy"
        f" WHERE {_OPEN} ORDER BY {nearness} published_at DESC, vacancy_id"
        f" LIMIT $7 OFFSET {int(offset)}",
        *_filter_values(filters, today),
        limit,
        *((near,) if near else ()),
    )


async def feeds_changed_at(conn: asyncpg.Connection) -> datetime | None:
    changed: datetime | None = await conn.fetchval("SELECT max(changed_at) FROM vacancy")
    return changed


# --- channels --------------------------------------------------------------------------------

_CHANNEL = (
    "channel_id, name, url, events, kecamatan, status, paused_reason, consecutive_failures,"
    " max_in_flight, owner_key_subject, created_at, updated_at"
)


async def insert_channel(conn: asyncpg.Connection, values: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"""
        INSERT INTO channel (channel_id, name, url, secret, events, kecamatan, max_in_flight,
                             owner_key_subject, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {_CHANNEL}
        """,
        *(values[k] for k in ("channel_id", "name", "url", "secret", "events", "kecamatan")),
        values["max_in_flight"],
        values.get("owner_key_subject"),
        values["created_at"],
    )
    assert row is not None
    return row


async def get_channel(
    conn: asyncpg.Connection, *, channel_id: UUID, owner: str | None = None
) -> asyncpg.Record | None:
    """A live channel; with `owner`, only if it is that agency's."""
    return await conn.fetchrow(
        f"SELECT {_CHANNEL} FROM channel WHERE channel_id = $1 AND status <> 'deleted'"
        " AND ($2::text IS NULL OR owner_key_subject = $2)",
        channel_id,
        owner,
    )


async def list_channels(
    conn: asyncpg.Connection, *, owner: str | None = None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_CHANNEL} FROM channel WHERE status <> 'deleted'"
        " AND ($1::text IS NULL OR owner_key_subject = $1) ORDER BY created_at",
        owner,
    )


async def update_channel(
    conn: asyncpg.Connection, *, channel_id: UUID, changes: dict[str, Any], now: datetime
) -> asyncpg.Record | None:
    names = list(changes)
    assignments = "".join(f", {name} = ${i}" for i, name in enumerate(names, start=3))
    return await conn.fetchrow(
        f"UPDATE channel SET updated_at = $2{assignments}"
        f" WHERE channel_id = $1 AND status <> 'deleted' RETURNING {_CHANNEL}",
        channel_id,
        now,
        *(changes[name] for name in names),
    )


async def channels_for(
    conn: asyncpg.Connection, *, event: str, kecamatan: str | None
) -> list[asyncpg.Record]:
    """Channels that take this event for this kecamatan; paused ones too, their deliveries
    wait for the operator to resume them."""
    return await conn.fetch(
        "SELECT channel_id FROM channel WHERE status <> 'deleted' AND $1 = ANY(events)"
        " AND (cardinality(kecamatan) = 0 OR $2 = ANY(kecamatan))",
        event,
        kecamatan,
    )


# --- reports ---------------------------------------------------------------------------------


async def insert_report(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO vacancy_report (report_id, vacancy_id, reason, details, created_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        *(values[k] for k in ("report_id", "vacancy_id", "reason", "details", "created_at")),
    )


async def list_reports(
    conn: asyncpg.Connection, *, status: str | None, limit: int, offset: int
) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM vacancy_report WHERE ($1::text IS NULL OR status = $1)"
        " ORDER BY created_at DESC LIMIT $2 OFFSET $3",
        status,
        limit,
        offset,
    )


async def review_report(
    conn: asyncpg.Connection,
    *,
    report_id: UUID,
    status: str,
    note: str | None,
    by: str,
    now: datetime,
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "UPDATE vacancy_report SET status = $2, note = $3, reviewed_by = $4, reviewed_at = $5"
        " WHERE report_id = $1 RETURNING *",
        report_id,
        status,
        note,
        by,
        now,
    )
