"""Vacancies: draft, check, review, publish (and match), update, close."""

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from ..schemas import (
    ApproveIn,
    CloseIn,
    Page,
    SendBackIn,
    VacancyIn,
    VacancyOut,
    VacancyPatchIn,
)
from ..services import matching, vacancies
from .deps import Conn, Operator, Staff, Who, now
from .views import vacancy_out

router = APIRouter(tags=["vacancies"])
Status = Annotated[
    str | None,
    Query(pattern="^(draft|pending_review|published|closed|filled|withdrawn|expired)$"),
]


@router.post("/vacancies", status_code=201, response_model=VacancyOut)
async def create(data: VacancyIn, conn: Conn, who: Staff) -> VacancyOut:
    """A draft vacancy with the Perpres 57/2023 fields and the Bekasi additions."""
    return vacancy_out(await vacancies.create(conn, data=data, actor=who, now=now()))


@router.get("/vacancies", response_model=Page)
async def listing(
    conn: Conn,
    who: Who,
    status: Status = None,
    company_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Page:
    rows, total = await vacancies.listing(
        conn, actor=who, status=status, company_id=company_id, limit=limit, offset=offset
    )
    return Page(items=[vacancy_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/vacancies/{vacancy_id}", response_model=VacancyOut)
async def get(vacancy_id: UUID, conn: Conn, who: Who) -> VacancyOut:
    return vacancy_out(await vacancies.get_visible(conn, vacancy_id, actor=who))


@router.patch("/vacancies/{vacancy_id}", response_model=VacancyOut)
async def edit(vacancy_id: UUID, data: VacancyPatchIn, conn: Conn, who: Staff) -> VacancyOut:
    """A draft changes freely; a published vacancy only its openings and validity."""
    row = await vacancies.edit(conn, vacancy_id=vacancy_id, data=data, actor=who, now=now())
    return vacancy_out(row)


@router.post("/vacancies/{vacancy_id}/submit", response_model=VacancyOut)
async def submit(vacancy_id: UUID, conn: Conn, who: Staff) -> VacancyOut:
    """To review. The check flags discriminatory requirements, an age limit without a reason and
    any fee asked of applicants; the flags are in `review_flags` for the operator."""
    return vacancy_out(await vacancies.submit(conn, vacancy_id=vacancy_id, actor=who, now=now()))


@router.post("/vacancies/{vacancy_id}/approve")
async def approve(
    vacancy_id: UUID, data: ApproveIn, request: Request, conn: Conn, who: Operator
) -> dict[str, Any]:
    """Publish, and rank the eligible seekers for it (`candidates_matched`), in one go."""
    at = now()
    row, _ = await vacancies.approve(conn, vacancy_id=vacancy_id, data=data, actor=who, now=at)
    match = await matching.match_vacancy(
        conn, row, index=request.app.state.index, cap=request.app.state.settings.match_cap, now=at
    )
    return vacancy_out(row).model_dump() | {
        "matched": {"eligible": match.eligible, "announced": len(match.candidates)}
    }


@router.post("/vacancies/{vacancy_id}/send-back", response_model=VacancyOut)
async def send_back(vacancy_id: UUID, data: SendBackIn, conn: Conn, who: Operator) -> VacancyOut:
    """Back to the company as a draft, with the reasons to fix."""
    row = await vacancies.send_back(
        conn, vacancy_id=vacancy_id, reasons=data.reasons, actor=who, now=now()
    )
    return vacancy_out(row)


@router.post("/vacancies/{vacancy_id}/close", response_model=VacancyOut)
async def close(vacancy_id: UUID, data: CloseIn, conn: Conn, who: Staff) -> VacancyOut:
    """`closed` (no more applications) or `withdrawn` (taken down; open applications cancelled)."""
    row = await vacancies.close(
        conn, vacancy_id=vacancy_id, reason=data.reason, actor=who, now=now(), note=data.note
    )
    return vacancy_out(row)


@router.get("/vacancies/{vacancy_id}/matches")
async def matches(
    vacancy_id: UUID,
    conn: Conn,
    who: Operator,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> dict[str, Any]:
    """The seekers announced for this vacancy, best first: whom to refer."""
    await vacancies.get_visible(conn, vacancy_id, actor=who)
    rows = await conn.fetch(
        "SELECT resident_id, score, certified, reasons, announced_at FROM match_announcement"
        " WHERE vacancy_id = $1 ORDER BY certified DESC, score DESC, announced_at, resident_id"
        " LIMIT $2 OFFSET $3",
        vacancy_id, limit, offset,
    )  # fmt: skip
    total = await conn.fetchval(
        "SELECT count(*) FROM match_announcement WHERE vacancy_id = $1", vacancy_id
    )
    return {"items": [dict(r) for r in rows], "total": total, "limit": limit, "offset": offset}


@router.get("/vacancies/{vacancy_id}/history")
async def history(vacancy_id: UUID, conn: Conn, who: Staff) -> list[dict[str, Any]]:
    await vacancies.get_visible(conn, vacancy_id, actor=who)
    rows = await conn.fetch(
        "SELECT at, actor, action, detail FROM vacancy_history WHERE vacancy_id = $1 ORDER BY id",
        vacancy_id,
    )
    return [dict(row) for row in rows]
