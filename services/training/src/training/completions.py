"""Completion with pass or fail and the certified competencies (or a letter of attendance for an
apprenticeship not passed), and what a hire does to ongoing training. Each runs inside the
caller's transaction and stages its events in the outbox."""

import json
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from kerjalokal.auth import Principal
from kerjalokal.events import training as ev
from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.messaging import outbox

from . import enrollments, pool, repository
from .domain import (
    SYSTEM,
    DomainError,
    FieldError,
    apprenticeship_outcome,
    attendance_rate,
    check_completion_date,
    letter_number,
)
from .enrollments import ONGOING
from .schemas import CompletionIn


def _certified(data: CompletionIn, *, kind: str) -> list[dict[str, Any]]:
    """Which competencies the completion certifies, with the rules of each kind."""
    if not data.passed:
        if data.certified_skills or data.certificate_number:
            raise FieldError(
                ("certified_skills",),
                "Peserta tidak lulus tidak mendapat sertifikat / a fail certifies nothing",
            )
        return []
    if kind == "apprenticeship":
        if data.certificate_number is None:
            raise FieldError(
                ("certificate_number",),
                "Nomor sertifikat pemagangan wajib diisi / the certificate number is required",
            )
        return [
            s.model_dump() | {"certificate_number": s.certificate_number or data.certificate_number}
            for s in data.certified_skills
        ]
    if not data.certified_skills:
        raise FieldError(
            ("certified_skills",),
            "Kelulusan mencantumkan kompetensi yang disertifikasi / a pass names its competencies",
        )
    for i, skill in enumerate(data.certified_skills):
        if skill.certificate_number is None:
            raise FieldError(
                ("certified_skills", str(i), "certificate_number"),
                "Nomor sertifikat wajib diisi / the certificate number is required",
            )
    return [s.model_dump() for s in data.certified_skills]


async def complete(
    conn: asyncpg.Connection,
    *,
    enrollment_id: UUID,
    data: CompletionIn,
    actor: Principal,
    now: datetime,
) -> asyncpg.Record:
    row, _ = await enrollments.locked(conn, enrollment_id, actor=actor)
    if row["state"] != "enrolled":
        raise DomainError(
            f"Hanya peserta aktif yang dapat diluluskan (status {row['state']}) /"
            f" only an enrolled participant can complete (state {row['state']})"
        )
    check_completion_date(starts_on=row["starts_on"], today=now.date())
    skills = _certified(data, kind=row["kind"])
    letter = None
    if row["kind"] == "apprenticeship" and not data.passed:
        letter = letter_number(await repository.next_letter_serial(conn), year=now.year)
    outcome = (
        apprenticeship_outcome(passed=data.passed, hired=False)
        if row["kind"] == "apprenticeship"
        else ("passed" if data.passed else "failed")
    )
    await _completed(
        conn, row, passed=data.passed, outcome=outcome, skills=skills,
        certificate_number=data.certificate_number, letter=letter, at=now,
    )  # fmt: skip
    await enrollments.settle_pool(
        conn, resident_id=row["resident_id"], to="left", reason="completed", now=now
    )
    return await enrollments.visible(conn, enrollment_id, actor=actor)


async def _completed(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    *,
    passed: bool,
    outcome: str,
    skills: list[dict[str, Any]],
    certificate_number: str | None,
    letter: str | None,
    at: datetime,
) -> None:
    if await repository.is_erased(conn, resident_id=row["resident_id"]):
        # An erased resident still in a seat completes as a count: no document numbers.
        skills = [{k: v for k, v in s.items() if k != "certificate_number"} for s in skills]
        certificate_number = letter = None
    await repository.update(
        conn, "enrollment", "enrollment_id", row["enrollment_id"],
        {"state": "completed", "ended_at": at, "passed": passed, "outcome": outcome,
         "certified_skills": json.loads(json.dumps(skills)),
         "certificate_number": certificate_number, "letter_number": letter},
    )  # fmt: skip
    attendance = await repository.attendance_of(conn, enrollment_id=row["enrollment_id"])
    certified = tuple(ev.CertifiedSkill.model_validate(s) for s in skills)
    ids = {
        "enrollment_id": row["enrollment_id"],
        "resident_id": row["resident_id"],
        "session_id": row["session_id"],
        "programme_id": row["programme_id"],
        "institution_id": row["institution_id"],
    }
    events: list[Any] = [
        ev.TrainingCompletedV1(
            **ids, passed=passed, certified_skills=certified, completed_at=at, kind=row["kind"],
            vocation=row["vocation"], kbji_code=row["kbji_code"],
            attendance_rate=attendance_rate(attendance["present"], attendance["recorded"]),
        )
    ]  # fmt: skip
    if row["kind"] == "apprenticeship":
        events.append(
            ev.ApprenticeshipCompletedV1(
                **ids,
                company_id=row["host_company_id"],
                outcome=outcome,
                certificate_number=certificate_number,
                letter_number=letter,
                certified_skills=certified,
                completed_at=at,
            )
        )
    await outbox.add(conn, *events)


async def on_hired(conn: asyncpg.Connection, *, event: ResidentHiredV1, now: datetime) -> None:
    """A hire ends ongoing training (the seat frees), except an apprenticeship with the hiring
    company, which completes as hired. The hire is kept for placement rates."""
    await repository.add_hire(
        conn, hire_id=event.hire_id, resident_id=event.resident_id, company_id=event.company_id,
        hired_at=event.hired_at,
    )  # fmt: skip
    for ongoing in await repository.ongoing_of(conn, resident_id=event.resident_id):
        row, session = await enrollments.locked(conn, ongoing["enrollment_id"], actor=SYSTEM)
        if row["state"] not in ONGOING:
            continue
        host = row["kind"] == "apprenticeship" and row["host_company_id"] == event.company_id
        if host and row["state"] == "enrolled":
            await _completed(
                conn, row, passed=True, outcome="hired", skills=[], certificate_number=None,
                letter=None, at=max(event.hired_at, row["enrolled_at"]),
            )  # fmt: skip
            continue
        await enrollments.end(conn, row, state="withdrawn", reason="hired", now=now)
        if row["state"] == "enrolled":
            await enrollments.promote(conn, session, now=now)
    await pool.leave_if(
        conn, resident_id=event.resident_id, states=("ready", "enrolled"), to="left",
        reason="hired", now=now,
    )  # fmt: skip
