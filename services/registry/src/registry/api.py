"""HTTP routes: authenticate (the chassis: `kerjalokal.auth`), translate, delegate to one use
case, translate back. Who may call what is in the README's table and tested route by route in
tests/integration/test_roles.py."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import (
    APIRouter,
    Depends,
    FastAPI,
    File,
    HTTPException,
    Query,
    Request,
    Response,
    UploadFile,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse

from kerjalokal.auth import Principal, audit
from kerjalokal.auth.fastapi import NOT_FOUND, Caller, not_found, require

from . import imports, repository, services
from .crypto import PersonalDataCipher
from .domain import DomainError
from .printing import PRINT_SCRIPT, render_ak1
from .schemas import (
    DomicileChangeIn,
    ErasureIn,
    ErasureOut,
    ImportOut,
    ProfileUpdateIn,
    RegistrationIn,
    ResidentOut,
    ResidentPage,
    VerificationIn,
)
from .services import Actor, DuplicateNik, FieldError, NotFound
from .views import EXPORTED_FIELDS, export_of, personal_of, resident_out

router = APIRouter()

STAFF = ("operator", "village_admin")
_staff = require(*STAFF)
_operator = require("operator")
Staff = Annotated[Principal, Depends(_staff)]
"""Operators, and village or district admins for their own residents (others: 404)."""
Operator = Annotated[Principal, Depends(_operator)]

AK1_PRINT_PURPOSE = "cetak kartu AK/1 / printing the AK/1 card"
Purpose = Annotated[
    str,
    Query(
        min_length=3,
        max_length=200,
        description="Why the data is read in clear (e.g. `pencocokan KTP di loket`); audited",
    ),
]


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def cipher(request: Request) -> PersonalDataCipher:
    result: PersonalDataCipher = request.app.state.cipher
    return result


Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]  # commit, then reply
Cipher = Annotated[PersonalDataCipher, Depends(cipher)]


def _query_error(name: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"loc": ("query", name), "msg": message, "type": "value_error", "input": None}]
    )


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/residents", status_code=201, response_model=ResidentOut, tags=["residents"])
async def register(data: RegistrationIn, conn: Conn, who: Staff, keys: Cipher) -> ResidentOut:
    """Register a job seeker (pencari kerja). NIK mismatches with the declared sex or birth date
    come back as warnings; a NIK already registered is refused with a pointer to its record (if
    the caller may see it). A village admin registers residents of its own desa (a district
    admin: of its kecamatan) only: another `address.desa_kode` is refused (422)."""
    actor = Actor.of(who)
    row, _ = await services.register(conn, cipher=keys, data=data, actor=actor, now=_now())
    return resident_out(row, actor=actor, cipher=keys)


@router.get("/summary", tags=["residents"])
async def summary(conn: Conn, who: Caller) -> dict[str, Any]:
    """Public figures: registered seekers by status, the whole regency, for any key."""
    counts = await repository.status_counts(conn)
    return {"by_status": counts, "total": sum(counts.values())}


def _scoped_area(
    actor: Actor, desa: str | None, kecamatan: str | None
) -> tuple[str | None, str | None]:
    """A village admin searches its own area only; asking for another one is refused."""
    if actor.role != "village_admin":
        return desa, kecamatan
    if desa is not None and not actor.covers(desa):
        raise _query_error("desa", "Di luar wilayah Anda / outside your area")
    if kecamatan is not None and not (
        kecamatan == actor.kecamatan_kode or (actor.desa_kode or "").startswith(kecamatan + ".")
    ):
        raise _query_error("kecamatan", "Di luar wilayah Anda / outside your area")
    if actor.desa_kode:
        return actor.desa_kode, kecamatan
    return desa, actor.kecamatan_kode


@router.get("/residents", response_model=ResidentPage, tags=["residents"])
async def search(
    conn: Conn,
    who: Staff,
    keys: Cipher,
    desa: str | None = None,
    kecamatan: str | None = None,
    education: Annotated[int | None, Query(ge=1, le=10)] = None,
    min_education: Annotated[int | None, Query(ge=1, le=10)] = None,
    skill: str | None = None,
    status: services.ResidentStatus | None = None,
    local: bool | None = None,
    in_training: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> ResidentPage:
    """Operators search every seeker; a village or district admin only its own (NIK masked)."""
    actor = Actor.of(who)
    desa, kecamatan = _scoped_area(actor, desa, kecamatan)
    filters = repository.Filters(
        desa_kode=desa,
        kecamatan_kode=kecamatan,
        education_level=education,
        min_education_level=min_education,
        skill=skill,
        status=status.value if status else None,
        is_local=local,
        in_training=in_training,
    )
    rows, total = await repository.search(conn, filters=filters, limit=limit, offset=offset)
    return ResidentPage(
        items=[resident_out(row, actor=actor, cipher=keys) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/residents/{resident_id}", response_model=ResidentOut, tags=["residents"])
async def get(
    resident_id: UUID,
    conn: Conn,
    who: Staff,
    keys: Cipher,
    reveal: Annotated[
        Literal["nik"] | None,
        Query(description="`nik`: the NIK in clear (needs `purpose`; written to the audit log)"),
    ] = None,
    purpose: Annotated[
        str | None,
        Query(min_length=3, max_length=200, description="Why the NIK is read in clear"),
    ] = None,
    reveal_nik: Annotated[bool | None, Query(include_in_schema=False)] = None,
) -> ResidentOut:
    """One seeker. Personal data (name, NIK masked, phone, email, address) for operators and
    the resident's own village admin; `?reveal=nik&purpose=...` shows the NIK and is audited."""
    if reveal_nik is not None:
        raise _query_error("reveal_nik", "Diganti / replaced by reveal=nik&purpose=...")
    if reveal == "nik" and not purpose:
        raise _query_error("purpose", "Wajib diisi untuk melihat NIK / required to read the NIK")
    actor = Actor.of(who)
    row = await services.get_visible(conn, resident_id, actor=actor)
    if reveal == "nik" and purpose:
        await audit.record(
            conn, who=who, resident_id=resident_id, fields=["nik"], purpose=purpose, now=_now()
        )
    return resident_out(row, actor=actor, cipher=keys, reveal_nik=reveal == "nik")


