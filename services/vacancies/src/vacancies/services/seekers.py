"""The seeker projection, built from registry and training events; no personal data.

Registry events of one resident travel on different queues and may arrive in any order, so the
profile and the status each keep the registry's version and ignore anything older than what
they hold. An event about a resident not seen yet makes a partial row that later events fill.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kerjalokal.events import registry as reg
from kerjalokal.events import training as tr

from ..matching import Seeker
from ..matching.model import norm
from .matching import load_seeker


def certified_from_profile(profile: reg.Profile) -> list[str]:
    """Skills a certificate vouches for: its title, and each of the seeker's skills it names
    ("Juru Las Tingkat 1" vouches for nothing more; "Sertifikat Pengelasan SMAW" for
    pengelasan)."""
    found: set[str] = set()
    skills = {norm(skill) for skill in profile.skills}
    for certificate in profile.certificates:
        text = norm(f"{certificate.name} {certificate.scheme or ''}")
        found.add(norm(certificate.name))
        found |= {skill for skill in skills if skill in text}
    return sorted(found)


def _profile_columns(profile: reg.Profile) -> dict[str, Any]:
    return {
        "desa_kode": profile.domicile.desa_kode,
        "kecamatan_kode": profile.domicile.kecamatan_kode,
        "is_local": profile.domicile.is_local,
        "sex": profile.sex,
        "birth_year": profile.birth_year,
        "education_level": profile.education.level,
        "education_track": profile.education.track,
        "education_major": profile.education.major,
        "skills": sorted({norm(skill) for skill in profile.skills}),
        "profile_certified": certified_from_profile(profile),
    }


async def lock_resident(conn: asyncpg.Connection, resident_id: UUID) -> bool:
    """Serialise the changes about one resident (an erasure against a late event) until the
    transaction ends; True when the resident has been erased."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))", str(resident_id)
    )
    erased = await conn.fetchval(
        "SELECT true FROM erased_resident WHERE resident_id = $1", resident_id
    )
    return bool(erased)


async def _locked(
    conn: asyncpg.Connection, resident_id: UUID, now: datetime
) -> asyncpg.Record | None:
    """The seeker's row, made if new and locked; None for an erased resident (a late event
    changes nothing and makes no row)."""
    if await lock_resident(conn, resident_id):
        return None
    await conn.execute(
        "INSERT INTO seeker (resident_id, updated_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        resident_id,
        now,
    )
    row = await conn.fetchrow("SELECT * FROM seeker WHERE resident_id = $1 FOR UPDATE", resident_id)
    assert row is not None
    return row


async def _save(
    conn: asyncpg.Connection, resident_id: UUID, changes: dict[str, Any], now: datetime
) -> None:
    names = list(changes)
    assignments = "".join(f"{name} = ${i}, " for i, name in enumerate(names, start=3))
    await conn.execute(
        f"UPDATE seeker SET {assignments}change_seq = nextval('seeker_change'), updated_at = $2"
        " WHERE resident_id = $1",
        resident_id,
        now,
        *changes.values(),
    )


async def apply(
    conn: asyncpg.Connection,
    resident_id: UUID,
    *,
    version: int,
    now: datetime,
    profile: reg.Profile | None = None,
    status: str | None = None,
) -> tuple[Seeker | None, Seeker | None]:
    """Apply what is not older than held; returns the seeker (before, after) the change."""
    current = await _locked(conn, resident_id, now)
    if current is None:
        return None, None
    before = await load_seeker(conn, resident_id)
    changes: dict[str, Any] = {}
    if profile is not None and current["profile_version"] <= version:
        changes |= _profile_columns(profile) | {"profile_version": version}
    if status is not None and current["status_version"] <= version:
        changes |= {"status": status, "status_version": version}
    if changes:
        await _save(conn, resident_id, changes, now)
    return before, await load_seeker(conn, resident_id)


async def registered(
    conn: asyncpg.Connection, *, event: reg.ResidentRegisteredV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    return await apply(
        conn, event.resident_id, version=event.version, now=now, profile=event.profile,
        status=event.status,
    )  # fmt: skip


async def verified(
    conn: asyncpg.Connection, *, event: reg.ResidentVerifiedV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    return await apply(conn, event.resident_id, version=event.version, now=now, status=event.status)


async def profile_updated(
    conn: asyncpg.Connection, *, event: reg.ResidentProfileUpdatedV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    return await apply(
        conn, event.resident_id, version=event.version, now=now, profile=event.profile,
        status=event.status,
    )  # fmt: skip


async def status_changed(
    conn: asyncpg.Connection, *, event: reg.ResidentStatusChangedV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    return await apply(conn, event.resident_id, version=event.version, now=now, status=event.status)


async def identity_recorded(
    conn: asyncpg.Connection, *, event: reg.ResidentIdentityRecordedV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    """The keyed NIK hash for placement reports; locality only until a profile says it."""
    current = await _locked(conn, event.resident_id, now)
    if current is None:
        return None, None
    changes: dict[str, Any] = {"nik_lookup": event.nik_lookup}
    if current["profile_version"] == 0:
        changes["is_local"] = event.is_local
    await _save(conn, event.resident_id, changes, now)
    return None, None


async def _training(
    conn: asyncpg.Connection,
    *,
    resident_id: UUID,
    enrollment_id: UUID,
    state: str,
    skills: list[str],
    now: datetime,
) -> tuple[Seeker | None, Seeker | None]:
    if await _locked(conn, resident_id, now) is None:
        return None, None
    before = await load_seeker(conn, resident_id)
    await conn.execute(
        "INSERT INTO seeker_training (enrollment_id, resident_id, state, certified_skills,"
        " updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (enrollment_id) DO UPDATE"
        " SET state = EXCLUDED.state, certified_skills = EXCLUDED.certified_skills,"
        " updated_at = EXCLUDED.updated_at WHERE seeker_training.state = 'enrolled'",
        enrollment_id, resident_id, state, skills, now,
    )  # fmt: skip
    await _save(conn, resident_id, {}, now)
    return before, await load_seeker(conn, resident_id)


async def enrolled(
    conn: asyncpg.Connection, *, event: tr.ResidentEnrolledV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    return await _training(
        conn, resident_id=event.resident_id, enrollment_id=event.enrollment_id, state="enrolled",
        skills=[], now=now,
    )  # fmt: skip


async def withdrawn(
    conn: asyncpg.Connection, *, event: tr.EnrollmentWithdrawnV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    return await _training(
        conn, resident_id=event.resident_id, enrollment_id=event.enrollment_id, state="withdrawn",
        skills=[], now=now,
    )  # fmt: skip


async def training_completed(
    conn: asyncpg.Connection, *, event: tr.TrainingCompletedV1, now: datetime
) -> tuple[Seeker | None, Seeker | None]:
    skills = sorted({norm(s.skill) for s in event.certified_skills}) if event.passed else []
    return await _training(
        conn, resident_id=event.resident_id, enrollment_id=event.enrollment_id,
        state="completed", skills=skills, now=now,
    )  # fmt: skip


def trigger_for(kind: str, before: Seeker | None, after: Seeker | None) -> str | None:
    """Why a changed seeker is matched against open vacancies, or None when nothing changed
    that matching reads. Training enrolment alone changes nothing that matching reads."""
    if after is None or not after.eligible or after == before:
        return None
    if kind in ("profile_updated", "training_completed"):
        return kind
    if kind == "status_changed" and not (before is not None and before.eligible):
        return kind
    return None
