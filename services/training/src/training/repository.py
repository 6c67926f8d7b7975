"""Hand-written SQL over an asyncpg connection; the caller owns the transaction."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

_SESSION = """
    SELECT s.*, p.institution_id, p.kind, p.title, p.vocation, p.kbji_code, p.skills,
           p.min_age, p.max_age, p.min_education_level, p.education_track, p.host_company_id,
           p.agreement_number, p.stipend_basis, i.licence_status
    FROM session s JOIN programme p USING (programme_id) JOIN institution i USING (institution_id)
"""
# A village admin's residents: the desa, or every desa of the kecamatan (32.16.05.2001 lies in
# 32.16.05). Both NULL: no restriction (operators, institutions).
_IN_VILLAGE = (
    "(({desa}::text IS NULL AND {kecamatan}::text IS NULL) OR s.desa_kode = {desa}"
    " OR s.desa_kode LIKE {kecamatan} || '.%')"
)
_ENROLLMENT = """
    SELECT e.*, lower(e.period) AS starts_on, upper(e.period) - 1 AS ends_on, p.kind,
           p.vocation, p.kbji_code, p.host_company_id, p.agreement_number, p.stipend_basis
    FROM enrollment e JOIN programme p USING (programme_id)
"""


async def init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def insert(conn: asyncpg.Connection, table: str, values: dict[str, Any]) -> asyncpg.Record:
    columns = ", ".join(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(values) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO {table} ({columns}) VALUES ({placeholders}) RETURNING *", *values.values()
    )
    assert row is not None
    return row


async def update(
    conn: asyncpg.Connection, table: str, key: str, key_value: UUID, changes: dict[str, Any]
) -> asyncpg.Record:
    assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(changes, start=2))
    row = await conn.fetchrow(
        f"UPDATE {table} SET {assignments} WHERE {key} = $1 RETURNING *",
        key_value,
        *changes.values(),
    )
    assert row is not None
    return row


# --- institutions and companies -----------------------------------------------------------------


async def institution_types(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM institution_type ORDER BY kode")


async def institution_type(conn: asyncpg.Connection, *, kode: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM institution_type WHERE kode = $1", kode)


_INSTITUTION = (
    "SELECT i.*, t.name AS type_name FROM institution i JOIN institution_type t"
    " ON t.kode = i.type_kode"
)


async def get_institution(
    conn: asyncpg.Connection, *, institution_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(f"{_INSTITUTION} WHERE institution_id = $1", institution_id)


async def institution_by_name(
    conn: asyncpg.Connection, *, type_kode: str, name: str
) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT institution_id FROM institution WHERE type_kode = $1 AND name = $2",
        type_kode,
        name,
    )
    return found


async def list_institutions(conn: asyncpg.Connection, *, only: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{_INSTITUTION} WHERE $1::uuid IS NULL OR institution_id = $1 ORDER BY i.name", only
    )


async def upsert_company(
    conn: asyncpg.Connection, *, company_id: UUID, company_name: str, verified_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO company (company_id, company_name, verified_at) VALUES ($1, $2, $3)"
        " ON CONFLICT (company_id) DO UPDATE SET company_name = EXCLUDED.company_name,"
        " verified_at = EXCLUDED.verified_at WHERE company.verified_at <= EXCLUDED.verified_at",
        company_id,
        company_name,
        verified_at,
    )


async def get_company(conn: asyncpg.Connection, *, company_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM company WHERE company_id = $1", company_id)


async def list_companies(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM company ORDER BY company_name")


# --- programmes and sessions --------------------------------------------------------------------

_PROGRAMME = (
    "SELECT p.*, i.name AS institution_name, i.type_kode AS institution_type,"
    " i.licence_status FROM programme p JOIN institution i USING (institution_id)"
)


async def get_programme(
    conn: asyncpg.Connection, *, programme_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE OF p" if lock else ""
    return await conn.fetchrow(f"{_PROGRAMME} WHERE programme_id = $1{suffix}", programme_id)


async def list_programmes(
    conn: asyncpg.Connection,
    *,
    institution_id: UUID | None,
    kind: str | None,
    kbji_code: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = (
        " WHERE ($1::uuid IS NULL OR p.institution_id = $1) AND ($2::text IS NULL OR p.kind = $2)"
        " AND ($3::text IS NULL OR p.kbji_code LIKE $3 || '%')"
    )
    args = (institution_id, kind, kbji_code)
    total: int = await conn.fetchval(f"SELECT count(*) FROM programme p{where}", *args)
    rows = await conn.fetch(
        f"{_PROGRAMME}{where} ORDER BY p.opened_at, p.programme_id LIMIT $4 OFFSET $5",
        *args,
        limit,
        offset,
    )
    return rows, total


async def programme_by_title(
    conn: asyncpg.Connection, *, institution_id: UUID, title: str
) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT programme_id FROM programme WHERE institution_id = $1 AND title = $2",
        institution_id,
        title,
    )
    return found


async def next_session_number(conn: asyncpg.Connection, *, programme_id: UUID) -> int:
    number: int = await conn.fetchval(
        "SELECT coalesce(max(number), 0) + 1 FROM session WHERE programme_id = $1", programme_id
    )
    return number


async def get_session(
    conn: asyncpg.Connection, *, session_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE OF s" if lock else ""
    return await conn.fetchrow(f"{_SESSION} WHERE s.session_id = $1{suffix}", session_id)


_COUNTS = """
    SELECT s.*, p.institution_id,
        count(*) FILTER (WHERE e.state = 'enrolled') AS enrolled,
        count(*) FILTER (WHERE e.state = 'waitlisted') AS waitlisted,
        count(*) FILTER (WHERE e.state = 'completed') AS completed
    FROM session s JOIN programme p USING (programme_id)
    LEFT JOIN enrollment e ON e.session_id = s.session_id
