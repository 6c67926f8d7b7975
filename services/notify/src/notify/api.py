"""The operators' HTTP API: the delivery log, parked webhooks, agencies' channels, vacancy
reports. Every route needs the operator's bearer token."""

import hmac
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import deliveries, delivery_log, repository, services
from .config import Settings
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
)

router = APIRouter()
_bearer = HTTPBearer(auto_error=False)
Status = Literal["pending", "sending", "sent", "failed", "parked", "skipped", "cancelled"]


def operator(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    settings: Settings = request.app.state.settings
    token = credentials.credentials if credentials else ""
    if token and hmac.compare_digest(token, settings.operator_token.get_secret_value()):
        return "operator:disnaker"
    raise HTTPException(
        401,
        "Butuh token operator yang sah / a valid operator token is required",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as conn, conn.transaction():
        yield conn


def clock(request: Request) -> datetime:
    now: Callable[[], datetime] = request.app.state.clock
    return now()


Operator = Annotated[str, Depends(operator)]
Conn = Annotated[asyncpg.Connection, Depends(connection, scope="function")]  # commit, then reply
Now = Annotated[datetime, Depends(clock)]


# --- the delivery log ------------------------------------------------------------------------


@router.get("/deliveries", response_model=DeliveryPage, tags=["deliveries"])
async def log_of_deliveries(
    conn: Conn,
    who: Operator,
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
    cancelled, attempts, provider's id. Rows carry no phone, email or name."""
    wanted = LogFilters(resident_id, event_id, status, channel, channel_id, kind, vacancy_id)
    rows, total = await delivery_log.search(conn, filters=wanted, limit=limit, offset=offset)
    items = [DeliveryOut.model_validate(dict(row)) for row in rows]
    return DeliveryPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/deliveries/{delivery_id}", response_model=DeliveryDetail, tags=["deliveries"])
async def delivery(delivery_id: UUID, conn: Conn, who: Operator) -> DeliveryDetail:
    row = await delivery_log.get(conn, delivery_id=delivery_id)
    if row is None:
        raise HTTPException(404, "Pengiriman tidak ditemukan / delivery not found")
    log = [dict(a) for a in await delivery_log.attempts(conn, delivery_id=delivery_id)]
    return DeliveryDetail.model_validate(dict(row) | {"attempt_log": log})


@router.get("/webhooks/parked", response_model=DeliveryPage, tags=["deliveries"])
async def parked(
    conn: Conn,
    who: Operator,
    channel_id: UUID | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> DeliveryPage:
    """Webhook deliveries that used every try; retry them once the agency's system is back."""
    wanted = LogFilters(status="parked", kind="webhook", channel_id=channel_id)
    rows, total = await delivery_log.search(conn, filters=wanted, limit=limit, offset=offset)
    items = [DeliveryOut.model_validate(dict(row)) for row in rows]
    return DeliveryPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/deliveries/{delivery_id}/retry", response_model=DeliveryOut, tags=["deliveries"])
async def retry(delivery_id: UUID, conn: Conn, who: Operator, now: Now) -> DeliveryOut:
    """A new round of tries for a parked or failed delivery, with the same idempotency key."""
    if not await delivery_log.retry(conn, delivery_id=delivery_id, now=now):
        if await delivery_log.get(conn, delivery_id=delivery_id) is None:
            raise HTTPException(404, "Pengiriman tidak ditemukan / delivery not found")
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
    data: ChannelIn, request: Request, conn: Conn, who: Operator, now: Now
) -> ChannelCreated:
    """Register an agency's system. The answer holds the signing secret, shown only once."""
    await _reachable(request, data.url)
    row, secret = await services.register_channel(conn, values=data.model_dump(), now=now)
    return ChannelCreated.model_validate(dict(row) | {"secret": secret})


@router.get("/channels", response_model=list[ChannelOut], tags=["channels"])
async def channels(conn: Conn, who: Operator) -> list[ChannelOut]:
    return [ChannelOut.model_validate(dict(row)) for row in await repository.list_channels(conn)]


async def _channel(conn: asyncpg.Connection, channel_id: UUID) -> asyncpg.Record:
    row = await repository.get_channel(conn, channel_id=channel_id)
    if row is None:
        raise HTTPException(404, "Kanal tidak ditemukan / channel not found")
    return row


@router.get("/channels/{channel_id}", response_model=ChannelOut, tags=["channels"])
async def channel(channel_id: UUID, conn: Conn, who: Operator) -> ChannelOut:
    return ChannelOut.model_validate(dict(await _channel(conn, channel_id)))


@router.patch("/channels/{channel_id}", response_model=ChannelOut, tags=["channels"])
async def change(
    channel_id: UUID, data: ChannelPatch, request: Request, conn: Conn, who: Operator, now: Now
) -> ChannelOut:
    await _channel(conn, channel_id)
    await _reachable(request, data.url)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    row = await repository.update_channel(conn, channel_id=channel_id, changes=changes, now=now)
    return ChannelOut.model_validate(dict(row or {}))


async def _set_status(
    conn: asyncpg.Connection, channel_id: UUID, status: str, reason: str | None, now: datetime
) -> ChannelOut:
    try:
        row = await services.set_channel_status(
            conn, channel_id=channel_id, status=status, reason=reason, now=now
        )
    except services.NotFound:
        raise HTTPException(404, "Kanal tidak ditemukan / channel not found") from None
    return ChannelOut.model_validate(dict(row))


@router.post("/channels/{channel_id}/pause", response_model=ChannelOut, tags=["channels"])
async def pause(
    channel_id: UUID, conn: Conn, who: Operator, now: Now, data: PauseIn | None = None
) -> ChannelOut:
    """Deliveries wait (they are not lost) until the channel is resumed."""
    reason = (data or PauseIn()).reason
    return await _set_status(conn, channel_id, "paused", reason, now)


@router.post("/channels/{channel_id}/resume", response_model=ChannelOut, tags=["channels"])
async def resume(channel_id: UUID, conn: Conn, who: Operator, now: Now) -> ChannelOut:
    """Active again with a clean slate of failures; what waited goes out now."""
    return await _set_status(conn, channel_id, "active", None, now)


@router.delete("/channels/{channel_id}", status_code=204, tags=["channels"])
async def delete(channel_id: UUID, conn: Conn, who: Operator, now: Now) -> None:
    """The channel stops at once; what still waited for it is cancelled (and stays logged)."""
    await _set_status(conn, channel_id, "deleted", None, now)


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
        conn, report_id=report_id, status=data.status, note=data.note, by=who, now=now
    )
    if row is None:
        raise HTTPException(404, "Laporan tidak ditemukan / report not found")
    return ReportOut.model_validate(dict(row))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(services.NotFound)
    async def not_found(_: Request, exc: services.NotFound) -> JSONResponse:
        return JSONResponse({"detail": "Tidak ditemukan / not found"}, status_code=404)
