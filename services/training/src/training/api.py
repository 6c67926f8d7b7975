"""HTTP routes: authenticate, translate, delegate to one use case, translate back.

Who may call what (the chassis' principals, `kerjalokal.auth`):
- operator (Disnaker): everything;
- institution (a key scoped to its institution_id): its own institution, programmes, sessions and
  their enrollments; a foreign one answers as a missing one (the same 404);
- village_admin (a desa or kecamatan): reads the public catalogue and figures, and the ready pool,
  seekers and enrollments of its own residents only;
- agency, company: read the public catalogue (institutions, programmes, sessions) and the
  aggregate figures;
- service: nothing over HTTP (training's own consumers act as it).
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import JSONResponse

from kerjalokal.auth import Principal, audit
from kerjalokal.auth.fastapi import OperatorOnly, not_found, require

from . import catalogue, completions, enrollments, erasure, pool, reports, repository
from .domain import READERS, WRITERS, DomainError, FieldError, NotFound
from .schemas import (
    AttendanceIn,
    BulkEnrollmentIn,
    BulkEnrollmentOut,
    BulkItemOut,
    BulkReadinessIn,
    CompletionIn,
    DropOutIn,
    EnrollmentIn,
    EnrollmentOut,
    ExportOut,
    InstitutionIn,
    InstitutionOut,
    InstitutionTypeOut,
    InstitutionUpdateIn,
    Kbji,
    Page,
    ProgrammeIn,
    ProgrammeOut,
    ReadinessIn,
    ReadinessOut,
    SessionIn,
    SessionOut,
    WithdrawIn,
)
from .views import enrollment_out, institution_out, programme_out, session_out

router = APIRouter()
_NOT_FOUND = {
    "institution": "Lembaga tidak ditemukan / institution not found",
    "programme": "Program tidak ditemukan / programme not found",
    "session": "Angkatan tidak ditemukan / session not found",
    "enrollment": "Pendaftaran tidak ditemukan / enrollment not found",
    "readiness": "Tidak ada di daftar siap latih / not in the ready pool",
    "seeker": "Pencari kerja belum dikenal / seeker not known here",
}


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        yield conn


Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]  # commit, then reply
Reader = Annotated[Principal, Depends(require(*READERS))]
Writer = Annotated[Principal, Depends(require(*WRITERS))]
PoolReader = Annotated[Principal, Depends(require("operator", "institution", "village_admin"))]
Operator = OperatorOnly
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]


def _village(who: Principal) -> tuple[str | None, str | None]:
    """A village or district admin sees its own residents only; the others are not narrowed."""
    if who.role != "village_admin":
        return None, None
    return who.desa_kode, who.kecamatan_kode


async def _sees_resident(conn: asyncpg.Connection, who: Principal, resident_id: UUID) -> bool:
    """A village admin's own resident (by the desa the registry gave)."""
    if who.role != "village_admin":
        return True
    return who.covers_desa(await repository.seeker_desa(conn, resident_id=resident_id))


def _now() -> datetime:
    return datetime.now(UTC)


# --- institutions -------------------------------------------------------------------------------


@router.get("/institution-types", response_model=list[InstitutionTypeOut], tags=["institutions"])
async def institution_types(conn: Conn, who: Reader) -> list[dict[str, Any]]:
    """Kinds of training institution (reference data, with their sources)."""
    return [dict(row) for row in await repository.institution_types(conn)]


@router.post("/institutions", status_code=201, response_model=InstitutionOut, tags=["institutions"])
async def register_institution(data: InstitutionIn, conn: Conn, who: Operator) -> InstitutionOut:
    """Register a BLK, LPK, BLK Komunitas or UPK. The answer holds its API key (role
    institution, scoped to it, valid a year), shown once: only its hash is kept."""
    row, issued = await catalogue.register_institution(conn, data=data, by=who, now=_now())
    return institution_out(row, issued=issued)


