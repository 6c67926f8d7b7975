"""A resident's rights (UU 27/2022) over what vacancies holds: erasure and export.

Vacancies holds no NIK, name or phone, but it holds the keyed NIK hash (placement reports), the
facts matching reads (desa, sex, birth year, education, skills, training) and, under the random
resident id, matches, applications and hires.

Erasure deletes the projection (with the NIK hash) and the training facts and the matches; the
resident's open applications are withdrawn; applications and hires stay, as counts under the
random id, so that past months' figures do not change: reasons (free text about the resident) go,
the desa of a hire goes (the kecamatan and locality the figures count stay), and who acted is kept
as a role only (a village admin's key names the resident's village). Sent outbox rows that carry
the resident's id go too. The id is remembered so that a late event cannot bring the projection
back, and the confirmation is published in the same transaction.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as ev
from kerjalokal.messaging import outbox

from ..domain.applications import OPEN
from ..domain.applications import Status as S
from ..principals import SYSTEM
from . import applications, seekers

_OPEN = [status.value for status in OPEN]


async def erase(
    conn: asyncpg.Connection, *, event: reg.ResidentErasedV1, event_id: UUID, now: datetime
) -> None:
    rid = event.resident_id
    await seekers.lock_resident(conn, rid)
    await conn.execute(
        "INSERT INTO erased_resident (resident_id, erasure_event_id, erased_at, recorded_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (resident_id) DO NOTHING",
        rid, event_id, event.erased_at, now,
    )  # fmt: skip
    still_open = await conn.fetch(
        "SELECT * FROM application WHERE resident_id = $1 AND status = ANY($2)"
        " ORDER BY submitted_at FOR UPDATE",
        rid, _OPEN,
    )  # fmt: skip
    for row in still_open:
        await applications.move(conn, row, target=S.WITHDRAWN, actor=SYSTEM, now=now)
    await conn.execute(
        "UPDATE application SET reason = NULL, reason_shared = false WHERE resident_id = $1", rid
    )
    await conn.execute(
        "UPDATE application_transition t SET reason = NULL, reason_shared = false,"
        " actor = split_part(t.actor, ':', 1) FROM application a"
        " WHERE a.application_id = t.application_id AND a.resident_id = $1",
        rid,
    )
    await conn.execute(
        "UPDATE hire SET desa_kode = NULL, recorded_by = split_part(recorded_by, ':', 1)"
        " WHERE resident_id = $1",
        rid,
    )
    await conn.execute("DELETE FROM match_announcement WHERE resident_id = $1", rid)
    await conn.execute("DELETE FROM seeker_training WHERE resident_id = $1", rid)
    await conn.execute("DELETE FROM seeker WHERE resident_id = $1", rid)
    await conn.execute(
        "DELETE FROM outbox WHERE published_at IS NOT NULL AND strpos(payload, $1) > 0", str(rid)
    )
    await outbox.add(
        conn,
        ev.ResidentDataErasedV1(resident_id=rid, erasure_event_id=event_id, erased_at=now),
    )


async def export(conn: asyncpg.Connection, resident_id: UUID) -> dict[str, Any] | None:
    """Everything vacancies holds about the resident, or None when it knows nothing."""
    seeker = await conn.fetchrow(
        "SELECT resident_id, status, desa_kode, kecamatan_kode, is_local, sex, birth_year,"
        " education_level, education_track, education_major, skills, profile_certified,"
        " nik_lookup IS NOT NULL AS identity_known, profile_version, status_version, updated_at"
        " FROM seeker WHERE resident_id = $1",
        resident_id,
    )
    training = await conn.fetch(
        "SELECT enrollment_id, state, certified_skills, updated_at FROM seeker_training"
        " WHERE resident_id = $1 ORDER BY updated_at, enrollment_id",
        resident_id,
    )
    matches = await conn.fetch(
        "SELECT m.vacancy_id, v.title AS vacancy_title, m.score, m.certified, m.reasons,"
        " m.announced_at FROM match_announcement m JOIN vacancy v USING (vacancy_id)"
        " WHERE m.resident_id = $1 ORDER BY m.announced_at, m.vacancy_id",
        resident_id,
    )
    applied = await conn.fetch(
        "SELECT a.application_id, a.vacancy_id, v.title AS vacancy_title, a.company_id,"
        " c.name AS company_name, a.channel, a.submitted_by_kind, a.status, a.reason,"
        " a.reason_shared, a.submitted_at, a.updated_at FROM application a"
        " JOIN vacancy v USING (vacancy_id) JOIN company c ON c.company_id = a.company_id"
        " WHERE a.resident_id = $1 ORDER BY a.submitted_at, a.application_id",
        resident_id,
    )
    history = await conn.fetch(
        "SELECT t.application_id, t.at, t.actor, t.from_status, t.to_status, t.reason,"
        " t.reason_shared FROM application_transition t JOIN application a USING (application_id)"
        " WHERE a.resident_id = $1 ORDER BY t.id",
        resident_id,
    )
    hires = await conn.fetch(
        "SELECT h.hire_id, h.company_id, c.name AS company_name, h.vacancy_id, h.application_id,"
        " h.start_date, h.contract_type, h.source, h.is_local, h.desa_kode, h.kecamatan_kode,"
        " h.hired_at FROM hire h JOIN company c USING (company_id)"
        " WHERE h.resident_id = $1 ORDER BY h.hired_at, h.hire_id",
        resident_id,
    )
    erased = await conn.fetchrow(
        "SELECT erasure_event_id, erased_at, recorded_at FROM erased_resident"
        " WHERE resident_id = $1",
        resident_id,
    )
    if not (seeker or training or matches or applied or hires or erased):
        return None
    transitions: dict[UUID, list[dict[str, Any]]] = {}
    for row in history:
        step = dict(row)
        transitions.setdefault(step.pop("application_id"), []).append(step)
    return {
        "projection": dict(seeker) if seeker else None,
        "training": [dict(row) for row in training],
        "matches": [dict(row) for row in matches],
        "applications": [
            dict(row) | {"transitions": transitions.get(row["application_id"], [])}
            for row in applied
        ],
        "hires": [dict(row) for row in hires],
        "erasure": dict(erased) if erased else None,
    }
