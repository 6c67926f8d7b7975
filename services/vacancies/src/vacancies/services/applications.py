"""Applications: a seeker applies through an operator or their village admin, or an operator
refers them; the company moves them on. Every transition is logged with who made it and
published; a refusal's reason travels only when it may be shown to the seeker."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.events import vacancies as ev
from kerjalokal.messaging import outbox

from .. import repository as db
from ..domain import applications as rules
from ..domain.applications import OPEN
from ..domain.applications import Status as S
from ..domain.errors import DomainError, Duplicate, FieldError, NotFound
from ..domain.vacancy import today_in_bekasi
from ..principals import SYSTEM, Actor, may_act_for
from ..schemas import ApplicationIn, TransitionIn
from . import hires, seekers

HIRED_ELSEWHERE = "Sudah diterima bekerja di tempat lain / hired elsewhere"
NO_POSITION = "Lowongan sudah terisi / the vacancy has been filled"
VACANCY_WITHDRAWN = "Lowongan ditarik perusahaan / the company withdrew the vacancy"
_OPEN = [status.value for status in OPEN]


async def _seeker(conn: asyncpg.Connection, resident_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM seeker WHERE resident_id = $1 AND profile_version > 0", resident_id
    )


async def submit(
    conn: asyncpg.Connection, *, data: ApplicationIn, actor: Actor, now: datetime
) -> asyncpg.Record:
    if actor.role not in ("operator", "village_admin"):
        raise NotFound("vacancy")
    if actor.role == "village_admin" and data.channel == "referral":
        raise FieldError(("channel",), "Rujukan hanya oleh operator / only operators refer")
    vacancy = await db.get(conn, "vacancy", "vacancy_id", data.vacancy_id)
    if vacancy is None:
        raise FieldError(("vacancy_id",), "Lowongan tidak dikenal / unknown vacancy")
    if vacancy["status"] != "published":
        raise DomainError(
            f"Lowongan berstatus {vacancy['status']} tidak menerima lamaran / a vacancy in"
            f" {vacancy['status']} takes no applications"
        )
    erased = await seekers.lock_resident(conn, data.resident_id)  # not while being erased
    seeker = None if erased else await _seeker(conn, data.resident_id)
    if seeker is None or (
        actor.role == "village_admin" and not actor.covers_desa(seeker["desa_kode"])
    ):
        raise FieldError(("resident_id",), "Pencari kerja tidak dikenal / unknown job seeker")
    if seeker["status"] in ("placed", "expired"):
        raise DomainError(
            f"Pencari kerja berstatus {seeker['status']} tidak dapat melamar / a seeker whose"
            f" status is {seeker['status']} cannot apply"
        )
    existing = await conn.fetchval(
        "SELECT application_id FROM application WHERE vacancy_id = $1 AND resident_id = $2",
        data.vacancy_id,
        data.resident_id,
    )
    if existing:
        raise Duplicate(
            "Pencari kerja ini sudah melamar lowongan ini / this seeker already applied to this"
            " vacancy",
            location=f"/applications/{existing}",
        )
    row = await db.insert(
        conn,
        "application",
        {
            "application_id": uuid4(),
            "vacancy_id": data.vacancy_id,
            "company_id": vacancy["company_id"],
            "resident_id": data.resident_id,
            "channel": data.channel,
            "submitted_by_kind": actor.role,
            "status": S.SUBMITTED.value,
            "submitted_at": now,
            "updated_at": now,
        },
    )
    await _log(conn, row, actor=actor, now=now, previous=None)
    await outbox.add(
        conn,
        ev.ApplicationSubmittedV1(
            application_id=row["application_id"],
            vacancy_id=row["vacancy_id"],
            company_id=row["company_id"],
            resident_id=row["resident_id"],
            channel=row["channel"],
            submitted_by=actor.role,
            submitted_at=now,
        ),
    )
    return row


async def _log(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    *,
    actor: Actor,
    now: datetime,
    previous: str | None,
) -> None:
    await conn.execute(
        "INSERT INTO application_transition"
        " (application_id, at, actor, from_status, to_status, reason, reason_shared)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        row["application_id"], now, actor.label, previous, row["status"], row["reason"],
        row["reason_shared"],
    )  # fmt: skip


async def move(
    conn: asyncpg.Connection,
    current: asyncpg.Record,
    *,
    target: S,
    actor: Actor,
    now: datetime,
    reason: str | None = None,
    shared: bool = False,
) -> asyncpg.Record:
    """Record one transition: the row, the log line, the event."""
    row = await db.update(
        conn,
        "application",
        "application_id",
        current["application_id"],
        {"status": target.value, "reason": reason, "reason_shared": shared, "updated_at": now},
    )
    await _log(conn, row, actor=actor, now=now, previous=current["status"])
    await outbox.add(
        conn,
        ev.ApplicationStatusChangedV1(
            application_id=row["application_id"],
            vacancy_id=row["vacancy_id"],
            company_id=row["company_id"],
            resident_id=row["resident_id"],
            channel=row["channel"],
            previous_status=current["status"],
            status=row["status"],
            reason=reason if shared else None,
            changed_at=now,
        ),
    )
    return row


async def get_visible(
    conn: asyncpg.Connection, application_id: UUID, *, actor: Actor, lock: bool = False
) -> asyncpg.Record:
    """The company sees applications to its vacancies, a village admin those of its residents
    (its desa, or every desa of its kecamatan); anything else answers like a missing one."""
    row = await db.get(conn, "application", "application_id", application_id, lock=lock)
    if row is None:
        raise NotFound("application")
    if actor.role == "village_admin":
        desa = await conn.fetchval(
            "SELECT desa_kode FROM seeker WHERE resident_id = $1", row["resident_id"]
        )
        if not actor.covers_desa(desa):
            raise NotFound("application")
    elif not may_act_for(actor, row["company_id"]):
        raise NotFound("application")
    return row


OPERATOR_ONLY = frozenset({S.CANCELLED})
"""Set by the office alone (a vacancy withdrawn, a mistake undone)."""
COMPANY_MAY_SET = frozenset({S.SCREENING, S.INTERVIEW, S.OFFERED, S.HIRED, S.REFUSED, S.NO_SHOW})
"""The company moves its candidates on; withdrawing is the seeker's act (through the office or
the village admin)."""
VILLAGE_ADMIN_MAY_SET = frozenset({S.WITHDRAWN})


def check_may_set(actor: Actor, target: S) -> None:
    """A status this role may not set is refused naming the field, before any rule about it."""
    allowed = {"company": COMPANY_MAY_SET, "village_admin": VILLAGE_ADMIN_MAY_SET}.get(actor.role)
    if actor.role == "operator" or (allowed is not None and target in allowed):
        return
    options = ", ".join(sorted(allowed or ()))
    raise FieldError(
        ("status",),
        f"Peran {actor.role} tidak dapat menetapkan status {target} (bisa: {options}) /"
        f" the {actor.role} role cannot set the status {target} (allowed: {options})",
    )


async def transition(
    conn: asyncpg.Connection,
    *,
    application_id: UUID,
    data: TransitionIn,
    actor: Actor,
    now: datetime,
    backdate_days: int,
) -> asyncpg.Record:
    current = await get_visible(conn, application_id, actor=actor, lock=True)
    check_may_set(actor, S(data.status))
    target = rules.transition(S(current["status"]), S(data.status))
    rules.check_reason(target, data.reason)
    if target is not S.HIRED:
        return await move(
            conn, current, target=target, actor=actor, now=now, reason=data.reason,
            shared=data.reason_shared,
        )  # fmt: skip
    start = rules.check_hire(
        start_date=data.start_date,
        contract_type=data.contract_type,
        today=today_in_bekasi(now),
        backdate_days=backdate_days,
    )
    assert data.contract_type is not None
    row = await move(conn, current, target=target, actor=actor, now=now)
    await hires.record(
        conn,
        hires.HireIn(
            resident_id=row["resident_id"],
            company_id=row["company_id"],
            start_date=start,
            contract_type=data.contract_type,
            source=row["channel"],
            vacancy_id=row["vacancy_id"],
            application_id=row["application_id"],
        ),
        actor=actor,
        now=now,
    )
    return row


async def obsolete_others(
    conn: asyncpg.Connection, *, resident_id: UUID, keep: UUID | None, now: datetime
) -> int:
    """A hired seeker's other open applications: obsolete (hired elsewhere), by the system."""
    rows = await conn.fetch(
        "SELECT * FROM application WHERE resident_id = $1 AND status = ANY($2)"
        " AND application_id IS DISTINCT FROM $3 ORDER BY submitted_at FOR UPDATE",
        resident_id, _OPEN, keep,
    )  # fmt: skip
    for row in rows:
        await move(
            conn, row, target=S.OBSOLETE, actor=SYSTEM, now=now, reason=HIRED_ELSEWHERE,
            shared=True,
        )  # fmt: skip
    return len(rows)


