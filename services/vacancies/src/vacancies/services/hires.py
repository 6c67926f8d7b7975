"""Hires: one per (resident, company, start date) however it arrives, through an application or
a placement report, and `resident_hired` published once. Locality is the projection's (the KTP
address the registry last announced), taken at hire time."""

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.events import vacancies as ev
from kerjalokal.messaging import outbox

from .. import repository as db
from ..principals import Actor
from . import applications, vacancies


@dataclass(frozen=True)
class HireIn:
    resident_id: UUID
    company_id: UUID
    start_date: date
    contract_type: str
    source: str
    vacancy_id: UUID | None = None
    application_id: UUID | None = None
    report_id: UUID | None = None


async def record(
    conn: asyncpg.Connection, hire: HireIn, *, actor: Actor, now: datetime
) -> tuple[asyncpg.Record, bool]:
    """The hire, and whether it is new. A hire already recorded another way (a placement report,
    then the application) is linked to the vacancy once and counted once."""
    seeker = await conn.fetchrow(
        "SELECT is_local, desa_kode, kecamatan_kode FROM seeker WHERE resident_id = $1",
        hire.resident_id,
    )
    row = await conn.fetchrow(
        "INSERT INTO hire (hire_id, resident_id, company_id, vacancy_id, application_id,"
        " report_id, start_date, contract_type, source, is_local, desa_kode, kecamatan_kode,"
        " hired_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
        " $14) ON CONFLICT (resident_id, company_id, start_date) DO NOTHING RETURNING *",
        uuid4(), hire.resident_id, hire.company_id, hire.vacancy_id, hire.application_id,
        hire.report_id, hire.start_date, hire.contract_type, hire.source,
        bool(seeker and seeker["is_local"]), seeker and seeker["desa_kode"],
        seeker and seeker["kecamatan_kode"], now, actor.label,
    )  # fmt: skip
    if row is None:
        return await _link(conn, hire, actor=actor, now=now), False
    await outbox.add(
        conn,
        ev.ResidentHiredV1(
            hire_id=row["hire_id"],
            resident_id=row["resident_id"],
            company_id=row["company_id"],
            vacancy_id=row["vacancy_id"],
            start_date=row["start_date"],
            contract_type=row["contract_type"],
            source=row["source"],
            is_local=row["is_local"],
            hired_at=now,
        ),
        created=True,  # the hire row was inserted just above under a new id
    )
    await applications.obsolete_others(
        conn, resident_id=hire.resident_id, keep=hire.application_id, now=now
    )
    if hire.vacancy_id is not None:
        await vacancies.count_hire(conn, vacancy_id=hire.vacancy_id, actor=actor, now=now)
    return row, True


async def _link(
    conn: asyncpg.Connection, hire: HireIn, *, actor: Actor, now: datetime
) -> asyncpg.Record:
    existing = await conn.fetchrow(
        "SELECT * FROM hire WHERE resident_id = $1 AND company_id = $2 AND start_date = $3"
        " FOR UPDATE",
        hire.resident_id, hire.company_id, hire.start_date,
    )  # fmt: skip
    assert existing is not None
    if hire.vacancy_id is None or existing["vacancy_id"] is not None:
        return existing
    linked = await db.update(
        conn,
        "hire",
        "hire_id",
        existing["hire_id"],
        {"vacancy_id": hire.vacancy_id, "application_id": hire.application_id},
    )
    await vacancies.count_hire(conn, vacancy_id=hire.vacancy_id, actor=actor, now=now)
    return linked
