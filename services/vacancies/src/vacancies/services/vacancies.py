"""Vacancies: drafted by a company's HR desk (or an operator for it), checked, reviewed by an
operator, published (and matched), updated, closed, filled or expired."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.events import vacancies as ev
from kerjalokal.messaging import outbox

from .. import repository as db
from ..domain import review
from ..domain.errors import DomainError, FieldError, NotFound
from ..domain.vacancy import VacancyStatus as V
from ..domain.vacancy import check_edit, check_fields, closing_status, require, today_in_bekasi
from ..principals import PUBLIC_READERS, Actor, may_act_for
from ..schemas import ApproveIn, VacancyIn, VacancyPatchIn
from . import applications, companies

_PUBLIC = ("published", "closed", "filled", "expired")
"""Statuses of a vacancy that was published: public data (its events went to every consumer)."""


def columns(data: dict[str, Any]) -> dict[str, Any]:
    """The table's columns from the API's nested shape (education, wage)."""
    values = {k: v for k, v in data.items() if k not in ("education", "wage", "company_id")}
    if (education := data.get("education")) is not None:
        values |= {
            "education_min": education["minimum"],
            "education_max": education.get("maximum"),
            "education_track": education.get("track"),
            "education_majors": list(dict.fromkeys(education.get("majors") or ())),
        }
    if (wage := data.get("wage")) is not None:
        values |= {
            "wage_min": wage.get("minimum"),
            "wage_max": wage.get("maximum"),
            "wage_period": wage.get("period", "bulan"),
        }
    for name in ("skills", "shifts"):
        if values.get(name) is not None:
            values[name] = list(dict.fromkeys(values[name]))
    return values


def nested(row: asyncpg.Record | dict[str, Any]) -> dict[str, Any]:
    """The API's and the events' shape of a vacancy row."""
    values = dict(row)
    return values | {
        "education": {
            "minimum": values["education_min"],
            "maximum": values["education_max"],
            "track": values["education_track"],
            "majors": list(values["education_majors"]),
        },
        "wage": {
            "minimum": values["wage_min"],
            "maximum": values["wage_max"],
            "period": values["wage_period"],
            "currency": "IDR",
        },
        "skills": list(values["skills"]),
        "shifts": list(values["shifts"]),
        "openings_left": max(values["openings"] - values["hires"], 0),
    }


def public(row: asyncpg.Record, company: asyncpg.Record) -> dict[str, Any]:
    """Every public field of a vacancy, as `vacancy_published` and `vacancy_updated` carry it."""
    values = nested(row)
    return {name: values[name] for name in ev.Vacancy.model_fields if name in values} | {
        "openings": values["openings_left"],
        "company_name": company["name"],
        "company_verified": company["status"] == "verified",
        "industrial_estate": company["industrial_estate"],
    }


async def history(
    conn: asyncpg.Connection,
    vacancy_id: UUID,
    *,
    actor: Actor,
    action: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO vacancy_history (vacancy_id, at, actor, action, detail)"
        " VALUES ($1, $2, $3, $4, $5)",
        vacancy_id, at, actor.label, action, detail or {},
    )  # fmt: skip


async def get_visible(
    conn: asyncpg.Connection, vacancy_id: UUID, *, actor: Actor, lock: bool = False
) -> asyncpg.Record:
    """An HR desk sees its company's vacancies, the public readers (village admins, agencies,
    institutions, services) the published ones; the rest is 404 like a missing one."""
    row = await db.get(conn, "vacancy", "vacancy_id", vacancy_id, lock=lock)
    if row is None:
        raise NotFound("vacancy")
    public = actor.role in PUBLIC_READERS and row["status"] in _PUBLIC
    if not (public or may_act_for(actor, row["company_id"])):
        raise NotFound("vacancy")
    return row


async def _own(conn: asyncpg.Connection, vacancy_id: UUID, *, actor: Actor) -> asyncpg.Record:
    row = await get_visible(conn, vacancy_id, actor=actor, lock=True)
    if not may_act_for(actor, row["company_id"]):
        raise NotFound("vacancy")
    return row


async def create(
    conn: asyncpg.Connection, *, data: VacancyIn, actor: Actor, now: datetime
) -> asyncpg.Record:
    if actor.role == "company":
        company_id = actor.company_id
        if data.company_id not in (None, company_id):
            raise FieldError(
                ("company_id",), "Hanya untuk perusahaan sendiri / only for your own company"
            )
    elif data.company_id is None:
        raise FieldError(("company_id",), "Wajib bagi operator / required for operators")
    else:
        company_id = data.company_id
    assert company_id is not None
    try:
        await companies.get_visible(conn, company_id, actor=actor)
    except NotFound:
        raise FieldError(("company_id",), "Perusahaan tidak dikenal / unknown company") from None
    values = data.model_dump(mode="python")
    derived = check_fields(values, today=today_in_bekasi(now))
    row = await db.insert(
        conn,
        "vacancy",
        columns(values)
        | derived
        | {
            "vacancy_id": uuid4(),
            "company_id": company_id,
            "status": V.DRAFT.value,
            "created_at": now,
            "created_by": actor.label,
            "updated_at": now,
        },
    )
    await history(conn, row["vacancy_id"], actor=actor, action="created", at=now)
    return row


async def edit(
    conn: asyncpg.Connection, *, vacancy_id: UUID, data: VacancyPatchIn, actor: Actor, now: datetime
) -> asyncpg.Record:
    current = await _own(conn, vacancy_id, actor=actor)
    given = set(data.model_fields_set)
    check_edit(V(current["status"]), given)
    merged = nested(current) | data.model_dump(include=given, mode="python")
    derived = check_fields(merged, today=today_in_bekasi(now), hires=current["hires"])
    values = columns(data.model_dump(include=given, mode="python")) | derived
    row = await db.update(
        conn,
        "vacancy",
        "vacancy_id",
        vacancy_id,
        values | {"version": current["version"] + 1, "updated_at": now},
    )
    await history(
        conn, vacancy_id, actor=actor, action="edited", at=now, detail={"fields": sorted(given)}
    )
    if row["status"] != V.PUBLISHED:
        return row
    if row["hires"] >= row["openings"]:
        return await end(conn, row, target=V.FILLED, actor=actor, now=now)
    await _updated_event(conn, row, changed=sorted(given), now=now)
    return row


async def _updated_event(
    conn: asyncpg.Connection, row: asyncpg.Record, *, changed: list[str], now: datetime
) -> None:
    company = await db.get(conn, "company", "company_id", row["company_id"])
    assert company is not None
    await outbox.add(
        conn,
        ev.VacancyUpdatedV1(
            **public(row, company), version=row["version"], changed=tuple(changed), updated_at=now
        ),
    )


async def submit(
    conn: asyncpg.Connection, *, vacancy_id: UUID, actor: Actor, now: datetime
) -> asyncpg.Record:
    """To review, with the check's flags for the operator to weigh."""
    current = await _own(conn, vacancy_id, actor=actor)
    require(V(current["status"]), V.DRAFT, action="submitted")
    check_fields(nested(current), today=today_in_bekasi(now), hires=current["hires"])
    flags = [flag.as_dict() for flag in review.check(nested(current))]
    row = await db.update(
        conn,
        "vacancy",
        "vacancy_id",
        vacancy_id,
        {
            "status": V.PENDING_REVIEW.value,
            "review_flags": flags,
            "submitted_at": now,
            "updated_at": now,
        },
    )
    await history(
        conn, vacancy_id, actor=actor, action="submitted", at=now,
        detail={"flags": [flag["code"] for flag in flags]},
    )  # fmt: skip
    return row


