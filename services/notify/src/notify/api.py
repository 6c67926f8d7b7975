"""The HTTP API behind a key (kerjalokal.auth): the delivery log, parked webhooks, agencies'
channels, vacancy reports, a resident's data export. Operators may do everything; an agency
manages its own channels and sees their deliveries; other roles are refused (403)."""

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from kerjalokal.auth import audit
from kerjalokal.auth.fastapi import NOT_FOUND, OperatorOnly, not_found, require
from kerjalokal.auth.principal import Principal
from kerjalokal.reference import desa, kecamatan

from . import deliveries, delivery_log, exports, repository, services
from .config import Settings
from .crypto import ContactCipher
from .delivery_log import LogFilters
from .dispatch.webhooks import refused_address
from .schemas import (
    ChannelCreated,
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    DeliveryDetail,
    DeliveryOut,
    DeliveryPage,
    PauseIn,
    ReportOut,
    ReportReview,
    ResidentExport,
)

router = APIRouter()
Status = Literal["pending", "sending", "sent", "failed", "parked", "skipped", "cancelled"]


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def clock(request: Request) -> datetime:
    now: Callable[[], datetime] = request.app.state.clock
    return now()


# Operators see and change everything; an agency its own channels (channel.owner_key_subject is
# the subject of its keys) and their webhook deliveries; other roles none of this API.
Operator = OperatorOnly
OperatorOrAgency = Annotated[Principal, Depends(require("operator", "agency"))]
Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]  # commit, then reply
Now = Annotated[datetime, Depends(clock)]


def owner(who: Principal) -> str | None:
    """The owner an agency is limited to; None (everything) for an operator."""
    return None if who.role == "operator" else who.subject


def _refused(field: str, role: str) -> RequestValidationError:
    return RequestValidationError(
        [
            {
                "type": "value_error",
                "loc": ("body", field),
                "msg": f"peran {role} tidak boleh mengisi {field}"
                f" / role {role} may not set {field}",
                "input": None,
            }
        ]
    )


def _only_operator_sets(who: Principal, given: set[str], fields: tuple[str, ...]) -> None:
    if who.role == "operator":
        return
    for field in fields:
        if field in given:
            raise _refused(field, who.role)


# --- the delivery log ------------------------------------------------------------------------


@router.get("/deliveries", response_model=DeliveryPage, tags=["deliveries"])
async def log_of_deliveries(
    conn: Conn,
    who: OperatorOrAgency,
    resident_id: UUID | None = None,
    event_id: str | None = None,
    status: Status | None = None,
    channel: Literal["whatsapp", "sms", "email", "webhook", "none"] | None = None,
    channel_id: UUID | None = None,
    kind: Literal["resident", "webhook"] | None = None,
    vacancy_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DeliveryPage:
    """Every message and webhook delivery, newest first: its status, why it was skipped or
    cancelled, attempts, provider's id. Rows carry no phone, email or name. An agency sees the
    webhook deliveries of its own channels only."""
    wanted = LogFilters(
        resident_id, event_id, status, channel, channel_id, kind, vacancy_id, owner=owner(who)
    )
    rows, total = await delivery_log.search(conn, filters=wanted, limit=limit, offset=offset)
    items = [DeliveryOut.model_validate(dict(row)) for row in rows]
    return DeliveryPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, tags=["deliveries"])
async def delivery(delivery_id: UUID, conn: Conn, who: OperatorOrAgency) -> DeliveryDetail:
    row = await delivery_log.get(conn, delivery_id=delivery_id, owner=owner(who))
    if row is None:
        raise not_found()
    log = [dict(a) for a in await delivery_log.attempts(conn, delivery_id=delivery_id)]
    return DeliveryDetail.model_validate(dict(row) | {"attempt_log": log})