@router.get("/institutions", response_model=list[InstitutionOut], tags=["institutions"])
async def list_institutions(conn: Conn, who: Reader) -> list[InstitutionOut]:
    """The public register of institutions (an institution's key: its own)."""
    rows = await repository.list_institutions(conn, only=who.institution_id)
    return [institution_out(row) for row in rows]


@router.get("/institutions/{institution_id}", response_model=InstitutionOut, tags=["institutions"])
async def get_institution(institution_id: UUID, conn: Conn, who: Reader) -> InstitutionOut:
    return institution_out(await catalogue.visible_institution(conn, institution_id, actor=who))


@router.patch(
    "/institutions/{institution_id}", response_model=InstitutionOut, tags=["institutions"]
)
async def update_institution(
    institution_id: UUID, data: InstitutionUpdateIn, conn: Conn, who: Operator
) -> InstitutionOut:
    """Licence or accreditation changes; a suspended or revoked institution opens nothing new."""
    row = await catalogue.update_institution(
        conn, institution_id=institution_id, data=data, now=_now()
    )
    return institution_out(row)


@router.post(
    "/institutions/{institution_id}/token", response_model=InstitutionOut, tags=["institutions"]
)
async def reissue_token(institution_id: UUID, conn: Conn, who: Operator) -> InstitutionOut:
    """A new API key for the institution, shown once; all its earlier keys stop working at once."""
    issued = await catalogue.reissue_key(conn, institution_id=institution_id, by=who, now=_now())
    row = await catalogue.visible_institution(conn, institution_id, actor=who)
    return institution_out(row, issued=issued)


@router.get("/companies", tags=["institutions"])
async def companies(conn: Conn, who: Reader) -> list[dict[str, Any]]:
    """Partner companies verified by the vacancies service: the possible apprenticeship hosts."""
    return [dict(row) for row in await repository.list_companies(conn)]


# --- programmes and sessions --------------------------------------------------------------------


@router.post("/programmes", status_code=201, response_model=ProgrammeOut, tags=["programmes"])
async def open_programme(data: ProgrammeIn, conn: Conn, who: Writer) -> ProgrammeOut:
    row = await catalogue.open_programme(conn, data=data, actor=who, now=_now())
    return programme_out(row)