async def send_back(
    conn: asyncpg.Connection, *, vacancy_id: UUID, reasons: list[str], actor: Actor, now: datetime
) -> asyncpg.Record:
    current = await _own(conn, vacancy_id, actor=actor)
    require(V(current["status"]), V.PENDING_REVIEW, action="sent back")
    note = {"at": now.isoformat(), "by": actor.label, "reasons": reasons}
    row = await db.update(
        conn,
        "vacancy",
        "vacancy_id",
        vacancy_id,
        {
            "status": V.DRAFT.value,
            "review_notes": [*current["review_notes"], note],
            "updated_at": now,
        },
    )
    await history(conn, vacancy_id, actor=actor, action="sent_back", at=now, detail=note)
    return row


async def approve(
    conn: asyncpg.Connection, *, vacancy_id: UUID, data: ApproveIn, actor: Actor, now: datetime
) -> tuple[asyncpg.Record, asyncpg.Record]:
    """Publish: the company must be verified, and flags weighed. Returns (vacancy, company);
    the caller matches the vacancy in the same transaction."""
    current = await _own(conn, vacancy_id, actor=actor)
    require(V(current["status"]), V.PENDING_REVIEW, action="approved")
    company = await companies.get_visible(conn, current["company_id"], actor=actor, lock=True)
    if company["status"] != "verified":
        raise DomainError(
            "Perusahaan belum diverifikasi: lowongan pertamanya belum dapat tayang / the company"
            " is not verified yet, so its vacancies cannot be published"
        )
    flags = current["review_flags"]
    if flags and not data.acknowledge_flags:
        codes = ", ".join(sorted({flag["code"] for flag in flags}))
        raise DomainError(
            f"Pemeriksaan menandai: {codes}. Kembalikan dengan alasan, atau setujui dengan"
            f" acknowledge_flags / the check flagged: {codes}. Send it back with reasons, or"
            " approve with acknowledge_flags"
        )
    check_fields(nested(current), today=today_in_bekasi(now), hires=current["hires"])
    row = await db.update(
        conn,
        "vacancy",
        "vacancy_id",
        vacancy_id,
        {"status": V.PUBLISHED.value, "published_at": now, "updated_at": now},
    )
    await history(
        conn, vacancy_id, actor=actor, action="published", at=now,
        detail={"acknowledged_flags": [flag["code"] for flag in flags], "note": data.note},
    )  # fmt: skip
    await outbox.add(conn, ev.VacancyPublishedV1(**public(row, company)))
    return row, company


