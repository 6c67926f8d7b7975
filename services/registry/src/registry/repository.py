"""Hand-written SQL over an asyncpg connection; the caller owns the transaction."""

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

_RESIDENT_COLUMNS = (
    "resident_id, nik_hmac, key_id, personal, sex, birth_date, desa_kode, kecamatan_kode,"
    " kabkota_kode, is_local, kepmendagri, domicile_evidence, domicile_since, education_level,"
    " education_band, education_track, education_major, skills, certificates,"
    " occupation_interests, disability, contact_consent, contact_channels, status,"
    " status_changed_at, nik_warnings, registered_at, registered_by_kind, registered_by,"
    " updated_at"
)
_IN_TRAINING = (
    "EXISTS (SELECT 1 FROM training_enrollment t"
    " WHERE t.resident_id = resident.resident_id AND t.state = 'enrolled') AS in_training"
)


async def init_connection(conn: asyncpg.Connection) -> None:
    """JSON columns as Python values; jsonb in binary format so that COPY can encode it too."""
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda value: b"\x01" + json.dumps(value).encode(),
        decoder=lambda data: json.loads(data[1:]),
        schema="pg_catalog",
        format="binary",
    )


async def insert(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    columns = _RESIDENT_COLUMNS.split(", ")
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    await conn.execute(
        f"INSERT INTO resident ({_RESIDENT_COLUMNS}) VALUES ({placeholders})",
        *(values[c] for c in columns),
    )


async def id_by_nik(conn: asyncpg.Connection, *, nik_hmac: bytes) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT resident_id FROM resident WHERE nik_hmac = $1", nik_hmac
    )
    return found


async def get(
    conn: asyncpg.Connection, *, resident_id: UUID, for_update: bool = False
) -> asyncpg.Record | None:
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(
        f"SELECT *, {_IN_TRAINING} FROM resident WHERE resident_id = $1"
        f" AND erased_at IS NULL{lock}",
        resident_id,
    )


async def erase(conn: asyncpg.Connection, *, resident_id: UUID, at: datetime) -> int | None:
    """Remove the resident's personal data; the new version, or None if already erased (or
    unknown). The birth date keeps only its year; disability, consent and the AK/1 card's number
    (printed on the card, so it would name the row) go."""
    version: int | None = await conn.fetchval(
        "UPDATE resident SET nik_hmac = NULL, personal = NULL, key_id = 'erased',"
        " ak1_number = NULL, birth_date = make_date(extract(year FROM birth_date)::int, 1, 1),"
        " disability = NULL, contact_consent = false, contact_channels = '{}', nik_warnings = '{}',"
        " domicile_evidence = 'erased', erased_at = $2, updated_at = $2, version = version + 1"
        " WHERE resident_id = $1 AND erased_at IS NULL RETURNING version",
        resident_id,
        at,
    )
    return version


async def erased_at(conn: asyncpg.Connection, *, resident_id: UUID) -> datetime | None:
    erased: datetime | None = await conn.fetchval(
        "SELECT erased_at FROM resident WHERE resident_id = $1", resident_id
    )
    return erased


async def erase_history(conn: asyncpg.Connection, *, resident_id: UUID) -> None:
    """Of the history keep what happened and when, not the card number or the evidence text."""
    await conn.execute(
        "UPDATE resident_history SET detail = detail - 'ak1_number' - 'evidence'"
        " WHERE resident_id = $1",
        resident_id,
    )


async def erase_events(conn: asyncpg.Connection, *, resident_id: UUID, exchange: str) -> None:
    """Drop the resident's restricted events (contact details, the NIK's lookup hash) from the
    outbox, sent or not: kept for the retention period they would outlive the erasure."""
    await conn.execute(
        "DELETE FROM outbox WHERE subject = $1 AND exchange = $2", str(resident_id), exchange
    )


async def exists(conn: asyncpg.Connection, *, resident_id: UUID) -> bool:
    """Whether the resident was ever registered here (erased or not)."""
    return bool(await conn.fetchval("SELECT 1 FROM resident WHERE resident_id = $1", resident_id))


