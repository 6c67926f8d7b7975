"""Partner companies, their HR desks' API keys, MoUs, placement reports and figures."""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, File, HTTPException, Query, Request, UploadFile

from ..schemas import (
    CompanyCreatedOut,
    CompanyIn,
    Page,
    PartnershipChangeIn,
    PartnershipIn,
    PartnershipOut,
    PlacementReportOut,
    TokenOut,
    UnknownNik,
)
from ..services import companies, figures, placements
from .deps import Conn, Operator, Staff, now
from .views import company_out, partnership_out

router = APIRouter(tags=["companies"])


@router.post("/companies", status_code=201, response_model=CompanyCreatedOut)
async def register(data: CompanyIn, conn: Conn, who: Operator) -> dict[str, Any]:
    """Register a partner company with its HR contact. Its HR desk's API key is in the answer
    (`hr_token`), shown once; the company publishes vacancies once an operator has verified it."""
    row, issued = await companies.register(conn, data=data, actor=who, now=now())
    return company_out(row, actor=who) | {
        "hr_token": issued.key,
        "hr_key_id": issued.key_id,
        "hr_key_expires_at": issued.expires_at,
    }


@router.get("/companies", response_model=Page)
async def listing(
    conn: Conn,
    who: Staff,
    status: Annotated[str | None, Query(pattern="^(registered|verified)$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> Page:
    rows, total = await companies.listing(
        conn, actor=who, status=status, limit=limit, offset=offset
    )
    items = [company_out(row, actor=who) for row in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/companies/{company_id}")
async def get(company_id: UUID, conn: Conn, who: Staff) -> dict[str, Any]:
    return company_out(await companies.get_visible(conn, company_id, actor=who), actor=who)


@router.post("/companies/{company_id}/verify")
async def verify(company_id: UUID, conn: Conn, who: Operator) -> dict[str, Any]:
    """NIB and KBLI checked: the company may now publish vacancies."""
    return company_out(
        await companies.verify(conn, company_id=company_id, actor=who, now=now()), actor=who
    )


@router.post("/companies/{company_id}/tokens", status_code=201, response_model=TokenOut)
async def issue_token(
    company_id: UUID,
    conn: Conn,
    who: Operator,
    revoke_others: bool = False,
    expires_in_days: Annotated[int, Query(ge=1, le=400)] = companies.HR_KEY_DAYS,
) -> TokenOut:
    """A new API key for the company's HR desk (role `company`, scoped to it), shown once (a
    lost key, a new officer); `revoke_others` ends the desk's other keys. Keys are listed and
    revoked one by one at `/api-keys`."""
    issued = await companies.issue_token(
        conn, company_id=company_id, actor=who, now=now(), revoke=revoke_others,
        days=expires_in_days,
    )  # fmt: skip
    return TokenOut(
        company_id=company_id,
        hr_token=issued.key,
        key_id=issued.key_id,
        expires_at=issued.expires_at,
    )


@router.post("/companies/{company_id}/partnerships", status_code=201, response_model=PartnershipOut)
async def sign(company_id: UUID, data: PartnershipIn, conn: Conn, who: Operator) -> PartnershipOut:
    """The MoU: the company's local-hire commitment (share and/or number) and its period."""
    row = await companies.sign_partnership(
        conn, company_id=company_id, data=data, actor=who, now=now()
    )
    return partnership_out(row)


@router.get("/companies/{company_id}/partnerships", response_model=list[PartnershipOut])
async def partnerships(company_id: UUID, conn: Conn, who: Staff) -> list[PartnershipOut]:
    await companies.get_visible(conn, company_id, actor=who)
    return [
        partnership_out(row) for row in await companies.partnerships(conn, company_id=company_id)
    ]


@router.patch("/partnerships/{partnership_id}", response_model=PartnershipOut)
async def change(
    partnership_id: UUID, data: PartnershipChangeIn, conn: Conn, who: Operator
) -> PartnershipOut:
    """Amend, suspend or end an MoU; it is published again."""
    row = await companies.change_partnership(
        conn, partnership_id=partnership_id, data=data, actor=who, now=now()
    )
    return partnership_out(row)


@router.post(
    "/companies/{company_id}/placement-reports",
    response_model=PlacementReportOut,
    tags=["placement reports"],
)
async def report(
    company_id: UUID, request: Request, conn: Conn, who: Staff, file: UploadFile = File(...)
) -> PlacementReportOut:
    """A CSV of hires made outside the system (columns nik, start_date, contract_type). Known
    seekers become hires; unknown NIKs come back in this answer only, to be registered; bad rows
    are reported by line. The same file again changes nothing."""
    settings = request.app.state.settings
    limit = settings.max_report_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(413, f"Berkas terlalu besar / file too large: at most {limit} bytes")
    outcome = await placements.upload(
        conn,
        company_id=company_id,
        content=content,
        filename=file.filename or "laporan.csv",
        lookup=request.app.state.nik_lookup,
        backdate_days=settings.report_backdate_days,
        actor=who,
        now=now(),
    )
    report = outcome.report
    return PlacementReportOut(
        report_id=report["report_id"],
        company_id=report["company_id"],
        filename=report["filename"],
        uploads=report["uploads"],
        rows=report["row_count"],
        hired=outcome.hired,
        already_recorded=outcome.already_recorded,
        unknown=[UnknownNik(line=line, nik=nik) for line, nik in outcome.unknown],
        errors=outcome.errors,
        first_uploaded_at=report["first_uploaded_at"],
        last_uploaded_at=report["last_uploaded_at"],
    )


@router.get("/companies/{company_id}/figures", tags=["figures"])
async def company_figures(
    company_id: UUID,
    request: Request,
    conn: Conn,
    who: Staff,
    since: date | None = None,
    until: date | None = None,
    period: figures.Period = "month",
) -> dict[str, Any]:
    """The company's own hires and local share against its commitment and the threshold."""
    await companies.get_visible(conn, company_id, actor=who)
    settings = request.app.state.settings
    return await figures.figures(
        conn, since=since, until=until, threshold=settings.local_share_threshold,
        target=settings.local_hire_target, period=period, company_id=company_id,
    )  # fmt: skip


@router.get("/placement-reports/{report_id}", tags=["placement reports"])
async def report_status(report_id: UUID, conn: Conn, who: Staff) -> dict[str, Any]:
    """A placement report as stored: counts and bad lines; unknown NIKs only as a count (they
    were shown to the uploader once and never kept)."""
    row = await placements.get(conn, report_id=report_id, actor=who)
    return {k: v for k, v in dict(row).items() if k != "file_sha256"}