@router.get("/webhooks/parked", response_model=DeliveryPage, tags=["deliveries"])
async def parked(
    conn: Conn,
    who: OperatorOrAgency,
    channel_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DeliveryPage:
    """Webhook deliveries that used every try; retry them once the agency's system is back."""
    wanted = LogFilters(status="parked", kind="webhook", channel_id=channel_id, owner=owner(who))
    rows, total = await delivery_log.search(conn, filters=wanted, limit=limit, offset=offset)
    items = [DeliveryOut.model_validate(dict(row)) for row in rows]
    return DeliveryPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut, tags=["deliveries"])
async def retry(delivery_id: UUID, conn: Conn, who: OperatorOrAgency, now: Now) -> DeliveryOut:
    """A new round of tries for a parked or failed delivery, with the same idempotency key."""
    if await delivery_log.get(conn, delivery_id=delivery_id, owner=owner(who)) is None:
        raise not_found()
    if not await delivery_log.retry(conn, delivery_id=delivery_id, now=now):
        raise HTTPException(409, "Hanya yang parked atau failed / only parked or failed ones")
    await conn.execute("SELECT pg_notify($1, '')", deliveries.WAKE_CHANNEL)
    row = await delivery_log.get(conn, delivery_id=delivery_id)
    return DeliveryOut.model_validate(dict(row or {}))


# --- agencies' channels ----------------------------------------------------------------------


async def _reachable(request: Request, url: str | None) -> None:
    settings: Settings = request.app.state.settings
    if url is None or settings.webhook_allow_private:
        return
    if refusal := await refused_address(url):
        raise RequestValidationError(
            [{"type": "value_error", "loc": ("body", "url"), "msg": refusal, "input": url}]
        )


@router.post("/channels", status_code=201, response_model=ChannelCreated, tags=["channels"])
async def register(
    data: ChannelIn, request: Request, conn: Conn, who: OperatorOrAgency, now: Now
) -> ChannelCreated:
    """Register an agency's system. The answer holds the signing secret, shown only once. An
    agency's channel is its own (the subject of its key); an operator may name the owner."""
    _only_operator_sets(who, data.model_fields_set, ("owner_key_subject", "max_in_flight"))
    await _reachable(request, data.url)
    values = data.model_dump()
    if who.role == "agency":
        values["owner_key_subject"] = who.subject
    row, secret = await services.register_channel(conn, values=values, now=now)
    return ChannelCreated.model_validate(dict(row) | {"secret": secret})


@router.get("/channels", response_model=list[ChannelOut], tags=["channels"])
async def channels(conn: Conn, who: OperatorOrAgency) -> list[ChannelOut]:
    rows = await repository.list_channels(conn, owner=owner(who))
    return [ChannelOut.model_validate(dict(row)) for row in rows]


async def _channel(conn: asyncpg.Connection, channel_id: UUID, who: Principal) -> asyncpg.Record:
    """The channel if the caller may act on it; the same 404 for another agency's and none."""
    row = await repository.get_channel(conn, channel_id=channel_id, owner=owner(who))
    if row is None:
        raise not_found()
    return row


@router.get("/channels/{channel_id}", response_model=ChannelOut, tags=["channels"])
async def channel(channel_id: UUID, conn: Conn, who: OperatorOrAgency) -> ChannelOut:
    return ChannelOut.model_validate(dict(await _channel(conn, channel_id, who)))


@router.patch("/channels/{channel_id}", response_model=ChannelOut, tags=["channels"])
async def change(
    channel_id: UUID, data: ChannelPatch, request: Request, conn: Conn, who: OperatorOrAgency,
    now: Now,
) -> ChannelOut:  # fmt: skip
    await _channel(conn, channel_id, who)
    _only_operator_sets(who, data.model_fields_set, ("owner_key_subject", "max_in_flight"))
    await _reachable(request, data.url)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    row = await repository.update_channel(conn, channel_id=channel_id, changes=changes, now=now)
    return ChannelOut.model_validate(dict(row or {}))