"""


async def session_with_counts(
    conn: asyncpg.Connection, *, session_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"{_COUNTS} WHERE s.session_id = $1 GROUP BY s.session_id, p.institution_id", session_id
    )


async def sessions_of(conn: asyncpg.Connection, *, programme_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{_COUNTS} WHERE s.programme_id = $1 GROUP BY s.session_id, p.institution_id"
        " ORDER BY s.number",
        programme_id,
    )


# --- seekers and the ready pool -----------------------------------------------------------------


_SEEKER_KEYS = (
    "resident_id", "status", "version", "birth_year", "sex", "education_level",
    "education_track", "desa_kode", "kecamatan_kode", "is_local", "skills", "at",
)  # fmt: skip


async def upsert_seeker(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    """A profile newer than the one held replaces it; the status follows its own version."""
    await conn.execute(
        "INSERT INTO seeker (resident_id, status, status_version, birth_year, sex,"
        " education_level, education_track, desa_kode, kecamatan_kode, is_local, skills,"
        " profile_version, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
        " $3, $12) ON CONFLICT (resident_id) DO UPDATE SET"
        " birth_year = EXCLUDED.birth_year, sex = EXCLUDED.sex,"
        " education_level = EXCLUDED.education_level,"
        " education_track = EXCLUDED.education_track, desa_kode = EXCLUDED.desa_kode,"
        " kecamatan_kode = EXCLUDED.kecamatan_kode, is_local = EXCLUDED.is_local,"
        " skills = EXCLUDED.skills, profile_version = EXCLUDED.profile_version,"
        " updated_at = EXCLUDED.updated_at,"
        " status = CASE WHEN seeker.status_version < EXCLUDED.status_version"
        "   THEN EXCLUDED.status ELSE seeker.status END,"
        " status_version = greatest(seeker.status_version, EXCLUDED.status_version)"
        " WHERE seeker.profile_version < EXCLUDED.profile_version AND seeker.erased_at IS NULL",
        *(values[k] for k in _SEEKER_KEYS),
    )


async def update_seeker_status(
    conn: asyncpg.Connection, *, resident_id: UUID, status: str, version: int, at: datetime
) -> bool:
    """False when the status held is newer or the seeker was erased. An unknown seeker gets a row
    without a profile."""
    done = await conn.fetchval(
        "INSERT INTO seeker (resident_id, status, status_version, updated_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (resident_id) DO UPDATE SET status = $2,"
        " status_version = $3, updated_at = $4 WHERE seeker.status_version < $3"
        " AND seeker.erased_at IS NULL RETURNING true",
        resident_id,
        status,
        version,
        at,
    )
    return bool(done)


async def get_seeker(
    conn: asyncpg.Connection, *, resident_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    """A seeker whose registration has arrived and who was not erased; None otherwise. With
    `lock`, an erasure of the seeker waits for the caller's transaction (and one under way makes
    this None once it commits)."""
    suffix = " FOR SHARE" if lock else ""
    return await conn.fetchrow(
        "SELECT * FROM seeker WHERE resident_id = $1 AND profile_version > 0"
        f" AND erased_at IS NULL{suffix}",
        resident_id,
    )


async def seeker_desa(conn: asyncpg.Connection, *, resident_id: UUID) -> str | None:
    """The desa a seeker lives in, as the registry said (None when unknown or erased)."""
    found: str | None = await conn.fetchval(
        "SELECT desa_kode FROM seeker WHERE resident_id = $1 AND erased_at IS NULL", resident_id
    )
    return found


async def erase_seeker(
    conn: asyncpg.Connection, *, resident_id: UUID, version: int, at: datetime
) -> bool:
    """Keep only the random id and the erasure (a tombstone, also for a seeker not seen yet);
    False when the seeker was erased before."""
    done = await conn.fetchval(
        "INSERT INTO seeker (resident_id, status, status_version, profile_version, updated_at,"
        " erased_at) VALUES ($1, 'erased', $2, $2, $3, $3) ON CONFLICT (resident_id) DO UPDATE"
        " SET status = 'erased', status_version = greatest(seeker.status_version, $2),"
        " profile_version = greatest(seeker.profile_version, $2), birth_year = NULL,"
        " sex = NULL, education_level = NULL, education_track = NULL, desa_kode = NULL,"
        " kecamatan_kode = NULL, is_local = NULL, skills = '{}', updated_at = $3, erased_at = $3"
        " WHERE seeker.erased_at IS NULL RETURNING true",
        resident_id,
        version,
        at,
    )
    return bool(done)


async def is_erased(conn: asyncpg.Connection, *, resident_id: UUID) -> bool:
    erased: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM seeker WHERE resident_id = $1 AND erased_at IS NOT NULL)",
        resident_id,
    )
    return erased


async def count_seekers(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM seeker WHERE profile_version > 0")
    return count


async def get_readiness(
    conn: asyncpg.Connection, *, resident_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(
        f"SELECT * FROM readiness WHERE resident_id = $1{suffix}", resident_id
    )


async def save_readiness(conn: asyncpg.Connection, values: dict[str, Any]) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO readiness (resident_id, vocation, kbji_code, state, reason, assessed_at,"
        " assessed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $6)"
        " ON CONFLICT (resident_id) DO UPDATE SET vocation = EXCLUDED.vocation,"
        " kbji_code = EXCLUDED.kbji_code, state = EXCLUDED.state, reason = EXCLUDED.reason,"
        " assessed_at = EXCLUDED.assessed_at, assessed_by = EXCLUDED.assessed_by,"
        " changed_at = EXCLUDED.changed_at RETURNING *",
        *(
            values[k]
            for k in ("resident_id", "vocation", "kbji_code", "state", "reason", "at", "by")
        ),
    )
    assert row is not None
    return row


async def set_readiness_state(
    conn: asyncpg.Connection, *, resident_id: UUID, state: str, reason: str, at: datetime
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "UPDATE readiness SET state = $2, reason = $3, changed_at = $4 WHERE resident_id = $1"
        " RETURNING *",
        resident_id,
        state,
        reason,
        at,
    )
    assert row is not None
    return row


async def list_readiness(
    conn: asyncpg.Connection,
    *,
    state: str | None,
    kbji_code: str | None,
    vocation: str | None,
    limit: int,
    offset: int,
    village: tuple[str | None, str | None] = (None, None),
) -> tuple[list[asyncpg.Record], int]:
    """`village` = (desa_kode, kecamatan_kode): only a village or district admin's residents."""

    def where(desa: str, kecamatan: str) -> str:
        return (
            " WHERE ($1::text IS NULL OR r.state = $1)"
            " AND ($2::text IS NULL OR r.kbji_code LIKE $2 || '%')"
            " AND ($3::text IS NULL OR lower(r.vocation) = lower($3)) AND "
            + _IN_VILLAGE.format(desa=desa, kecamatan=kecamatan)
        )

    args = (state, kbji_code, vocation)
    total: int = await conn.fetchval(
        "SELECT count(*) FROM readiness r JOIN seeker s USING (resident_id)" + where("$4", "$5"),
        *args,
        *village,
    )
    rows = await conn.fetch(
        "SELECT r.* FROM readiness r JOIN seeker s USING (resident_id)"
        + where("$6", "$7")
        + " ORDER BY r.assessed_at, r.resident_id LIMIT $4 OFFSET $5",
        *args,
        limit,
        offset,
        *village,
    )
    return rows, total


