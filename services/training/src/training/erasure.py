"""The data subject's rights (UU 27/2022) in training: erasure after the registry's
`registry.resident_erased.v1`, and the export of what training holds about a resident.

Erasure keeps the resident's random id on the enrollments, so that the counts and rates of past
months stay as they were, and removes everything else that tells something about the person: the
registry's profile (birth year, sex, education, village, skills), the ready-pool entry and its
vocation, places on waiting lists, free-text notes, and the certificate and letter numbers (a
number leads to the paper with the name on it), and the copies of events about the resident
that the outbox keeps after sending them. Attendance keeps its day codes for the
attendance rates: joined to nothing but the random id they no longer name anyone. The seeker row
stays as a tombstone, so that a late registry event cannot bring the profile back."""

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kerjalokal.events import registry as reg
from kerjalokal.events import training as ev
from kerjalokal.messaging import outbox

from . import enrollments, pool, repository
from .domain import SYSTEM

ERASED = "erased"


async def resident_erased(
    conn: asyncpg.Connection, *, event: reg.ResidentErasedV1, event_id: UUID, now: datetime
) -> None:
    """Erase, and confirm with `training.resident_data_erased.v1` in the same transaction."""
    resident_id = event.resident_id
    # Locks in the order enrollment takes them: the sessions first, then the seeker (an
    # enrollment under way finishes first and is seen below; a later one finds no seeker).
    for session_id in await conn.fetch(
        "SELECT DISTINCT session_id FROM enrollment WHERE resident_id = $1"
        " AND state IN ('waitlisted', 'enrolled') ORDER BY session_id",
        resident_id,
    ):
        await repository.get_session(conn, session_id=session_id["session_id"], lock=True)
    await repository.erase_seeker(conn, resident_id=resident_id, version=event.version, at=now)
    for ongoing in await repository.ongoing_of(conn, resident_id=resident_id):
        row, _ = await enrollments.locked(conn, ongoing["enrollment_id"], actor=SYSTEM)
        if row["state"] == "waitlisted":  # off the waiting list; a seat taken stays counted
            await enrollments.end(conn, row, state="withdrawn", reason=ERASED, now=now)
    await pool.leave_if(
        conn, resident_id=resident_id, states=("ready",), to="left", reason="removed", now=now
    )
    await conn.execute("DELETE FROM readiness WHERE resident_id = $1", resident_id)
    await conn.execute(
        "UPDATE enrollment SET note = NULL, certificate_number = NULL, letter_number = NULL,"
        " certified_skills = (SELECT coalesce(jsonb_agg(c - 'certificate_number'), '[]')"
        " FROM jsonb_array_elements(certified_skills) AS c) WHERE resident_id = $1",
        resident_id,
    )
    # Events already sent are kept a week in the outbox; those about the resident go now (a
    # completion carries certificate numbers). Events still waiting are sent as they are.
    await conn.execute(
        "DELETE FROM outbox WHERE published_at IS NOT NULL"
        " AND payload::jsonb ->> 'resident_id' = $1",
        str(resident_id),
    )
    await outbox.add(
        conn,
        ev.ResidentDataErasedV1(resident_id=resident_id, erasure_event_id=event_id, erased_at=now),
    )


async def export(conn: asyncpg.Connection, *, resident_id: UUID) -> dict[str, Any] | None:
    """Everything training holds about the resident; None when it knows nothing of them."""
    seeker = await conn.fetchrow("SELECT * FROM seeker WHERE resident_id = $1", resident_id)
    readiness = await repository.get_readiness(conn, resident_id=resident_id)
    rows = await repository.enrollments_of_resident(
        conn, resident_id=resident_id, institution_id=None
    )
    hires = await conn.fetch(
        "SELECT hire_id, company_id, hired_at FROM hire WHERE resident_id = $1 ORDER BY hired_at",
        resident_id,
    )
    if seeker is None and readiness is None and not rows and not hires:
        return None
    items = []
    for row in rows:
        days = await conn.fetch(
            "SELECT day, status FROM attendance WHERE enrollment_id = $1 ORDER BY day",
            row["enrollment_id"],
        )
        item = {
            key: row[key]
            for key in (
                "enrollment_id", "session_id", "programme_id", "institution_id", "state",
                "requested_at", "enrolled_at", "ended_at", "end_reason", "dropout_reason", "note",
                "passed", "outcome", "certified_skills", "certificate_number", "letter_number",
                "starts_on", "ends_on", "vocation", "kind",
            )
        }  # fmt: skip
        items.append(item | {"attendance": [dict(day) for day in days]})
    profile = None
    if seeker is not None:
        profile = {
            key: seeker[key]
            for key in (
                "status", "birth_year", "sex", "education_level", "education_track", "desa_kode",
                "kecamatan_kode", "is_local", "erased_at", "updated_at",
            )
        }  # fmt: skip
        profile["skills"] = list(seeker["skills"])
    return {
        "seeker": profile,
        "readiness": dict(readiness) if readiness else None,
        "enrollments": items,
        "hires": [dict(hire) for hire in hires],
    }
