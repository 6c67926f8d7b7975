"""Projections from the event log: one function per event type, keyed by routing key.

An event applies once (by ce-id) and in stream order; the offset of the batch commits with the
rows it produced. A type without a function is recorded and skipped, so new event types never
stop the console. An event that cannot be applied (schema-invalid, contradictory data) becomes a
console dead letter with its reason and the stream moves on; replaying it applies it again.
"""

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import ValidationError

from kerjalokal.events import Event
from kerjalokal.events import notify as ntf
from kerjalokal.events import registry as reg
from kerjalokal.events import training as trn
from kerjalokal.events import vacancies as vac
from kerjalokal.messaging.consumer import describe

from .domain import deadletters
from .erasures import normalised

log = logging.getLogger("console.projector")
STREAM = "kerjalokal.events.log"
PROJECTION_TABLES = (
    "applied_event",
    "company",
    "partnership",
    "hire",
    "seeker",
    "seeker_status",
    "vacancy",
    "enrollment",
    "trainee",
    "institution",
    "erasure",
    "erasure_confirmation",
)
BAD_EVENT = (
    ValidationError,
    ValueError,
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
)


@dataclass(frozen=True)
class StreamEvent:
    offset: int
    routing_key: str
    event_id: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    content_type: str | None = None
    timestamp: datetime | None = None


Apply = Callable[[asyncpg.Connection, Any], Awaitable[None]]
ApplyWithEvent = Callable[[asyncpg.Connection, Any, StreamEvent], Awaitable[None]]
HANDLERS: dict[str, tuple[type[Event], ApplyWithEvent]] = {}


def on(event: type[Event]) -> Callable[[Apply], Apply]:
    def register(fn: Apply) -> Apply:
        async def apply(conn: asyncpg.Connection, model: Any, _: StreamEvent) -> None:
            await fn(conn, model)

        HANDLERS[event.TYPE] = (event, apply)
        return fn

    return register


def on_event(event: type[Event]) -> Callable[[ApplyWithEvent], ApplyWithEvent]:
    """For a handler that also needs the stream event (its ce-id)."""

    def register(fn: ApplyWithEvent) -> ApplyWithEvent:
        HANDLERS[event.TYPE] = (event, fn)
        return fn

    return register


async def _status(
    conn: asyncpg.Connection, resident_id: Any, version: int, status: str, since: datetime
) -> None:
    await conn.execute(
        "INSERT INTO seeker_status (resident_id, version, status, since) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING",
        resident_id,
        version,
        status,
        since,
    )
    await conn.execute(
        "UPDATE seeker SET status = $3, version = $2 WHERE resident_id = $1 AND version < $2",
        resident_id,
        version,
        status,
    )


async def _profile(
    conn: asyncpg.Connection, resident_id: Any, version: int, profile: reg.Profile, status: str
) -> None:
    await conn.execute(
        """
        INSERT INTO seeker (resident_id, sex, birth_year, education_level, kecamatan_kode,
                            desa_kode, is_local, status, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (resident_id) DO UPDATE SET
            sex = excluded.sex, birth_year = excluded.birth_year,
            education_level = excluded.education_level, kecamatan_kode = excluded.kecamatan_kode,
            desa_kode = excluded.desa_kode, is_local = excluded.is_local,
            status = excluded.status, version = excluded.version
        WHERE seeker.version < excluded.version
        """,
        resident_id,
        profile.sex,
        profile.birth_year,
        profile.education.level,
        profile.domicile.kecamatan_kode,
        profile.domicile.desa_kode,
        profile.domicile.is_local,
        status,
        version,
    )


@on(reg.ResidentRegisteredV1)
async def _registered(conn: asyncpg.Connection, e: reg.ResidentRegisteredV1) -> None:
    await _profile(conn, e.resident_id, e.version, e.profile, e.status)
    await conn.execute(
        "UPDATE seeker SET registered_at = $2 WHERE resident_id = $1",
        e.resident_id,
        e.registered_at,
    )
    await _status(conn, e.resident_id, e.version, e.status, e.registered_at)