@router.get("/residents/{resident_id}/export", tags=["data subject rights"])
async def export(
    resident_id: UUID, purpose: Purpose, conn: Conn, who: Staff, keys: Cipher
) -> dict[str, Any]:
    """Ekspor data pribadi / the resident's data export (UU 27/2022): everything the registry
    holds about them, NIK in clear, as JSON; written to the audit log. The console combines the
    exports of every service into one file."""
    actor = Actor.of(who)
    row = await services.get_visible(conn, resident_id, actor=actor)
    now = _now()
    await audit.record(
        conn, who=who, resident_id=resident_id, fields=EXPORTED_FIELDS, purpose=purpose, now=now
    )
    data = export_of(
        row,
        actor=actor,
        cipher=keys,
        history=await repository.history(conn, resident_id=resident_id),
        enrollments=await repository.enrollments(conn, resident_id=resident_id),
        accesses=await audit.accesses(conn, resident_id),
    )
    return {
        "service": "registry",
        "resident_id": str(resident_id),
        "exported_at": now.isoformat(),
        "data": data,
    }


@router.get("/residents/{resident_id}/access-log", tags=["data subject rights"])
async def access_log(resident_id: UUID, conn: Conn, who: Operator) -> list[dict[str, Any]]:
    """Who read this resident's personal data in clear, when, which fields and why (kept after
    an erasure: it is the office's accountability, not the resident's data)."""
    if not await repository.exists(conn, resident_id=resident_id):
        raise NotFound(str(resident_id))
    return [
        {
            "accessed_at": row["accessed_at"],
            "principal": row["principal"],
            "role": row["role"],
            "fields": list(row["fields"]),
            "purpose": row["purpose"],
        }
        for row in await audit.accesses(conn, resident_id)
    ]


@router.patch("/residents/{resident_id}", response_model=ResidentOut, tags=["residents"])
async def update(
    resident_id: UUID, data: ProfileUpdateIn, conn: Conn, who: Staff, keys: Cipher
) -> ResidentOut:
    actor = Actor.of(who)
    row = await services.update_profile(
        conn, cipher=keys, resident_id=resident_id, data=data, actor=actor, now=_now()
    )
    return resident_out(row, actor=actor, cipher=keys)


@router.post("/residents/{resident_id}/domicile", response_model=ResidentOut, tags=["residents"])
async def change_domicile(
    resident_id: UUID, data: DomicileChangeIn, conn: Conn, who: Staff, keys: Cipher
) -> ResidentOut:
    """A new KTP address: locality is recomputed from it, never from the NIK. A village admin
    records moves within its own area only; a move out of it is the operator's."""
    actor = Actor.of(who)
    row = await services.change_domicile(
        conn,
        cipher=keys,
        resident_id=resident_id,
        address=data.address,
        evidence=data.evidence,
        effective_on=data.effective_on,
        actor=actor,
        now=_now(),
    )
    return resident_out(row, actor=actor, cipher=keys)


@router.post("/residents/{resident_id}/verify", response_model=ResidentOut, tags=["ak1"])
async def verify(
    resident_id: UUID, data: VerificationIn, conn: Conn, who: Operator, keys: Cipher
) -> ResidentOut:
    """Documents checked by a pengantar kerja; issues the AK/1 card unless refused (under 18)."""
    actor = Actor.of(who)
    row = await services.verify(
        conn, resident_id=resident_id, officer=data.officer, actor=actor, now=_now()
    )
    return resident_out(row, actor=actor, cipher=keys)