async def update(
    conn: asyncpg.Connection, *, resident_id: UUID, changes: dict[str, Any], at: datetime
) -> asyncpg.Record:
    """Apply the changes, bump the version; return the row as it is now."""
    names = list(changes)
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
    row = await conn.fetchrow(
        f"UPDATE resident SET {assignments}{', ' if names else ''}updated_at = $2,"
        f" version = version + 1 WHERE resident_id = $1 RETURNING *, {_IN_TRAINING}",
        resident_id,
        at,
        *(changes[name] for name in names),
    )
    assert row is not None
    return row


async def add_history(
    conn: asyncpg.Connection,
    *,
    resident_id: UUID,
    at: datetime,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO resident_history (resident_id, at, actor, action, detail)"
        " VALUES ($1, $2, $3, $4, $5)",
        resident_id,
        at,
        actor,
        action,
        detail or {},
    )


async def history(conn: asyncpg.Connection, *, resident_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT at, actor, action, detail FROM resident_history WHERE resident_id = $1 ORDER BY id",
        resident_id,
    )


async def enrollments(conn: asyncpg.Connection, *, resident_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT enrollment_id, session_id, state, updated_at FROM training_enrollment"
        " WHERE resident_id = $1 ORDER BY updated_at, enrollment_id",
        resident_id,
    )


async def status_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Registered seekers by status, the whole regency (no row small enough to name anyone)."""
    rows = await conn.fetch(
        "SELECT status, count(*) AS n FROM resident WHERE erased_at IS NULL GROUP BY status"
    )
    return {row["status"]: row["n"] for row in rows}


async def next_ak1_sequence(conn: asyncpg.Connection) -> int:
    sequence: int = await conn.fetchval("SELECT nextval('ak1_serial')")
    return sequence


@dataclass(frozen=True)
class Filters:
    desa_kode: str | None = None
    kecamatan_kode: str | None = None
    education_level: int | None = None
    min_education_level: int | None = None
    skill: str | None = None
    status: str | None = None
    is_local: bool | None = None
    in_training: bool | None = None


def _where(filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = ["erased_at IS NULL"]
    args: list[Any] = []
    simple = {
        "desa_kode": filters.desa_kode,
        "kecamatan_kode": filters.kecamatan_kode,
        "education_level": filters.education_level,
        "status": filters.status,
        "is_local": filters.is_local,
    }
    for column, value in simple.items():
        if value is not None:
            args.append(value)
            clauses.append(f"{column} = ${len(args)}")
    if filters.min_education_level is not None:
        args.append(filters.min_education_level)
        clauses.append(f"education_level >= ${len(args)}")
    if filters.skill is not None:
        args.append([filters.skill.lower()])
        clauses.append(f"skills @> ${len(args)}::text[]")
    if filters.in_training is not None:
        negate = "" if filters.in_training else "NOT "
        clauses.append(
            f"{negate}EXISTS (SELECT 1 FROM training_enrollment t WHERE"
            " t.resident_id = resident.resident_id AND t.state = 'enrolled')"
        )
    return " WHERE " + " AND ".join(clauses), args


async def search(
    conn: asyncpg.Connection, *, filters: Filters, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    where, args = _where(filters)
    total: int = await conn.fetchval(f"SELECT count(*) FROM resident{where}", *args)
    rows = await conn.fetch(
        f"SELECT *, {_IN_TRAINING} FROM resident{where}"
        f" ORDER BY registered_at DESC, resident_id LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
        *args,
        limit,
        offset,
    )
    return rows, total


async def record_enrollment(
    conn: asyncpg.Connection,
    *,
    enrollment_id: UUID,
    resident_id: UUID,
    session_id: UUID,
    state: str,
    at: datetime,
) -> None:
    """A later state never goes back: an enrollment that completed stays completed even if the
    'enrolled' event arrives after it."""
    await conn.execute(
        "INSERT INTO training_enrollment"
        " (enrollment_id, resident_id, session_id, state, updated_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enrollment_id) DO UPDATE"
        " SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at"
        " WHERE training_enrollment.state = 'enrolled'",
        enrollment_id,
        resident_id,
        session_id,
        state,
        at,
    )


async def due_for_sweep(conn: asyncpg.Connection, *, today: date) -> list[UUID]:
    rows = await conn.fetch(
        "SELECT resident_id FROM resident WHERE erased_at IS NULL AND ("
        "(status = 'active' AND ak1_next_report_due < $1)"
        " OR (status IN ('active', 'lapsed') AND ak1_valid_until < $1))",
        today,
    )
    return [row["resident_id"] for row in rows]