# --- enrollments --------------------------------------------------------------------------------


async def get_enrollment(
    conn: asyncpg.Connection, *, enrollment_id: UUID, lock: bool = False
) -> asyncpg.Record | None:
    suffix = " FOR UPDATE OF e" if lock else ""
    return await conn.fetchrow(f"{_ENROLLMENT} WHERE e.enrollment_id = $1{suffix}", enrollment_id)


async def active_in_session(
    conn: asyncpg.Connection, *, session_id: UUID, resident_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT enrollment_id, state FROM enrollment WHERE session_id = $1 AND resident_id = $2"
        " AND state IN ('waitlisted', 'enrolled')",
        session_id,
        resident_id,
    )


async def count_enrolled(conn: asyncpg.Connection, *, session_id: UUID) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM enrollment WHERE session_id = $1 AND state = 'enrolled'", session_id
    )
    return count


async def waitlist_position(conn: asyncpg.Connection, *, session_id: UUID, serial: int) -> int:
    position: int = await conn.fetchval(
        "SELECT count(*) FROM enrollment WHERE session_id = $1 AND state = 'waitlisted'"
        " AND waitlist_serial <= $2",
        session_id,
        serial,
    )
    return position


async def next_waitlist_serial(conn: asyncpg.Connection) -> int:
    serial: int = await conn.fetchval("SELECT nextval('waitlist_serial')")
    return serial