async def _set_status(
    conn: asyncpg.Connection, channel_id: UUID, who: Principal, status: str, reason: str | None,
    now: datetime,
) -> ChannelOut:  # fmt: skip
    await _channel(conn, channel_id, who)
    try:
        row = await services.set_channel_status(
            conn, channel_id=channel_id, status=status, reason=reason, now=now
        )
    except services.NotFound:
        raise not_found() from None
    return ChannelOut.model_validate(dict(row))


@router.post("/channels/{channel_id}/pause", response_model=ChannelOut, tags=["channels"])
async def pause(
    channel_id: UUID, conn: Conn, who: OperatorOrAgency, now: Now, data: PauseIn | None = None
) -> ChannelOut:
    """Deliveries wait (they are not lost) until the channel is resumed."""
    reason = (data or PauseIn()).reason
    return await _set_status(conn, channel_id, who, "paused", reason, now)


@router.post("/channels/{channel_id}/resume", response_model=ChannelOut, tags=["channels"])
async def resume(channel_id: UUID, conn: Conn, who: OperatorOrAgency, now: Now) -> ChannelOut:
    """Active again with a clean slate of failures; what waited goes out now."""
    return await _set_status(conn, channel_id, who, "active", None, now)


@router.delete("/channels/{channel_id}", status_code=204, tags=["channels"])
async def delete(channel_id: UUID, conn: Conn, who: OperatorOrAgency, now: Now) -> None:
    """The channel stops at once; what still waited for it is cancelled (and stays logged)."""
    await _set_status(conn, channel_id, who, "deleted", None, now)


# --- reports on vacancies --------------------------------------------------------------------


@router.get("/reports", response_model=list[ReportOut], tags=["reports"])
async def reports(
    conn: Conn,
    who: Operator,
    status: Literal["new", "reviewed", "actioned", "dismissed"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> list[ReportOut]:
    """What residents reported through `/lowongan/<id>/laporkan`, newest first."""
    rows = await repository.list_reports(conn, status=status, limit=limit, offset=offset)
    return [ReportOut.model_validate(dict(row)) for row in rows]


@router.patch("/reports/{report_id}", response_model=ReportOut, tags=["reports"])
async def review(
    report_id: UUID, data: ReportReview, conn: Conn, who: Operator, now: Now
) -> ReportOut:
    row = await repository.review_report(
        conn, report_id=report_id, status=data.status, note=data.note, by=who.label, now=now
    )
    if row is None:
        raise not_found()
    return ReportOut.model_validate(dict(row))


# --- a resident's data (UU 27/2022) ----------------------------------------------------------


@router.get("/residents/{resident_id}/export", response_model=ResidentExport, tags=["residents"])
async def export(
    resident_id: UUID,
    request: Request,
    conn: Conn,
    who: Operator,
    now: Now,
    purpose: Annotated[str, Query(min_length=3, max_length=500)],
) -> ResidentExport:
    """Everything notify holds about a resident, the contact in clear: for the resident's
    request under UU 27/2022. The read is written to the audit log with its purpose."""
    cipher: ContactCipher = request.app.state.cipher
    data = await exports.resident_data(conn, resident_id=resident_id, cipher=cipher)
    if data is None:
        raise not_found()
    read = exports.FIELDS if data["contact"] is not None else ()
    await audit.record(
        conn, who=who, resident_id=resident_id, fields=read, purpose=purpose, now=now
    )
    return ResidentExport(service="notify", resident_id=resident_id, exported_at=now, data=data)


async def check_key_scope(_: asyncpg.Connection, role: str, scope: dict[str, str]) -> str | None:
    """A village admin's key names a desa or kecamatan of the regency."""
    if role != "village_admin":
        return None
    if (code := scope.get("desa_kode")) and desa(code) is None:
        return f"desa tidak dikenal / unknown desa {code}"
    if (code := scope.get("kecamatan_kode")) and kecamatan(code) is None:
        return f"kecamatan tidak dikenal / unknown kecamatan {code}"
    return None


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(services.NotFound)
    async def not_found(_: Request, exc: services.NotFound) -> JSONResponse:
        return JSONResponse({"detail": NOT_FOUND}, status_code=404)
