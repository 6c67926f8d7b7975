"""The ready-for-training pool: registered seekers the office assessed as needing training,
with the vocation they want. Enrollment draws from it; every entry and exit is an event."""

from datetime import datetime
from uuid import UUID

import asyncpg

from kerjalokal.auth import Principal
from kerjalokal.events import training as ev
from kerjalokal.messaging import outbox

from . import repository
from .domain import ENROLLABLE_STATUSES, DomainError, FieldError, NotFound
from .schemas import ReadinessIn


async def _event(conn: asyncpg.Connection, row: asyncpg.Record, *, at: datetime) -> None:
    await outbox.add(
        conn,
        ev.ReadinessAssessedV1(
            resident_id=row["resident_id"],
            ready=row["state"] == "ready",
            vocation=row["vocation"],
            kbji_code=row["kbji_code"],
            reason=row["reason"],
            changed_at=at,
        ),
    )


async def assess(
    conn: asyncpg.Connection, *, data: ReadinessIn, actor: Principal, now: datetime
) -> tuple[asyncpg.Record, bool]:
    """Put a seeker in the pool (or change the vocation); False when nothing changed."""
    seeker = await repository.get_seeker(conn, resident_id=data.resident_id, lock=True)
    if seeker is None:
        raise FieldError(
            ("resident_id",),
            "Pencari kerja belum terdaftar di registry (atau datanya belum sampai) /"
            " the seeker is not registered (or the registry's event has not arrived yet)",
        )
    if seeker["status"] not in ENROLLABLE_STATUSES:
        raise FieldError(
            ("resident_id",),
            f"Pencari kerja berstatus {seeker['status']} tidak masuk daftar siap latih /"
            f" a seeker with status {seeker['status']} cannot join the ready pool",
        )
    current = await repository.get_readiness(conn, resident_id=data.resident_id, lock=True)
    if current is not None and current["state"] == "enrolled":
        raise DomainError(
            "Pencari kerja sedang mengikuti pelatihan / the seeker is in training now"
        )
    same = (data.vocation, data.kbji_code)
    if (
        current
        and current["state"] == "ready"
        and (current["vocation"], current["kbji_code"]) == same
    ):
        return current, False
    reason = "assessed" if current is None or current["state"] == "left" else "reassessed"
    row = await repository.save_readiness(
        conn,
        {
            "resident_id": data.resident_id,
            "vocation": data.vocation,
            "kbji_code": data.kbji_code,
            "state": "ready",
            "reason": reason,
            "at": now,
            "by": actor.label,
        },
    )
    await _event(conn, row, at=now)
    return row, True


async def remove(conn: asyncpg.Connection, *, resident_id: UUID, now: datetime) -> asyncpg.Record:
    current = await repository.get_readiness(conn, resident_id=resident_id, lock=True)
    if current is None or current["state"] != "ready":
        raise NotFound("readiness")
    return await move(conn, resident_id=resident_id, state="left", reason="removed", now=now)


async def move(
    conn: asyncpg.Connection, *, resident_id: UUID, state: str, reason: str, now: datetime
) -> asyncpg.Record:
    row = await repository.set_readiness_state(
        conn, resident_id=resident_id, state=state, reason=reason, at=now
    )
    await _event(conn, row, at=now)
    return row


async def leave_if(
    conn: asyncpg.Connection,
    *,
    resident_id: UUID,
    states: tuple[str, ...],
    to: str,
    reason: str,
    now: datetime,
) -> None:
    """Move the seeker's pool entry when it is in one of `states`; nothing otherwise."""
    current = await repository.get_readiness(conn, resident_id=resident_id, lock=True)
    if current is not None and current["state"] in states:
        await move(conn, resident_id=resident_id, state=to, reason=reason, now=now)