@router.get("/programmes", response_model=Page[ProgrammeOut], tags=["programmes"])
async def list_programmes(
    conn: Conn,
    who: Reader,
    institution_id: UUID | None = None,
    kind: Literal["training", "apprenticeship"] | None = None,
    kbji: Kbji | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[ProgrammeOut]:
    """The open programmes (an institution's key: its own; asking for another's is refused)."""
    if who.role == "institution":
        if institution_id not in (None, who.institution_id):
            raise FieldError(
                ("query", "institution_id"),
                "Lembaga hanya melihat programnya sendiri / an institution sees only its own",
            )
        institution_id = who.institution_id
    rows, total = await repository.list_programmes(
        conn, institution_id=institution_id, kind=kind, kbji_code=kbji, limit=limit,
        offset=offset,
    )  # fmt: skip
    items = [programme_out(row) for row in rows]
    return Page[ProgrammeOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/programmes/{programme_id}", response_model=ProgrammeOut, tags=["programmes"])
async def get_programme(programme_id: UUID, conn: Conn, who: Reader) -> ProgrammeOut:
    return programme_out(await catalogue.visible_programme(conn, programme_id, actor=who))


@router.post(
    "/programmes/{programme_id}/sessions",
    status_code=201,
    response_model=SessionOut,
    tags=["programmes"],
)
async def open_session(programme_id: UUID, data: SessionIn, conn: Conn, who: Writer) -> SessionOut:
    """Open the programme's next numbered session (angkatan)."""
    row = await catalogue.open_session(
        conn, programme_id=programme_id, data=data, actor=who, now=_now()
    )
    return session_out(row)


@router.get(
    "/programmes/{programme_id}/sessions", response_model=list[SessionOut], tags=["programmes"]
)
async def list_sessions(programme_id: UUID, conn: Conn, who: Reader) -> list[SessionOut]:
    await catalogue.visible_programme(conn, programme_id, actor=who)
    return [
        session_out(row) for row in await repository.sessions_of(conn, programme_id=programme_id)
    ]


@router.get("/sessions/{session_id}", response_model=SessionOut, tags=["programmes"])
async def get_session(session_id: UUID, conn: Conn, who: Reader) -> SessionOut:
    return session_out(await catalogue.visible_session(conn, session_id, actor=who))


# --- the ready pool -----------------------------------------------------------------------------


@router.post("/ready-pool", response_model=ReadinessOut, tags=["ready pool"])
async def assess(data: ReadinessIn, conn: Conn, who: Operator, response: Response) -> Any:
    """The office assessed a registered seeker as needing training in a vocation."""
    row, changed = await pool.assess(conn, data=data, actor=who, now=_now())
    response.status_code = 201 if changed else 200
    return dict(row)


@router.post("/ready-pool/bulk", tags=["ready pool"])
async def assess_many(data: BulkReadinessIn, request: Request, who: Operator) -> dict[str, Any]:
    """Many assessments at once, each checked alone: one refusal refuses only that seeker."""
    results: list[dict[str, Any]] = []
    async with request.app.state.pool.acquire() as conn, conn.transaction():
        for item in data.items:
            entry: dict[str, Any] = {"resident_id": item.resident_id}
            try:
                async with conn.transaction():
                    _, changed = await pool.assess(conn, data=item, actor=who, now=_now())
                entry["result"] = "ready" if changed else "unchanged"
            except FieldError as refused:
                entry |= {"result": "refused", "field": ".".join(refused.loc),
                          "reason": refused.reason}  # fmt: skip
            except DomainError as refused:
                entry |= {"result": "refused", "reason": refused.reason}
            results.append(entry)
    counts = {k: sum(r["result"] == k for r in results) for k in ("ready", "unchanged", "refused")}
    return {"items": results, **counts}


@router.get("/ready-pool", response_model=Page[ReadinessOut], tags=["ready pool"])
async def ready_pool(
    conn: Conn,
    who: PoolReader,
    state: Literal["ready", "enrolled", "left"] | None = "ready",
    kbji: Kbji | None = None,
    vocation: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[ReadinessOut]:
    """Seekers ready for training (ids and vocation only): institutions enroll from it. A village
    admin sees its own residents only."""
    rows, total = await repository.list_readiness(
        conn, state=state, kbji_code=kbji, vocation=vocation, limit=limit, offset=offset,
        village=_village(who),
    )  # fmt: skip
    items = [ReadinessOut.model_validate(dict(row)) for row in rows]
    return Page[ReadinessOut](items=items, total=total, limit=limit, offset=offset)


@router.delete("/ready-pool/{resident_id}", response_model=ReadinessOut, tags=["ready pool"])
async def leave_pool(resident_id: UUID, conn: Conn, who: Operator) -> Any:
    return dict(await pool.remove(conn, resident_id=resident_id, now=_now()))


@router.get("/seekers/{resident_id}", tags=["ready pool"])
async def seeker(resident_id: UUID, conn: Conn, who: PoolReader) -> dict[str, Any]:
    """What training knows of a seeker: the registry's projection, the pool, the enrollments.
    An institution sees a seeker of the ready pool or of its own enrollments (and only those
    enrollments); a village admin its own residents."""
    row = await repository.get_seeker(conn, resident_id=resident_id)
    if row is None or (who.role == "village_admin" and not who.covers_desa(row["desa_kode"])):
        raise NotFound("seeker")
    readiness = await repository.get_readiness(conn, resident_id=resident_id)
    rows = await repository.enrollments_of_resident(
        conn, resident_id=resident_id, institution_id=who.institution_id
    )
    in_pool = readiness is not None and readiness["state"] == "ready"
    if who.role == "institution" and not in_pool and not rows:
        raise NotFound("seeker")
    return {
        "resident_id": resident_id,
        "status": row["status"],
        "birth_year": row["birth_year"],
        "education_level": row["education_level"],
        "kecamatan_kode": row["kecamatan_kode"],
        "is_local": row["is_local"],
        "skills": list(row["skills"]),
        "readiness": dict(readiness) if readiness else None,
        "enrollments": [enrollment_out(r).model_dump(mode="json") for r in rows],
    }


# --- enrollments --------------------------------------------------------------------------------


async def _out(conn: asyncpg.Connection, row: asyncpg.Record) -> EnrollmentOut:
    position = None
    if row["state"] == "waitlisted":
        position = await repository.waitlist_position(
            conn, session_id=row["session_id"], serial=row["waitlist_serial"]
        )
    attendance = await repository.attendance_of(conn, enrollment_id=row["enrollment_id"])
    return enrollment_out(row, position=position, attendance=attendance)


@router.post(
    "/sessions/{session_id}/enrollments",
    status_code=201,
    response_model=EnrollmentOut,
    tags=["enrollments"],
)
async def enroll(
    session_id: UUID, data: EnrollmentIn, conn: Conn, who: Writer, response: Response
) -> EnrollmentOut:
    """Enroll a seeker from the ready pool: a seat if one is free (201), else the waiting list
    (202). Eligibility (age, education, status) and overlapping sessions are checked."""
    row = await enrollments.enroll(
        conn, session_id=session_id, resident_id=data.resident_id, actor=who, now=_now()
    )
    if row["state"] == "waitlisted":
        response.status_code = 202
    return await _out(conn, row)


@router.post(
    "/sessions/{session_id}/enrollments/bulk",
    response_model=BulkEnrollmentOut,
    tags=["enrollments"],
)
async def enroll_many(
    session_id: UUID, data: BulkEnrollmentIn, conn: Conn, who: Writer
) -> BulkEnrollmentOut:
    """Up to 200 seekers into one session, in the order given, each checked as one enrollment."""
    results = await enrollments.enroll_many(
        conn, session_id=session_id, resident_ids=data.resident_ids, actor=who, now=_now()
    )
    items = [BulkItemOut.model_validate(item) for item in results]
    counts = {k: sum(i.result == k for i in items) for k in ("enrolled", "waitlisted", "already")}
    return BulkEnrollmentOut(
        items=items, refused=sum(i.result == "refused" for i in items), **counts
    )


@router.get(
    "/sessions/{session_id}/enrollments",
    response_model=list[EnrollmentOut],
    tags=["enrollments"],
)
async def session_enrollments(
    session_id: UUID,
    conn: Conn,
    who: PoolReader,
    state: Literal["waitlisted", "enrolled", "withdrawn", "dropped_out", "completed"] | None = None,
) -> list[EnrollmentOut]:
    """The session's enrollments (a village admin: its own residents among them)."""
    await catalogue.visible_session(conn, session_id, actor=who)
    rows = await repository.enrollments_of_session(
        conn, session_id=session_id, state=state, village=_village(who)
    )
    return [await _out(conn, row) for row in rows]


@router.get("/enrollments/{enrollment_id}", response_model=EnrollmentOut, tags=["enrollments"])
async def get_enrollment(enrollment_id: UUID, conn: Conn, who: PoolReader) -> EnrollmentOut:
    if who.role == "village_admin":
        row = await repository.get_enrollment(conn, enrollment_id=enrollment_id)
        if row is None or not await _sees_resident(conn, who, row["resident_id"]):
            raise NotFound("enrollment")
        return await _out(conn, row)
    return await _out(conn, await enrollments.visible(conn, enrollment_id, actor=who))


@router.post(
    "/enrollments/{enrollment_id}/withdraw", response_model=EnrollmentOut, tags=["enrollments"]
)
async def withdraw(enrollment_id: UUID, data: WithdrawIn, conn: Conn, who: Writer) -> EnrollmentOut:
    """The seeker withdraws (or leaves the waiting list); the first in line takes the seat."""
    row = await enrollments.withdraw(
        conn, enrollment_id=enrollment_id, note=data.note, actor=who, now=_now()
    )
    return await _out(conn, row)


@router.post(
    "/enrollments/{enrollment_id}/drop-out", response_model=EnrollmentOut, tags=["enrollments"]
)
async def drop_out(enrollment_id: UUID, data: DropOutIn, conn: Conn, who: Writer) -> EnrollmentOut:
    row = await enrollments.drop_out(
        conn, enrollment_id=enrollment_id, reason=data.reason, note=data.note, actor=who,
        now=_now(),
    )  # fmt: skip
    return await _out(conn, row)


@router.post(
    "/enrollments/{enrollment_id}/attendance", response_model=EnrollmentOut, tags=["enrollments"]
)
async def attendance(
    enrollment_id: UUID, data: AttendanceIn, conn: Conn, who: Writer
) -> EnrollmentOut:
    """Record attendance by day (hadir, izin, sakit, alpa); a day recorded again is corrected."""
    await enrollments.record_attendance(
        conn, enrollment_id=enrollment_id, data=data, actor=who, now=_now()
    )
    return await _out(conn, await enrollments.visible(conn, enrollment_id, actor=who))


@router.post(
    "/enrollments/{enrollment_id}/complete", response_model=EnrollmentOut, tags=["enrollments"]
)
async def complete(
    enrollment_id: UUID, data: CompletionIn, conn: Conn, who: Writer
) -> EnrollmentOut:
    """Pass (with the certified competencies and certificate numbers) or fail. An apprenticeship
    not passed gets a letter of attendance (surat keterangan) numbered here."""
    row = await completions.complete(
        conn, enrollment_id=enrollment_id, data=data, actor=who, now=_now()
    )
    return await _out(conn, row)


# --- reports ------------------------------------------------------------------------------------


@router.get("/reports/outcomes", tags=["reports"])
async def outcomes(
    conn: Conn, who: Reader, by: Literal["programme", "institution"] = "programme"
) -> list[dict[str, Any]]:
    """Completion and placement rates (hired within 90 and 180 days of completing): counts
    only, public (an institution's key: its own)."""
    return await reports.outcomes(
        conn, by=by, institution_id=who.institution_id, today=_now().date()
    )


@router.get("/reports/summary", tags=["reports"])
async def summary(conn: Conn, who: Operator) -> dict[str, Any]:
    """The office's counts: ready for training, in training, waiting, completed."""
    return await reports.summary(conn, today=_now().date())


@router.get("/reports/skills-demand", tags=["reports"])
async def skills_demand(
    conn: Conn,
    who: Reader,
    kbji: Kbji | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    """Skills that open vacancies ask for beyond the ready, in-training and certified seekers
    who have them, per vocation (KBJI), largest gap first: what the next sessions should teach."""
    return await reports.skills_demand(conn, today=_now().date(), kbji_code=kbji, limit=limit)


# --- data subject rights ------------------------------------------------------------------------


@router.get("/residents/{resident_id}/export", response_model=ExportOut, tags=["residents"])
async def export(
    resident_id: UUID,
    conn: Conn,
    who: Operator,
    purpose: Annotated[str, Query(min_length=3, max_length=200, description="Why: the request")],
) -> ExportOut:
    """Everything training holds about a resident (UU 27/2022), for the office answering the
    resident's request; the read is written to the audit log with its purpose."""
    data = await erasure.export(conn, resident_id=resident_id)
    if data is None:
        raise not_found()
    now = _now()
    await audit.record(
        conn, who=who, resident_id=resident_id, fields=sorted(data), purpose=purpose, now=now
    )
    return ExportOut(service="training", resident_id=resident_id, exported_at=now, data=data)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FieldError)
    async def field_error(_: Request, exc: FieldError) -> JSONResponse:
        loc = list(exc.loc) if exc.loc[0] in ("query", "path") else ["body", *exc.loc]
        detail = [{"loc": loc, "msg": exc.reason, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": _NOT_FOUND.get(exc.what, "not found")}, status_code=404)

    @app.exception_handler(DomainError)
    async def refused(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.reason}, status_code=409)