@on(reg.ResidentProfileUpdatedV1)
async def _profile_updated(conn: asyncpg.Connection, e: reg.ResidentProfileUpdatedV1) -> None:
    await _profile(conn, e.resident_id, e.version, e.profile, e.status)


@on(reg.ResidentVerifiedV1)
async def _verified(conn: asyncpg.Connection, e: reg.ResidentVerifiedV1) -> None:
    await _status(conn, e.resident_id, e.version, e.status, e.verified_at)


@on(reg.ResidentStatusChangedV1)
async def _status_changed(conn: asyncpg.Connection, e: reg.ResidentStatusChangedV1) -> None:
    await _status(conn, e.resident_id, e.version, e.status, e.changed_at)


async def _company(
    conn: asyncpg.Connection, e: vac.CompanyRegisteredV1 | vac.CompanyVerifiedV1
) -> None:
    registered = getattr(e, "registered_at", None)
    verified = getattr(e, "verified_at", None)
    await conn.execute(
        """
        INSERT INTO company (company_id, name, industrial_estate, kecamatan_kode, desa_kode,
                             registered_at, verified_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (company_id) DO UPDATE SET
            name = excluded.name, industrial_estate = excluded.industrial_estate,
            kecamatan_kode = excluded.kecamatan_kode, desa_kode = excluded.desa_kode,
            registered_at = coalesce(company.registered_at, excluded.registered_at),
            verified_at = coalesce(excluded.verified_at, company.verified_at)
        """,
        e.company_id,
        e.company_name,
        e.industrial_estate,
        e.kecamatan_kode,
        e.desa_kode,
        registered,
        verified,
    )


on(vac.CompanyRegisteredV1)(_company)
on(vac.CompanyVerifiedV1)(_company)


@on(vac.PartnershipSignedV1)
async def _partnership(conn: asyncpg.Connection, e: vac.PartnershipSignedV1) -> None:
    await conn.execute(
        """
        INSERT INTO partnership (partnership_id, company_id, mou_number, local_share_percent,
            local_hires_committed, starts_on, ends_on, status, recorded_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (partnership_id) DO UPDATE SET
            company_id = excluded.company_id, mou_number = excluded.mou_number,
            local_share_percent = excluded.local_share_percent,
            local_hires_committed = excluded.local_hires_committed,
            starts_on = excluded.starts_on, ends_on = excluded.ends_on,
            status = excluded.status, recorded_at = excluded.recorded_at
        WHERE partnership.recorded_at <= excluded.recorded_at
        """,
        e.partnership_id,
        e.company_id,
        e.mou_number,
        e.local_share_percent,
        e.local_hires_committed,
        e.starts_on,
        e.ends_on,
        e.status,
        e.recorded_at,
    )


async def _vacancy(conn: asyncpg.Connection, e: vac.Vacancy) -> None:
    await conn.execute(
        """
        INSERT INTO vacancy (vacancy_id, company_id, title, openings, sex, education_minimum,
                             kecamatan_kode, industrial_estate, published_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (vacancy_id) DO UPDATE SET
            title = excluded.title, openings = excluded.openings, sex = excluded.sex,
            education_minimum = excluded.education_minimum,
            kecamatan_kode = excluded.kecamatan_kode, industrial_estate = excluded.industrial_estate
        """,
        e.vacancy_id,
        e.company_id,
        e.title,
        e.openings,
        e.sex,
        e.education.minimum,
        e.work_kecamatan_kode,
        e.industrial_estate,
        e.published_at,
    )


on(vac.VacancyPublishedV1)(_vacancy)
on(vac.VacancyUpdatedV1)(_vacancy)


@on(vac.VacancyClosedV1)
async def _vacancy_closed(conn: asyncpg.Connection, e: vac.VacancyClosedV1) -> None:
    await conn.execute(
        "UPDATE vacancy SET closed_at = $2, close_reason = $3, hires = $4 WHERE vacancy_id = $1",
        e.vacancy_id,
        e.closed_at,
        e.reason,
        e.hires,
    )