async def next_letter_serial(conn: asyncpg.Connection) -> int:
    serial: int = await conn.fetchval("SELECT nextval('letter_serial')")
    return serial


async def first_waitlisted(conn: asyncpg.Connection, *, session_id: UUID) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "SELECT enrollment_id FROM enrollment WHERE session_id = $1 AND state = 'waitlisted'"
        " ORDER BY waitlist_serial LIMIT 1",
        session_id,
    )
    return found


async def ongoing_of(conn: asyncpg.Connection, *, resident_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT enrollment_id, session_id FROM enrollment WHERE resident_id = $1"
        " AND state IN ('waitlisted', 'enrolled') ORDER BY requested_at",
        resident_id,
    )


async def enrollments_of_session(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    state: str | None,
    village: tuple[str | None, str | None] = (None, None),
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{_ENROLLMENT} JOIN seeker s USING (resident_id)"
        " WHERE e.session_id = $1 AND ($2::text IS NULL OR e.state = $2) AND"
        f" {_IN_VILLAGE.format(desa='$3', kecamatan='$4')}"
        " ORDER BY e.state, e.waitlist_serial NULLS FIRST, e.requested_at",
        session_id,
        state,
        *village,
    )


async def enrollments_of_resident(
    conn: asyncpg.Connection, *, resident_id: UUID, institution_id: UUID | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{_ENROLLMENT} WHERE e.resident_id = $1"
        " AND ($2::uuid IS NULL OR e.institution_id = $2) ORDER BY e.requested_at",
        resident_id,
        institution_id,
    )


