"""Domain refusals as HTTP answers: 422 naming the field, 404 alike for missing and foreign,
409 for a rule that says no, with a pointer where the thing exists already."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..domain.errors import DomainError, Duplicate, FieldError, NotFound

_NAMES = {
    "company": "Perusahaan tidak ditemukan / company not found",
    "vacancy": "Lowongan tidak ditemukan / vacancy not found",
    "application": "Lamaran tidak ditemukan / application not found",
    "partnership": "MoU tidak ditemukan / partnership not found",
    "report": "Laporan penempatan tidak ditemukan / placement report not found",
}


def install(app: FastAPI) -> None:
    @app.exception_handler(FieldError)
    async def field_error(_: Request, exc: FieldError) -> JSONResponse:
        detail = [{"loc": ["body", *exc.loc], "msg": exc.reason, "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": _NAMES.get(exc.what, "tidak ditemukan / not found")}, 404)

    @app.exception_handler(Duplicate)
    async def duplicate(_: Request, exc: Duplicate) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.reason, "existing": exc.location},
            status_code=409,
            headers={"Location": exc.location},
        )

    @app.exception_handler(DomainError)
    async def refused(_: Request, exc: DomainError) -> JSONResponse:
        return JSONResponse({"detail": exc.reason}, status_code=409)
