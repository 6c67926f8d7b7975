"""Enrollment use cases: seats under a row lock on the session, a FIFO waiting list promoted
when a seat frees, attendance, withdrawal and drop-out. Each runs inside the caller's
transaction and stages its events in the outbox."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.auth import Principal
from kerjalokal.events import training as ev
from kerjalokal.messaging import outbox

from . import pool, repository
from .domain import (
    DomainError,
    FieldError,
    NotFound,
    Requirements,
    Seeker,
    check_attendance_day,
    check_session_open,
    eligibility,
    may_act_for,
)
from .schemas import AttendanceIn

ONGOING = ("waitlisted", "enrolled")


class AlreadyEnrolled(DomainError):
    def __init__(self, enrollment_id: UUID, state: str) -> None:
        super().__init__(
            f"Sudah terdaftar di angkatan ini ({state}) / already in this session ({state})"
        )
        self.enrollment_id = enrollment_id


async def _session(
    conn: asyncpg.Connection, session_id: UUID, *, actor: Principal
) -> asyncpg.Record:
    """The session, locked: every seat decision on it is serialized."""
    session = await repository.get_session(conn, session_id=session_id, lock=True)
    if session is None or not may_act_for(actor, session["institution_id"]):
        raise NotFound("session")
    return session


async def locked(
    conn: asyncpg.Connection, enrollment_id: UUID, *, actor: Principal
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """The enrollment and its session, both locked, the session first (the one lock order)."""
    found = await repository.get_enrollment(conn, enrollment_id=enrollment_id)
    if found is None or not may_act_for(actor, found["institution_id"]):
        raise NotFound("enrollment")
    session = await repository.get_session(conn, session_id=found["session_id"], lock=True)
    row = await repository.get_enrollment(conn, enrollment_id=enrollment_id, lock=True)
    assert session is not None
    assert row is not None
    return row, session


def _requirements(session: asyncpg.Record) -> Requirements:
    return Requirements(
        min_age=session["min_age"],
        max_age=session["max_age"],
        min_education_level=session["min_education_level"],
        education_track=session["education_track"],
    )


def _seeker(row: asyncpg.Record) -> Seeker:
    return Seeker(
        status=row["status"],
        birth_year=row["birth_year"],
        education_level=row["education_level"],
        education_track=row["education_track"],
    )


async def visible(
    conn: asyncpg.Connection, enrollment_id: UUID, *, actor: Principal
) -> asyncpg.Record:
    row = await repository.get_enrollment(conn, enrollment_id=enrollment_id)
    if row is None or not may_act_for(actor, row["institution_id"]):
        raise NotFound("enrollment")
    return row


async def enroll(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    resident_id: UUID,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    session = await _session(conn, session_id, actor=actor)
    check_session_open(ends_on=session["ends_on"], today=now.date())
    return await _enroll(conn, session, resident_id=resident_id, actor=actor, now=now)


async def enroll_many(
    conn: asyncpg.Connection,
    *,
    session_id: UUID,
    resident_ids: list[UUID],
    actor: Principal,
    now: datetime,
) -> list[dict[str, Any]]:
    """Each resident checked as a single enrollment would be; one refusal refuses only that one."""
    session = await _session(conn, session_id, actor=actor)
    check_session_open(ends_on=session["ends_on"], today=now.date())
    results: list[dict[str, Any]] = []
    for resident_id in dict.fromkeys(resident_ids):
        item: dict[str, Any] = {"resident_id": resident_id}
        try:
            async with conn.transaction():
                row = await _enroll(conn, session, resident_id=resident_id, actor=actor, now=now)
            item |= {"result": row["state"], "enrollment_id": row["enrollment_id"]}
        except AlreadyEnrolled as already:
            item |= {"result": "already", "enrollment_id": already.enrollment_id}
        except FieldError as refused:
            item |= {"result": "refused", "field": ".".join(refused.loc), "reason": refused.reason}
        except DomainError as refused:
            item |= {"result": "refused", "reason": refused.reason}
        results.append(item)
    return results


async def _enroll(
    conn: asyncpg.Connection,
    session: asyncpg.Record,
    *,
    resident_id: UUID,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    seeker = await repository.get_seeker(conn, resident_id=resident_id, lock=True)
    if seeker is None:
        raise FieldError(
            ("resident_id",), "Pencari kerja belum terdaftar / the seeker is not registered"
        )
    readiness = await repository.get_readiness(conn, resident_id=resident_id, lock=True)
    if readiness is None or readiness["state"] == "left":
        raise FieldError(
            ("resident_id",),
            "Pencari kerja tidak ada di daftar siap latih / the seeker is not in the ready pool",
        )
    if active := await repository.active_in_session(
        conn, session_id=session["session_id"], resident_id=resident_id
    ):
        raise AlreadyEnrolled(active["enrollment_id"], active["state"])
    if reasons := eligibility(
        _seeker(seeker), _requirements(session), starts_on=session["starts_on"]
    ):
        raise FieldError(("resident_id",), "; ".join(reasons))
    full = (
        await repository.count_enrolled(conn, session_id=session["session_id"])
        >= session["capacity"]
    )
    values = {
        "enrollment_id": uuid4(),
        "session_id": session["session_id"],
        "programme_id": session["programme_id"],
        "institution_id": session["institution_id"],
        "resident_id": resident_id,
        "period": asyncpg.Range(session["starts_on"], session["ends_on"], upper_inc=True),
        "state": "waitlisted" if full else "enrolled",
        "waitlist_serial": await repository.next_waitlist_serial(conn) if full else None,
        "requested_at": now,
        "enrolled_at": None if full else now,
        "created_by": actor.label,
    }
    try:
        async with conn.transaction():
            row = await repository.insert(conn, "enrollment", values)
    except asyncpg.ExclusionViolationError:
        raise DomainError(
            "Sudah terdaftar di angkatan lain pada periode yang bertumpang tindih /"
            " already in another session whose period overlaps"
        ) from None
    if full:
        await _waitlisted(conn, session, row, now=now)
    else:
        await _started(conn, session, row, now=now, from_waitlist=False)
    found = await repository.get_enrollment(conn, enrollment_id=row["enrollment_id"])
    assert found is not None
    return found


async def _waitlisted(
    conn: asyncpg.Connection, session: asyncpg.Record, row: asyncpg.Record, *, now: datetime
) -> None:
    position = await repository.waitlist_position(
        conn, session_id=session["session_id"], serial=row["waitlist_serial"]
    )
    await outbox.add(
        conn,
        ev.ResidentWaitlistedV1(
            enrollment_id=row["enrollment_id"],
            resident_id=row["resident_id"],
            session_id=row["session_id"],
            programme_id=row["programme_id"],
            institution_id=row["institution_id"],
            position=position,
            waitlisted_at=now,
        ),
    )


async def _started(
    conn: asyncpg.Connection,
    session: asyncpg.Record,
    row: asyncpg.Record,
    *,
    now: datetime,
    from_waitlist: bool,
) -> None:
    ids = {
        "enrollment_id": row["enrollment_id"],
        "resident_id": row["resident_id"],
        "session_id": row["session_id"],
        "programme_id": row["programme_id"],
        "institution_id": row["institution_id"],
    }
    common = {
        "vocation": session["vocation"],
        "kbji_code": session["kbji_code"],
        "starts_on": session["starts_on"],
        "ends_on": session["ends_on"],
    }
    events: list[Any] = [
        ev.ResidentEnrolledV1(
            **ids, **common, kind=session["kind"], enrolled_at=now, from_waitlist=from_waitlist
        )
    ]
    if session["kind"] == "apprenticeship":
        events.append(
            ev.ApprenticeshipStartedV1(
                **ids,
                **common,
                company_id=session["host_company_id"],
                agreement_number=session["agreement_number"],
                stipend_basis=session["stipend_basis"],
                started_at=now,
            )
        )
    await outbox.add(conn, *events)
    await pool.leave_if(
        conn, resident_id=row["resident_id"], states=("ready",), to="enrolled",
        reason="enrolled", now=now,
    )  # fmt: skip


async def promote(conn: asyncpg.Connection, session: asyncpg.Record, *, now: datetime) -> int:
    """Fill free seats from the waiting list, first come first served; skip (and withdraw)
    anyone no longer eligible. The caller holds the session lock."""
    promoted = 0
    if now.date() > session["ends_on"]:
        return promoted
    session_id = session["session_id"]
    while await repository.count_enrolled(conn, session_id=session_id) < session["capacity"]:
        enrollment_id = await repository.first_waitlisted(conn, session_id=session_id)
        if enrollment_id is None:
            break
        row = await repository.get_enrollment(conn, enrollment_id=enrollment_id, lock=True)
        assert row is not None
        seeker = await repository.get_seeker(conn, resident_id=row["resident_id"])
        assert seeker is not None
        if eligibility(_seeker(seeker), _requirements(session), starts_on=session["starts_on"]):
            await end(conn, row, state="withdrawn", reason="no_longer_eligible", now=now)
            continue
        row = await repository.update(
            conn, "enrollment", "enrollment_id", enrollment_id,
            {"state": "enrolled", "enrolled_at": now},
        )  # fmt: skip
        await _started(conn, session, row, now=now, from_waitlist=True)
        promoted += 1
    return promoted


async def end(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    *,
    state: str,
    reason: str,
    now: datetime,
    dropout_reason: str | None = None,
    note: str | None = None,
) -> None:
    if note is not None and await repository.is_erased(conn, resident_id=row["resident_id"]):
        note = None  # an erased resident's enrollment keeps no free text
    await repository.update(
        conn, "enrollment", "enrollment_id", row["enrollment_id"],
        {"state": state, "ended_at": now, "end_reason": reason, "dropout_reason": dropout_reason,
         "note": note},
    )  # fmt: skip
    await outbox.add(
        conn,
        ev.EnrollmentWithdrawnV1(
            enrollment_id=row["enrollment_id"],
            resident_id=row["resident_id"],
            session_id=row["session_id"],
            programme_id=row["programme_id"],
            institution_id=row["institution_id"],
            reason=reason,
            withdrawn_at=now,
            was_waitlisted=row["state"] == "waitlisted",
            dropout_reason=dropout_reason,
        ),
    )


async def settle_pool(
    conn: asyncpg.Connection, *, resident_id: UUID, to: str, reason: str, now: datetime
) -> None:
    """After an enrollment ended: still in training elsewhere, or back/out of the pool."""
    still = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM enrollment WHERE resident_id = $1 AND state = 'enrolled')",
        resident_id,
    )
    if not still:
        await pool.leave_if(
            conn, resident_id=resident_id, states=("enrolled",), to=to, reason=reason, now=now
        )


async def withdraw(
    conn: asyncpg.Connection,
    *,
    enrollment_id: UUID,
    note: str | None,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    """The seeker (or the office) withdraws: the seat frees and they return to the ready pool."""
    row, session = await locked(conn, enrollment_id, actor=actor)
    if row["state"] not in ONGOING:
        raise DomainError(f"Pendaftaran sudah {row['state']} / the enrollment is {row['state']}")
    await end(conn, row, state="withdrawn", reason="withdrawn", note=note, now=now)
    await settle_pool(conn, resident_id=row["resident_id"], to="ready", reason="returned", now=now)
    if row["state"] == "enrolled":
        await promote(conn, session, now=now)
    return await visible(conn, enrollment_id, actor=actor)


async def drop_out(
    conn: asyncpg.Connection,
    *,
    enrollment_id: UUID,
    reason: str,
    note: str | None,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    row, session = await locked(conn, enrollment_id, actor=actor)
    if row["state"] != "enrolled":
        raise DomainError(
            f"Hanya peserta aktif yang dapat keluar (status {row['state']}) /"
            f" only an enrolled participant can drop out (state {row['state']})"
        )
    await end(
        conn, row, state="dropped_out", reason="dropped_out", dropout_reason=reason, note=note,
        now=now,
    )  # fmt: skip
    await settle_pool(conn, resident_id=row["resident_id"], to="left", reason="removed", now=now)
    await promote(conn, session, now=now)
    return await visible(conn, enrollment_id, actor=actor)


async def record_attendance(
    conn: asyncpg.Connection,
    *,
    enrollment_id: UUID,
    data: AttendanceIn,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    row = await visible(conn, enrollment_id, actor=actor)
    if row["state"] not in ("enrolled", "completed"):
        raise DomainError(
            f"Kehadiran hanya untuk peserta (status {row['state']}) /"
            f" attendance only for participants (state {row['state']})"
        )
    for i, record in enumerate(data.records):
        problem = check_attendance_day(
            record.day, starts_on=row["starts_on"], ends_on=row["ends_on"], today=now.date()
        )
        if problem:
            raise FieldError(("records", str(i), "day"), problem)
    await repository.record_attendance(
        conn, [(enrollment_id, r.day, r.status, actor.label, now) for r in data.records]
    )
    return await repository.attendance_of(conn, enrollment_id=enrollment_id)