@on(vac.ResidentHiredV1)
async def _hired(conn: asyncpg.Connection, e: vac.ResidentHiredV1) -> None:
    await conn.execute(
        """
        INSERT INTO hire (hire_id, resident_id, company_id, vacancy_id, is_local, source,
                          contract_type, start_date, hired_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (hire_id) DO NOTHING
        """,
        e.hire_id,
        e.resident_id,
        e.company_id,
        e.vacancy_id,
        e.is_local,
        e.source,
        e.contract_type,
        e.start_date,
        e.hired_at,
    )


async def _stage(
    conn: asyncpg.Connection,
    resident_id: Any,
    stage: str,
    since: datetime,
    institution_id: Any = None,
) -> None:
    await conn.execute(
        """
        INSERT INTO trainee (resident_id, stage, since, institution_id) VALUES ($1, $2, $3, $4)
        ON CONFLICT (resident_id) DO UPDATE SET stage = excluded.stage, since = excluded.since,
            institution_id = coalesce(excluded.institution_id, trainee.institution_id)
        WHERE trainee.since <= excluded.since
        """,
        resident_id,
        stage,
        since,
        institution_id,
    )


@on(trn.ResidentEnrolledV1)
async def _enrolled(conn: asyncpg.Connection, e: trn.ResidentEnrolledV1) -> None:
    await conn.execute(
        """
        INSERT INTO enrollment (enrollment_id, resident_id, institution_id, programme_id,
                                session_id, vocation, enrolled_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        ON CONFLICT (enrollment_id) DO UPDATE SET institution_id = excluded.institution_id,
            programme_id = excluded.programme_id, vocation = excluded.vocation,
            enrolled_at = excluded.enrolled_at
        """,
        e.enrollment_id,
        e.resident_id,
        e.institution_id,
        e.programme_id,
        e.session_id,
        e.vocation,
        e.enrolled_at,
    )
    await _stage(conn, e.resident_id, "in_training", e.enrolled_at, e.institution_id)


@on(trn.EnrollmentWithdrawnV1)
async def _withdrawn(conn: asyncpg.Connection, e: trn.EnrollmentWithdrawnV1) -> None:
    await conn.execute(
        "INSERT INTO enrollment (enrollment_id, resident_id, session_id, withdrawn_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (enrollment_id) DO UPDATE"
        " SET withdrawn_at = excluded.withdrawn_at",
        e.enrollment_id,
        e.resident_id,
        e.session_id,
        e.withdrawn_at,
    )
    await _stage(conn, e.resident_id, "left", e.withdrawn_at)


@on(trn.TrainingCompletedV1)
async def _completed(conn: asyncpg.Connection, e: trn.TrainingCompletedV1) -> None:
    await conn.execute(
        "INSERT INTO enrollment (enrollment_id, resident_id, session_id, institution_id,"
        " completed_at, passed) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (enrollment_id)"
        " DO UPDATE SET completed_at = excluded.completed_at, passed = excluded.passed,"
        " institution_id = coalesce(enrollment.institution_id, excluded.institution_id)",
        e.enrollment_id,
        e.resident_id,
        e.session_id,
        e.institution_id,
        e.completed_at,
        e.passed,
    )
    await _stage(conn, e.resident_id, "completed", e.completed_at)


async def _institution(conn: asyncpg.Connection, institution_id: Any, kind: str) -> None:
    await conn.execute(
        "INSERT INTO institution (institution_id, kind) VALUES ($1, $2)"
        " ON CONFLICT (institution_id) DO UPDATE SET kind = excluded.kind",
        institution_id,
        kind,
    )


@on(trn.ProgrammeOpenedV1)
async def _programme(conn: asyncpg.Connection, e: trn.ProgrammeOpenedV1) -> None:
    await _institution(conn, e.institution_id, e.institution_type)