async def record_attendance(
    conn: asyncpg.Connection, rows: list[tuple[UUID, Any, str, str, datetime]]
) -> None:
    await conn.executemany(
        "INSERT INTO attendance (enrollment_id, day, status, recorded_by, recorded_at)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enrollment_id, day) DO UPDATE"
        " SET status = EXCLUDED.status, recorded_by = EXCLUDED.recorded_by,"
        " recorded_at = EXCLUDED.recorded_at",
        rows,
    )


async def attendance_of(conn: asyncpg.Connection, *, enrollment_id: UUID) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT count(*) AS recorded, count(*) FILTER (WHERE status = 'hadir') AS present,"
        " count(*) FILTER (WHERE status IN ('izin', 'sakit')) AS excused,"
        " count(*) FILTER (WHERE status = 'alpa') AS absent"
        " FROM attendance WHERE enrollment_id = $1",
        enrollment_id,
    )
    assert row is not None
    return row


# --- hires and vacancies ------------------------------------------------------------------------


async def add_hire(
    conn: asyncpg.Connection,
    *,
    hire_id: UUID,
    resident_id: UUID,
    company_id: UUID,
    hired_at: datetime,
) -> bool:
    done = await conn.execute(
        "INSERT INTO hire (hire_id, resident_id, company_id, hired_at) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        hire_id,
        resident_id,
        company_id,
        hired_at,
    )
    return done != "INSERT 0 0"


_VACANCY_KEYS = (
    "vacancy_id", "company_id", "kbji_code", "title", "skills", "openings", "valid_until", "as_of",
)  # fmt: skip


async def upsert_vacancy(conn: asyncpg.Connection, values: dict[str, Any]) -> None:
    """A newer version replaces an older one; a closed vacancy stays closed."""
    await conn.execute(
        "INSERT INTO vacancy_demand (vacancy_id, company_id, kbji_code, title, skills, openings,"
        " valid_until, as_of) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (vacancy_id) DO UPDATE SET kbji_code = EXCLUDED.kbji_code,"
        " title = EXCLUDED.title, skills = EXCLUDED.skills, openings = EXCLUDED.openings,"
        " valid_until = EXCLUDED.valid_until, as_of = EXCLUDED.as_of"
        " WHERE vacancy_demand.as_of < EXCLUDED.as_of",
        *(values[k] for k in _VACANCY_KEYS),
    )


async def close_vacancy(
    conn: asyncpg.Connection, *, vacancy_id: UUID, company_id: UUID, closed_at: datetime
) -> None:
    """Closing before the publication arrives leaves a closed placeholder the publication keeps."""
    await conn.execute(
        "INSERT INTO vacancy_demand (vacancy_id, company_id, kbji_code, title, openings,"
        " valid_until, as_of, closed_at) VALUES ($1, $2, '', '', 0, $3::timestamptz::date,"
        " '-infinity', $3) ON CONFLICT (vacancy_id) DO UPDATE SET"
        " closed_at = least(coalesce(vacancy_demand.closed_at, EXCLUDED.closed_at),"
        " EXCLUDED.closed_at)",
        vacancy_id,
        company_id,
        closed_at,
    )