async def close(
    conn: asyncpg.Connection,
    *,
    vacancy_id: UUID,
    reason: str,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> asyncpg.Record:
    current = await _own(conn, vacancy_id, actor=actor)
    target = closing_status(V(current["status"]), reason)
    return await end(conn, current, target=target, actor=actor, now=now, note=note)


async def end(
    conn: asyncpg.Connection,
    current: asyncpg.Record,
    *,
    target: V,
    actor: Actor,
    now: datetime,
    note: str | None = None,
) -> asyncpg.Record:
    """Stop taking applications. Filled: the open applications are refused (no position left);
    withdrawn: cancelled. Closed or expired: those already in progress may still be hired."""
    was_public = current["status"] == V.PUBLISHED
    row = await db.update(
        conn,
        "vacancy",
        "vacancy_id",
        current["vacancy_id"],
        {"status": target.value, "closed_at": now, "updated_at": now},
    )
    await history(
        conn, row["vacancy_id"], actor=actor, action=target.value, at=now, detail={"note": note}
    )
    if was_public:
        await outbox.add(
            conn,
            ev.VacancyClosedV1(
                vacancy_id=row["vacancy_id"],
                company_id=row["company_id"],
                reason=target.value,
                hires=row["hires"],
                closed_at=now,
            ),
        )
    if target in (V.FILLED, V.WITHDRAWN):
        await applications.end_open_for_vacancy(conn, row, filled=target is V.FILLED, now=now)
    return row


async def expire_due(conn: asyncpg.Connection, *, actor: Actor, now: datetime) -> int:
    """Published vacancies whose last valid day (WIB) has passed: expired, one transaction each."""
    today = today_in_bekasi(now)
    due = await conn.fetch(
        "SELECT vacancy_id FROM vacancy WHERE status = 'published' AND valid_until < $1", today
    )
    for item in due:
        async with conn.transaction():
            current = await db.get(conn, "vacancy", "vacancy_id", item["vacancy_id"], lock=True)
            if current is not None and current["status"] == V.PUBLISHED:
                await end(conn, current, target=V.EXPIRED, actor=actor, now=now)
    return len(due)


async def count_hire(
    conn: asyncpg.Connection, *, vacancy_id: UUID, actor: Actor, now: datetime
) -> asyncpg.Record:
    """One more opening taken: the last one fills a published vacancy; otherwise job boards
    learn the openings left."""
    current = await db.get(conn, "vacancy", "vacancy_id", vacancy_id, lock=True)
    assert current is not None
    if current["hires"] >= current["openings"]:
        raise DomainError(
            "Semua lowongan sudah terisi / every opening of this vacancy is already filled"
        )
    row = await db.update(
        conn,
        "vacancy",
        "vacancy_id",
        vacancy_id,
        {"hires": current["hires"] + 1, "version": current["version"] + 1, "updated_at": now},
    )
    if row["status"] != V.PUBLISHED:
        return row
    if row["hires"] >= row["openings"]:
        return await end(conn, row, target=V.FILLED, actor=actor, now=now)
    await _updated_event(conn, row, changed=["openings"], now=now)
    return row


async def listing(
    conn: asyncpg.Connection,
    *,
    actor: Actor,
    status: str | None,
    company_id: UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    if actor.role == "company":
        company_id = actor.company_id
    statuses = list(_PUBLIC) if actor.role in PUBLIC_READERS else None
    where = (
        "WHERE ($1::uuid IS NULL OR company_id = $1) AND ($2::text IS NULL OR status = $2)"
        " AND ($3::text[] IS NULL OR status = ANY($3))"
    )
    args = (company_id, status, statuses)
    total: int = await conn.fetchval(f"SELECT count(*) FROM vacancy {where}", *args)
    rows = await conn.fetch(
        f"SELECT * FROM vacancy {where} ORDER BY created_at DESC, vacancy_id LIMIT $4 OFFSET $5",
        *args, limit, offset,
    )  # fmt: skip
    return rows, total