@on(trn.ReadinessAssessedV1)
async def _readiness(conn: asyncpg.Connection, e: trn.ReadinessAssessedV1) -> None:
    if e.ready:
        await _stage(conn, e.resident_id, "ready", e.changed_at)
    else:  # left the pool: enrolled (its enrollment says so), hired, completed, not eligible
        await conn.execute(
            "UPDATE trainee SET stage = 'left', since = $2"
            " WHERE resident_id = $1 AND stage = 'ready' AND since <= $2",
            e.resident_id,
            e.changed_at,
        )


@on(trn.ResidentWaitlistedV1)
async def _waitlisted(conn: asyncpg.Connection, e: trn.ResidentWaitlistedV1) -> None:
    await _stage(conn, e.resident_id, "waiting", e.waitlisted_at, e.institution_id)


@on(trn.ApprenticeshipStartedV1)
async def _apprenticeship(conn: asyncpg.Connection, e: trn.ApprenticeshipStartedV1) -> None:
    await conn.execute(
        """
        INSERT INTO enrollment (enrollment_id, resident_id, institution_id, programme_id,
                                session_id, vocation, enrolled_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (enrollment_id) DO NOTHING
        """,
        e.enrollment_id,
        e.resident_id,
        e.institution_id,
        e.programme_id,
        e.session_id,
        e.vocation,
        e.started_at,
    )
    await _stage(conn, e.resident_id, "in_training", e.started_at, e.institution_id)


# The tables that hold a row per resident, re-keyed together when the resident is erased.
PER_RESIDENT = ("seeker", "seeker_status", "hire", "enrollment", "trainee")


@on_event(reg.ResidentErasedV1)
async def _erased(conn: asyncpg.Connection, e: reg.ResidentErasedV1, event: StreamEvent) -> None:
    """Track the erasure; and detach the figures from the resident: their rows keep counting
    (past months' figures do not change) under a new random id that leads nowhere."""
    await conn.execute(
        "INSERT INTO erasure (erasure_event_id, resident_id, erased_at) VALUES ($1, $2, $3)"
        " ON CONFLICT DO NOTHING",
        normalised(event.event_id),
        e.resident_id,
        e.erased_at,
    )
    replacement = uuid.uuid4()
    for table in PER_RESIDENT:
        await conn.execute(
            f"UPDATE {table} SET resident_id = $2 WHERE resident_id = $1",
            e.resident_id,
            replacement,
        )


async def _confirmed(
    conn: asyncpg.Connection,
    service: str,
    e: vac.ResidentDataErasedV1 | trn.ResidentDataErasedV1 | ntf.ResidentDataErasedV1,
) -> None:
    await conn.execute(
        "INSERT INTO erasure_confirmation (erasure_event_id, service, resident_id, confirmed_at)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        normalised(str(e.erasure_event_id)),
        service,
        e.resident_id,
        e.erased_at,
    )


@on(vac.ResidentDataErasedV1)
async def _vacancies_erased(conn: asyncpg.Connection, e: vac.ResidentDataErasedV1) -> None:
    await _confirmed(conn, "vacancies", e)


@on(trn.ResidentDataErasedV1)
async def _training_erased(conn: asyncpg.Connection, e: trn.ResidentDataErasedV1) -> None:
    await _confirmed(conn, "training", e)


@on(ntf.ResidentDataErasedV1)
async def _notify_erased(conn: asyncpg.Connection, e: ntf.ResidentDataErasedV1) -> None:
    await _confirmed(conn, "notify", e)


async def _claim(conn: asyncpg.Connection, events: list[StreamEvent]) -> set[str]:
    """Record the batch's ce-ids in one statement; return those never applied before."""
    rows = await conn.fetch(
        "INSERT INTO applied_event (event_id, stream_offset, event_type)"
        " SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        [e.event_id for e in events],
        [e.offset for e in events],
        [e.routing_key for e in events],
    )
    return {row["event_id"] for row in rows}


