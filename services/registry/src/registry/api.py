"""HTTP routes: authenticate, translate, delegate to one use case, translate back."""

import hmac
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import imports, repository, services
from .config import Settings
from .crypto import PersonalDataCipher
from .domain import DomainError
from .printing import render_ak1
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
from .views import personal_of, resident_out

router = APIRouter()
_bearer = HTTPBearer(auto_error=False)


def actor(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    settings: Settings = request.app.state.settings
    token = credentials.credentials if credentials else ""
    if token and hmac.compare_digest(token, settings.operator_token.get_secret_value()):
        return Actor(role="operator", name="disnaker")
    for admin_token, desa in settings.village_admin_tokens.items():
        if token and hmac.compare_digest(token, admin_token):
            return Actor(role="village_admin", name=desa, desa_kode=desa)
    raise HTTPException(
        401,
        "Butuh token yang sah / a valid bearer token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


def operator(who: Annotated[Actor, Depends(actor)]) -> Actor:
    if who.role != "operator":
        raise HTTPException(403, "Hanya operator Disnaker / operators only")
    return who


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def cipher(request: Request) -> PersonalDataCipher:
    result: PersonalDataCipher = request.app.state.cipher
    return result


Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]  # commit, then reply
Who = Annotated[Actor, Depends(actor)]
Operator = Annotated[Actor, Depends(operator)]
Cipher = Annotated[PersonalDataCipher, Depends(cipher)]


def _now() -> datetime:
    return datetime.now(UTC)


@router.post("/residents", status_code=201, response_model=ResidentOut, tags=["residents"])
async def register(data: RegistrationIn, conn: Conn, who: Who, keys: Cipher) -> ResidentOut:
    """Register a job seeker (pencari kerja). NIK mismatches with the declared sex or birth date
    come back as warnings; a NIK already registered is refused with a pointer to its record."""
    row, _ = await services.register(conn, cipher=keys, data=data, actor=who, now=_now())
    return resident_out(row, actor=who, cipher=keys)


@router.get("/residents", response_model=ResidentPage, tags=["residents"])
async def search(
    conn: Conn,
    who: Who,
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
    if who.role == "village_admin":
        desa = who.desa_kode
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
        items=[resident_out(row, actor=who, cipher=keys) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/residents/{resident_id}", response_model=ResidentOut, tags=["residents"])
async def get(
    resident_id: UUID, conn: Conn, who: Who, keys: Cipher, reveal_nik: bool = False
) -> ResidentOut:
    row = await services.get_visible(conn, resident_id, actor=who)
    return resident_out(
        row, actor=who, cipher=keys, reveal_nik=reveal_nik and who.role == "operator"
    )


@router.patch("/residents/{resident_id}", response_model=ResidentOut, tags=["residents"])
async def update(
    resident_id: UUID, data: ProfileUpdateIn, conn: Conn, who: Who, keys: Cipher
) -> ResidentOut:
    row = await services.update_profile(
        conn, cipher=keys, resident_id=resident_id, data=data, actor=who, now=_now()
    )
    return resident_out(row, actor=who, cipher=keys)


@router.post("/residents/{resident_id}/domicile", response_model=ResidentOut, tags=["residents"])
async def change_domicile(
    resident_id: UUID, data: DomicileChangeIn, conn: Conn, who: Who, keys: Cipher
) -> ResidentOut:
    """A new KTP address: locality is recomputed from it, never from the NIK."""
    row = await services.change_domicile(
        conn,
        cipher=keys,
        resident_id=resident_id,
        address=data.address,
        evidence=data.evidence,
        effective_on=data.effective_on,
        actor=who,
        now=_now(),
    )
    return resident_out(row, actor=who, cipher=keys)


@router.post("/residents/{resident_id}/verify", response_model=ResidentOut, tags=["ak1"])
async def verify(
    resident_id: UUID, data: VerificationIn, conn: Conn, who: Operator, keys: Cipher
) -> ResidentOut:
    """Documents checked by a pengantar kerja; issues the AK/1 card unless refused (under 18)."""
    row = await services.verify(
        conn, resident_id=resident_id, officer=data.officer, actor=who, now=_now()
    )
    return resident_out(row, actor=who, cipher=keys)


@router.post("/residents/{resident_id}/erasure", response_model=ErasureOut, tags=["residents"])
async def erase(resident_id: UUID, data: ErasureIn, conn: Conn, who: Operator) -> ErasureOut:
    """Penghapusan data pribadi / erasure at the resident's request (UU 27/2022): NIK, its HMAC,
    name, phone, email and address are removed here and `registry.resident_erased.v1` tells every
    service to do the same; the counts of past months stay. Erasing again changes nothing."""
    erased_at = await services.erase(
        conn, resident_id=resident_id, reason=data.reason, actor=who, now=_now()
    )
    return ErasureOut(resident_id=resident_id, erased_at=erased_at)


@router.post("/residents/{resident_id}/ak1", response_model=ResidentOut, tags=["ak1"])
async def issue_card(resident_id: UUID, conn: Conn, who: Operator, keys: Cipher) -> ResidentOut:
    """Issue the AK/1 card to a verified seeker whose card was refused and who is now eligible."""
    row = await services.issue_card(conn, resident_id=resident_id, actor=who, now=_now())
    return resident_out(row, actor=who, cipher=keys)


@router.post("/residents/{resident_id}/report-in", response_model=ResidentOut, tags=["ak1"])
async def report_in(resident_id: UUID, conn: Conn, who: Who, keys: Cipher) -> ResidentOut:
    """The seeker reports in (lapor diri, every 6 months); a lapsed seeker is active again."""
    row = await services.report(conn, resident_id=resident_id, actor=who, now=_now())
    return resident_out(row, actor=who, cipher=keys)


@router.get("/residents/{resident_id}/ak1", response_class=HTMLResponse, tags=["ak1"])
async def print_card(resident_id: UUID, conn: Conn, who: Operator, keys: Cipher) -> HTMLResponse:
    """The printable AK/1 card (kartu kuning) for the office, A5, print from the browser."""
    row = await services.get_visible(conn, resident_id, actor=who)
    if row["ak1_number"] is None:
        raise HTTPException(409, "Kartu AK/1 belum terbit / no AK/1 card issued yet")
    personal = personal_of(row, cipher=keys, reveal_nik=True)
    return HTMLResponse(render_ak1(row, personal), headers={"Cache-Control": "no-store"})


@router.get("/residents/{resident_id}/history", tags=["residents"])
async def history(resident_id: UUID, conn: Conn, who: Who) -> list[dict[str, Any]]:
    await services.get_visible(conn, resident_id, actor=who)
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
        actor=who,
        background=request.app.state.background,
    )
    return ImportOut.model_validate(dict(job))


@router.get("/imports/{import_id}", response_model=ImportOut, tags=["imports"])
async def import_status(import_id: UUID, request: Request, who: Operator) -> ImportOut:
    job = await imports.get(request.app.state.pool, import_id=import_id)
    if job is None:
        raise HTTPException(404, "Impor tidak ditemukan / import not found")
    return ImportOut.model_validate(dict(job))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FieldError)
    async def field_error(_: Request, exc: FieldError) -> JSONResponse:
        detail = [{"loc": ["body", *exc.loc], "msg": exc.reason, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(DuplicateNik)
    async def duplicate(request: Request, exc: DuplicateNik) -> JSONResponse:
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
        return JSONResponse(
            {"detail": "Pencari kerja tidak ditemukan / resident not found"}, status_code=404
        )

    @app.exception_handler(DomainError)
    async def refused(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.reason}, status_code=409)