async def end_open_for_vacancy(
    conn: asyncpg.Connection, vacancy: asyncpg.Record, *, filled: bool, now: datetime
) -> int:
    rows = await conn.fetch(
        "SELECT * FROM application WHERE vacancy_id = $1 AND status = ANY($2)"
        " ORDER BY submitted_at FOR UPDATE",
        vacancy["vacancy_id"], _OPEN,
    )  # fmt: skip
    target, reason = (S.REFUSED, NO_POSITION) if filled else (S.CANCELLED, VACANCY_WITHDRAWN)
    for row in rows:
        await move(conn, row, target=target, actor=SYSTEM, now=now, reason=reason, shared=True)
    return len(rows)


async def transitions(conn: asyncpg.Connection, application_id: UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT at, actor, from_status, to_status, reason, reason_shared"
        " FROM application_transition WHERE application_id = $1 ORDER BY id",
        application_id,
    )
    return [dict(row) for row in rows]


async def listing(
    conn: asyncpg.Connection,
    *,
    actor: Actor,
    vacancy_id: UUID | None,
    resident_id: UUID | None,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    company = actor.company_id if actor.role == "company" else None
    village = actor.role == "village_admin"
    desa = actor.desa_kode if village else None
    kecamatan = actor.kecamatan_kode if village else None
    if village and not (desa or kecamatan):
        return [], 0
    where = (
        "WHERE ($1::uuid IS NULL OR a.company_id = $1) AND ($2::uuid IS NULL OR a.vacancy_id = $2)"
        " AND ($3::uuid IS NULL OR a.resident_id = $3) AND ($4::text IS NULL OR a.status = $4)"
        " AND ($5::text IS NULL OR s.desa_kode = $5)"
        " AND ($6::text IS NULL OR starts_with(s.desa_kode, $6 || '.'))"
    )
    base = "FROM application a LEFT JOIN seeker s USING (resident_id) " + where
    args = (company, vacancy_id, resident_id, status, desa, kecamatan)
    total: int = await conn.fetchval(f"SELECT count(*) {base}", *args)
    rows = await conn.fetch(
        f"SELECT a.*, (SELECT hire_id FROM hire h WHERE h.application_id = a.application_id)"
        f" AS hire_id {base} ORDER BY a.submitted_at DESC, a.application_id"
        f" LIMIT $7 OFFSET $8",
        *args, limit, offset,
    )  # fmt: skip
    return rows, total