@router.post("/residents/{resident_id}/erasure", response_model=ErasureOut, tags=["residents"])
async def erase(resident_id: UUID, data: ErasureIn, conn: Conn, who: Operator) -> ErasureOut:
    """Penghapusan data pribadi / erasure at the resident's request (UU 27/2022), operators only:
    NIK, its HMAC, name, phone, email and address are removed here and
    `registry.resident_erased.v1` tells every service to do the same; the counts of past months
    stay. Erasing again changes nothing."""
    erased_at = await services.erase(
        conn, resident_id=resident_id, reason=data.reason, actor=Actor.of(who), now=_now()
    )
    return ErasureOut(resident_id=resident_id, erased_at=erased_at)


@router.post("/residents/{resident_id}/ak1", response_model=ResidentOut, tags=["ak1"])
async def issue_card(resident_id: UUID, conn: Conn, who: Operator, keys: Cipher) -> ResidentOut:
    """Issue the AK/1 card to a verified seeker whose card was refused and who is now eligible."""
    actor = Actor.of(who)
    row = await services.issue_card(conn, resident_id=resident_id, actor=actor, now=_now())
    return resident_out(row, actor=actor, cipher=keys)


@router.post("/residents/{resident_id}/report-in", response_model=ResidentOut, tags=["ak1"])
async def report_in(resident_id: UUID, conn: Conn, who: Staff, keys: Cipher) -> ResidentOut:
    """The seeker reports in (lapor diri, every 6 months); a lapsed seeker is active again."""
    actor = Actor.of(who)
    row = await services.report(conn, resident_id=resident_id, actor=actor, now=_now())
    return resident_out(row, actor=actor, cipher=keys)


@router.get("/residents/{resident_id}/ak1", response_class=HTMLResponse, tags=["ak1"])
async def print_card(resident_id: UUID, conn: Conn, who: Operator, keys: Cipher) -> HTMLResponse:
    """The printable AK/1 card (kartu kuning) for the office, A5, print from the browser. It
    carries the NIK in clear: each print is written to the audit log."""
    row = await services.get_visible(conn, resident_id, actor=Actor.of(who))
    if row["ak1_number"] is None:
        raise HTTPException(409, "Kartu AK/1 belum terbit / no AK/1 card issued yet")
    personal = personal_of(row, cipher=keys, reveal_nik=True)
    await audit.record(
        conn,
        who=who,
        resident_id=resident_id,
        fields=["nik", "full_name", "birth_place", "address"],
        purpose=AK1_PRINT_PURPOSE,
        now=_now(),
    )
    return HTMLResponse(render_ak1(row, personal), headers={"Cache-Control": "no-store"})


@router.get("/ak1.js", include_in_schema=False)
async def print_script() -> Response:
    """The card page's print button (the page's CSP allows no inline script)."""
    return Response(
        PRINT_SCRIPT,
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/residents/{resident_id}/history", tags=["residents"])
async def history(resident_id: UUID, conn: Conn, who: Staff) -> list[dict[str, Any]]:
    await services.get_visible(conn, resident_id, actor=Actor.of(who))
    return [dict(row) for row in await repository.history(conn, resident_id=resident_id)]


@router.post("/imports", status_code=202, response_model=ImportOut, tags=["imports"])
async def start_import(request: Request, who: Operator, file: UploadFile = File(...)) -> ImportOut:
    """Import the office's existing seeker list (CSV, columns in docs). Valid rows are imported,
    bad rows reported by line; the same file again changes nothing. Poll the job for progress."""
    limit = request.app.state.settings.max_import_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise HTTPException(
            413, f"Berkas terlalu besar / file too large: at most {limit // 1_048_576} MiB per file"
        )
    job = await imports.start(
        request.app.state.pool,
        cipher=request.app.state.cipher,
        content=content,
        filename=file.filename or "upload.csv",
        actor=Actor.of(who),
        background=request.app.state.background,
    )
    return ImportOut.model_validate(dict(job))


@router.get("/imports/{import_id}", response_model=ImportOut, tags=["imports"])
async def import_status(import_id: UUID, request: Request, who: Operator) -> ImportOut:
    job = await imports.get(request.app.state.pool, import_id=import_id)
    if job is None:
        raise not_found()
    return ImportOut.model_validate(dict(job))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FieldError)
    async def field_error(_: Request, exc: FieldError) -> JSONResponse:
        detail = [{"loc": ["body", *exc.loc], "msg": exc.reason, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DuplicateNik)
    async def duplicate(request: Request, exc: DuplicateNik) -> JSONResponse:
        if exc.existing is None:
            return JSONResponse(
                {"detail": "NIK ini sudah terdaftar / this NIK is already registered"},
                status_code=409,
            )
        location = f"/residents/{exc.existing}"
        return JSONResponse(
            {
                "detail": "NIK ini sudah terdaftar / this NIK is already registered",
                "existing_resident_id": str(exc.existing),
                "existing": location,
            },
            status_code=409,
            headers={"Location": location},
        )

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": NOT_FOUND}, status_code=404)

    @app.exception_handler(DomainError)
    async def refused(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.reason}, status_code=409)
