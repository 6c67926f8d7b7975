"""Applications and their transitions; the seeker projection and figures for the office."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request

from ..schemas import ApplicationIn, ApplicationOut, Page, TransitionIn
from ..services import applications, figures, matching
from .deps import Applicant, Conn, Involved, Reader, now
from .views import application_out

router = APIRouter()


@router.post("/applications", status_code=201, response_model=ApplicationOut, tags=["applications"])
async def submit(data: ApplicationIn, conn: Conn, who: Applicant) -> ApplicationOut:
    """A seeker applies (through an operator or their village admin), or an operator refers
    them (`channel: referral`). One application per seeker per vacancy."""
    row = await applications.submit(conn, data=data, actor=who, now=now())
    return application_out(row, await applications.transitions(conn, row["application_id"]))


@router.get("/applications", response_model=Page, tags=["applications"])
async def listing(
    conn: Conn,
    who: Involved,
    vacancy_id: UUID | None = None,
    resident_id: UUID | None = None,
    status: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Page:
    rows, total = await applications.listing(
        conn, actor=who, vacancy_id=vacancy_id, resident_id=resident_id, status=status,
        limit=limit, offset=offset,
    )  # fmt: skip
    return Page(items=[application_out(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/applications/{application_id}", response_model=ApplicationOut, tags=["applications"])
async def get(application_id: UUID, conn: Conn, who: Involved) -> ApplicationOut:
    row = await applications.get_visible(conn, application_id, actor=who)
    hire = await conn.fetchval("SELECT hire_id FROM hire WHERE application_id = $1", application_id)
    return application_out(
        dict(row) | {"hire_id": hire}, await applications.transitions(conn, application_id)
    )


@router.post(
    "/applications/{application_id}/transitions", response_model=ApplicationOut,
    tags=["applications"],
)  # fmt: skip
async def move(
    application_id: UUID, data: TransitionIn, request: Request, conn: Conn, who: Involved
) -> ApplicationOut:
    """Move an application on. `refused` needs a reason (`reason_shared` shows it to the
    seeker); `hired` needs a start date (at most a week back) and a contract type, takes an
    opening (the last one fills the vacancy) and makes the seeker's other applications obsolete."""
    row = await applications.transition(
        conn, application_id=application_id, data=data, actor=who, now=now(),
        backdate_days=request.app.state.settings.hire_backdate_days,
    )  # fmt: skip
    hire = await conn.fetchval("SELECT hire_id FROM hire WHERE application_id = $1", application_id)
    return application_out(
        dict(row) | {"hire_id": hire}, await applications.transitions(conn, application_id)
    )


@router.get("/figures", tags=["figures"])
async def office_figures(
    request: Request,
    conn: Conn,
    who: Reader,
    since: date | None = None,
    until: date | None = None,
    period: figures.Period = "month",
    threshold: Annotated[float | None, Query(ge=0, le=100)] = None,
) -> dict[str, Any]:
    """Hires against the target of local hires; per company (against its MoU), per industrial
    estate, per kecamatan and per period, with the local share of new hires against the
    threshold (Perbup 9/2019: 30%, configurable). Public: the office, village admins, agencies,
    institutions and services read them; an HR desk reads its own company's."""
    settings = request.app.state.settings
    return await figures.figures(
        conn, since=since, until=until,
        threshold=settings.local_share_threshold if threshold is None else threshold,
        target=settings.local_hire_target, period=period,
    )  # fmt: skip


@router.get("/seekers/{resident_id}", tags=["seekers"])
async def seeker(resident_id: UUID, conn: Conn, who: Applicant) -> dict[str, Any]:
    """What vacancies knows of a seeker from the registry's and training's events (no personal
    data): what matching reads, and the versions applied. A village admin reads its own
    residents'."""
    row = await conn.fetchrow(matching.SEEKER_SELECT + " WHERE s.resident_id = $1", resident_id)
    if row is None or (who.role == "village_admin" and not who.covers_desa(row["desa_kode"])):
        raise HTTPException(404, "Pencari kerja tidak dikenal / unknown job seeker")
    return {k: v for k, v in dict(row).items() if k not in ("nik_lookup", "change_seq")} | {
        "identity_known": row["nik_lookup"] is not None
    }
