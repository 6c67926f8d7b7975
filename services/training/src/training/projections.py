"""What training keeps of other services' events: seekers (registry), partner companies, open
vacancies (vacancies). Each runs in the consumer's transaction, after the inbox check."""

from datetime import datetime

import asyncpg

from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac

from . import pool, repository
from .domain import ENROLLABLE_STATUSES, normalize_skill


def _profile(profile: reg.Profile) -> dict[str, object]:
    return {
        "birth_year": profile.birth_year,
        "sex": profile.sex,
        "education_level": profile.education.level,
        "education_track": profile.education.track,
        "desa_kode": profile.domicile.desa_kode,
        "kecamatan_kode": profile.domicile.kecamatan_kode,
        "is_local": profile.domicile.is_local,
        "skills": sorted({normalize_skill(s) for s in profile.skills}),
    }


async def _status(
    conn: asyncpg.Connection, *, resident_id: object, status: str, now: datetime
) -> None:
    """A seeker placed or expired leaves the ready pool (a hire also withdraws training)."""
    if status not in ENROLLABLE_STATUSES:
        await pool.leave_if(
            conn, resident_id=resident_id, states=("ready",), to="left",  # type: ignore[arg-type]
            reason="not_eligible", now=now,
        )  # fmt: skip


async def seeker_registered(
    conn: asyncpg.Connection, *, event: reg.ResidentRegisteredV1, now: datetime
) -> None:
    await repository.upsert_seeker(
        conn,
        {"resident_id": event.resident_id, "status": event.status, "version": event.version,
         "at": now} | _profile(event.profile),
    )  # fmt: skip


async def seeker_profile_updated(
    conn: asyncpg.Connection, *, event: reg.ResidentProfileUpdatedV1, now: datetime
) -> None:
    await repository.upsert_seeker(
        conn,
        {"resident_id": event.resident_id, "status": event.status, "version": event.version,
         "at": now} | _profile(event.profile),
    )  # fmt: skip
    await _status(conn, resident_id=event.resident_id, status=event.status, now=now)


async def seeker_verified(
    conn: asyncpg.Connection, *, event: reg.ResidentVerifiedV1, now: datetime
) -> None:
    await _status_changed(conn, event=event, status=event.status, now=now)


async def seeker_status_changed(
    conn: asyncpg.Connection, *, event: reg.ResidentStatusChangedV1, now: datetime
) -> None:
    await _status_changed(conn, event=event, status=event.status, now=now)


async def _status_changed(
    conn: asyncpg.Connection,
    *,
    event: reg.ResidentVerifiedV1 | reg.ResidentStatusChangedV1,
    status: str,
    now: datetime,
) -> None:
    """Queues are consumed independently, so a status may arrive before the registration: it is
    kept (a row without a profile) and the older status of the registration does not undo it."""
    if await repository.update_seeker_status(
        conn, resident_id=event.resident_id, status=status, version=event.version, at=now
    ):
        await _status(conn, resident_id=event.resident_id, status=status, now=now)


async def company_verified(
    conn: asyncpg.Connection, *, event: vac.CompanyVerifiedV1, now: datetime
) -> None:
    await repository.upsert_company(
        conn, company_id=event.company_id, company_name=event.company_name,
        verified_at=event.verified_at,
    )  # fmt: skip


def _vacancy(event: vac.Vacancy, *, as_of: datetime) -> dict[str, object]:
    return {
        "vacancy_id": event.vacancy_id,
        "company_id": event.company_id,
        "kbji_code": event.kbji_code,
        "title": event.title,
        "skills": sorted({normalize_skill(s) for s in event.skills}),
        "openings": event.openings,
        "valid_until": event.valid_until,
        "as_of": as_of,
    }


async def vacancy_published(
    conn: asyncpg.Connection, *, event: vac.VacancyPublishedV1, now: datetime
) -> None:
    await repository.upsert_vacancy(conn, _vacancy(event, as_of=event.published_at))


async def vacancy_updated(
    conn: asyncpg.Connection, *, event: vac.VacancyUpdatedV1, now: datetime
) -> None:
    await repository.upsert_vacancy(conn, _vacancy(event, as_of=event.updated_at))


async def vacancy_closed(
    conn: asyncpg.Connection, *, event: vac.VacancyClosedV1, now: datetime
) -> None:
    await repository.close_vacancy(
        conn, vacancy_id=event.vacancy_id, company_id=event.company_id, closed_at=event.closed_at
    )