async def _apply(conn: asyncpg.Connection, event: StreamEvent, *, careful: bool) -> None:
    """Careless: any bad event aborts the batch (the fast path). Careful: each event in a
    savepoint, a bad one becomes a dead letter and the rest go on."""
    handler = HANDLERS.get(event.routing_key)
    if handler is None:
        return
    model, apply = handler
    if not careful:
        await apply(conn, model.model_validate_json(event.body), event)
        return
    try:
        async with conn.transaction():
            await apply(conn, model.model_validate_json(event.body), event)
    except BAD_EVENT as exc:
        await dead_letter(conn, event, exc)


async def apply_batch(conn: asyncpg.Connection, events: list[StreamEvent]) -> int:
    """Apply a batch in one transaction with the new stream position; return how many were new.
    Tried without savepoints first; a batch holding a bad event runs again, carefully."""
    try:
        return await _apply_batch(conn, events, careful=False)
    except BAD_EVENT:
        return await _apply_batch(conn, events, careful=True)


async def _apply_batch(
    conn: asyncpg.Connection, events: list[StreamEvent], *, careful: bool
) -> int:
    async with conn.transaction():
        fresh = await _claim(conn, events)
        applied = len(fresh)
        for event in events:
            if event.event_id in fresh:
                fresh.discard(event.event_id)  # the same ce-id twice in one batch applies once
                await _apply(conn, event, careful=careful)
        await conn.execute(
            """
            INSERT INTO stream_position (stream, last_offset, applied, last_event_at, updated_at)
            VALUES ($1, $2, $3, $4, now())
            ON CONFLICT (stream) DO UPDATE SET last_offset = excluded.last_offset,
                applied = stream_position.applied + excluded.applied,
                last_event_at = coalesce(excluded.last_event_at, stream_position.last_event_at),
                updated_at = now()
            """,
            STREAM,
            events[-1].offset,
            applied,
            events[-1].timestamp,
        )
    return applied


async def dead_letter(conn: asyncpg.Connection, event: StreamEvent, exc: Exception) -> None:
    reason = "unreadable" if isinstance(exc, ValidationError | json.JSONDecodeError) else "failed"
    log.error("event %s at offset %d not applied: %s", event.event_id, event.offset, describe(exc))
    await conn.execute(
        """
        INSERT INTO dead_letter (fingerprint, service, queue, routing_key, message_id, event_type,
            reason, error, attempts, failed_at, headers, content_type, body)
        VALUES ($1, 'console', $2, $3, $4, $3, $5, $6, 1, now(), $7, $8, $9)
        ON CONFLICT (fingerprint) DO NOTHING
        """,
        deadletters.fingerprint(
            queue=STREAM, message_id=event.event_id, failed_at=None, body=event.body
        ),
        STREAM,
        event.routing_key,
        event.event_id,
        reason,
        describe(exc),
        json.dumps(event.headers, default=str),
        event.content_type,
        event.body,
    )


async def reapply(conn: asyncpg.Connection, event: StreamEvent) -> None:
    """Apply a console dead letter again after a fix; raises if it still cannot be applied."""
    handler = HANDLERS.get(event.routing_key)
    if handler is None:
        return
    model, apply = handler
    async with conn.transaction():
        await apply(conn, model.model_validate_json(event.body), event)


async def reset(conn: asyncpg.Connection) -> None:
    """Forget every projection and the stream position: the next read starts at `first`."""
    async with conn.transaction():
        await conn.execute(f"TRUNCATE {', '.join(PROJECTION_TABLES)}")
        await conn.execute("DELETE FROM dead_letter WHERE service = 'console'")
        await conn.execute(
            "INSERT INTO stream_position (stream, last_offset, applied, rebuilt_at)"
            " VALUES ($1, NULL, 0, now()) ON CONFLICT (stream) DO UPDATE"
            " SET last_offset = NULL, applied = 0, last_event_at = NULL, rebuilt_at = now(),"
            " updated_at = now()",
            STREAM,
        )


async def position(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM stream_position WHERE stream = $1", STREAM)
