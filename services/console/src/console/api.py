"""JSON API for operators and scripts: campaigns, tracker, monthly report, dead letters, queues,
projection status and rebuild, the live event stream (server-sent events)."""

import json
import time
from datetime import UTC, date, datetime
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, FastAPI, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from kerjalokal.auth.principal import Principal

from . import dlq, figures, projector, queues, report, stream
from . import erasures as erasure_log
from .auth import ApiOperator, ApiReader, still_valid
from .domain import campaign as rules
from .domain.agencies import PUBLIC_EVENT_TYPES, AgencyRefused
from .domain.topics import matches

router = APIRouter()
Month = Annotated[str | None, Query(pattern=r"^[12]\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold a NUL character


class CampaignIn(BaseModel):
    name: str = Field(min_length=3, max_length=200, pattern=NO_NUL)
    target: int = Field(gt=0, le=1_000_000)
    starts_on: date
    working_days: int = Field(gt=0, le=1000)


class DiscardIn(BaseModel):
    note: str = Field(min_length=3, max_length=2000, pattern=NO_NUL)


def today() -> date:
    return datetime.now(report.WIB).date()


def month_of(text: str | None) -> date:
    if not text:
        return today().replace(day=1)
    year, month = text.split("-")
    return date(int(year), int(month), 1)


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


async def tracker_for(request: Request, slug: str | None) -> figures.Tracker | None:
    async with _pool(request).acquire() as conn:
        found = await figures.campaign(conn, slug)
        if found is None:
            return None
        threshold = request.app.state.settings.local_hire_threshold
        return await figures.tracker(conn, found, today=today(), threshold=threshold)


@router.put("/api/campaigns/{slug}", tags=["campaigns"])
async def put_campaign(
    slug: Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{2,59}$")],
    data: CampaignIn,
    request: Request,
    who: ApiOperator,
) -> dict[str, Any]:
    """Create or change a campaign. The deadline is the n-th working day from the start."""
    campaign = rules.Campaign(slug, data.name, data.target, data.starts_on, data.working_days)
    async with _pool(request).acquire() as conn:
        row = await figures.save_campaign(conn, campaign)
    return dict(row)


@router.get("/api/campaigns", tags=["campaigns"])
async def campaigns(request: Request, who: ApiReader) -> list[dict[str, Any]]:
    rows = await _pool(request).fetch("SELECT * FROM campaign ORDER BY starts_on DESC")
    return [dict(r) for r in rows]


@router.get("/api/tracker", tags=["tracker"])
async def tracker(request: Request, who: ApiReader, campaign: str | None = None) -> dict[str, Any]:
    result = await tracker_for(request, campaign)
    if result is None:
        raise HTTPException(404, "Belum ada kampanye / no campaign yet")
    return result.as_dict()


@router.get("/api/laporan", tags=["report"])
async def monthly(request: Request, who: ApiReader, month: Month = None) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        result = await report.monthly(conn, month_of(month))
    return {
        "month": result.month.strftime("%Y-%m"),
        "balances": result.balances(),
        "seekers": [r.__dict__ for r in result.seekers],
        "vacancies": [r.__dict__ for r in result.vacancies],
    }


@router.get("/laporan.csv", tags=["report"])
async def monthly_csv(request: Request, who: ApiReader, month: Month = None) -> PlainTextResponse:
    async with _pool(request).acquire() as conn:
        result = await report.monthly(conn, month_of(month))
    name = f"laporan-pasar-kerja-{result.month:%Y-%m}.csv"
    return PlainTextResponse(
        report.to_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/api/dead-letters", tags=["dead letters"])
async def dead_letters(
    request: Request,
    who: ApiOperator,
    service: str | None = None,
    status: Annotated[str | None, Query(pattern="^(pending|replayed|discarded)$")] = "pending",
) -> list[dict[str, Any]]:
    await dlq.drain(
        _pool(request), request.app.state.amqp, services=request.app.state.settings.services
    )
    async with _pool(request).acquire() as conn:
        return [dict(r) for r in await dlq.listing(conn, service=service, status=status)]


@router.get("/api/dead-letters/{dead_letter_id}", tags=["dead letters"])
async def dead_letter(dead_letter_id: int, request: Request, who: ApiOperator) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        row = dict(await dlq.get(conn, dead_letter_id))
    row["headers"] = json.loads(row["headers"])
    row["body"] = row["body"].decode(errors="replace")
    return row


@router.post("/api/dead-letters/{dead_letter_id}/replay", tags=["dead letters"])
async def replay(dead_letter_id: int, request: Request, who: ApiOperator) -> dict[str, str]:
    await dlq.replay(_pool(request), request.app.state.amqp, dead_letter_id, actor=who.label)
    return {"status": "replayed"}


@router.post("/api/dead-letters/replay", tags=["dead letters"])
async def replay_all(
    request: Request, who: ApiOperator, service: str | None = None
) -> dict[str, Any]:
    done, failed = await dlq.replay_all(
        _pool(request), request.app.state.amqp, service=service, actor=who.label
    )
    return {"replayed": done, "failed": [{"dead_letter_id": i, "reason": r} for i, r in failed]}


@router.post("/api/dead-letters/{dead_letter_id}/discard", tags=["dead letters"])
async def discard(
    dead_letter_id: int, data: DiscardIn, request: Request, who: ApiOperator
) -> dict[str, str]:
    async with _pool(request).acquire() as conn:
        await dlq.discard(conn, dead_letter_id, note=data.note, actor=who.label)
    return {"status": "discarded"}


@router.get("/api/queues", tags=["queues"])
async def queue_health(request: Request, who: ApiOperator) -> list[dict[str, Any]]:
    async with _pool(request).acquire() as conn:
        return [q.__dict__ for q in await queues.report(conn)]


@router.get("/api/projection", tags=["projection"])
async def projection(request: Request, who: ApiOperator) -> dict[str, Any]:
    async with _pool(request).acquire() as conn:
        row = await projector.position(conn)
    return dict(row) if row else {"stream": projector.STREAM, "last_offset": None, "applied": 0}


@router.post("/api/projection/rebuild", status_code=202, tags=["projection"])
async def rebuild(request: Request, who: ApiOperator) -> dict[str, str]:
    """Drop the projections and read the event log again from its first offset."""
    await request.app.state.projector.rebuild()
    return {"status": "rebuilding"}


def visible(who: Principal, routing_key: str) -> bool:
    """Operators see every event of the log; agencies and service accounts only the public types
    an agency may subscribe to (registry events describe individual seekers)."""
    return who.role == "operator" or routing_key in PUBLIC_EVENT_TYPES


@router.get("/stream/events", tags=["stream"])
async def live(
    request: Request,
    who: ApiReader,
    service: str = "",
    type: str = "",
    subject: str = "",
    start: Annotated[str, Query(alias="from")] = "next",
) -> EventSourceResponse:
    """Server-sent events from the event log: `from` = next (default), last, first, an offset,
    an interval (15m) or an ISO time; filters by service, type (a topic pattern) and subject."""
    try:
        offset = stream.parse_offset(start)
    except ValueError as exc:
        raise _field_error(("query", "from"), str(exc)) from None

    recheck = request.app.state.settings.stream_recheck_seconds

    async def events() -> Any:
        checked = time.monotonic()
        async for event in stream.read(
            request.app.state.amqp, start=offset, prefetch=100, announce=True
        ):
            if event is None:  # subscribed: what is published from now on will show
                yield {"event": "ready", "data": "{}"}
                continue
            if time.monotonic() - checked >= recheck:  # a long stream ends with its key
                if not await still_valid(_pool(request), who):
                    return
                checked = time.monotonic()
            if not visible(who, event.routing_key):
                continue
            shown = stream.summary(event)
            if service and shown["service"] != service:
                continue
            if type and not matches(type if "." in type else f"#.{type}.#", event.routing_key):
                continue
            if subject and shown["subject"] != subject:
                continue
            yield {
                "event": "kerjalokal",
                "id": str(event.offset),
                "data": json.dumps(
                    shown
                    | {
                        "headers": {k: str(v) for k, v in event.headers.items()},
                        "body": _body(event.body),
                        "received_at": datetime.now(UTC).isoformat(),
                    }
                ),
            }

    return EventSourceResponse(events(), ping=15)


@router.get("/erasures", tags=["erasures"])
async def erasures(
    request: Request,
    who: ApiOperator,
    status: Annotated[str | None, Query(pattern="^(complete|waiting|late)$")] = None,
) -> list[dict[str, Any]]:
    """Each resident erasure (`registry.resident_erased.v1`) and which services confirmed it and
    when; `late` once a service has not confirmed within `CONSOLE_ERASURE_LATE_MINUTES`."""
    settings = request.app.state.settings
    async with _pool(request).acquire() as conn:
        rows = await erasure_log.listing(
            conn,
            services=settings.erasure_services,
            late_after=settings.erasure_late_minutes,
            now=datetime.now(UTC),
        )
    return [r.as_dict() for r in rows if status is None or r.status == status]


def _body(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _field_error(loc: tuple[str, ...], msg: str) -> HTTPException:
    return HTTPException(422, [{"loc": list(loc), "msg": msg, "type": "value_error"}])


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(dlq.NotFound)
    async def not_found(_: Request, exc: dlq.NotFound) -> JSONResponse:
        return JSONResponse({"detail": "Pesan gagal tidak ditemukan / dead letter not found"}, 404)

    @app.exception_handler(dlq.ReplayFailed)
    async def replay_failed(_: Request, exc: dlq.ReplayFailed) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 409)

    @app.exception_handler(AgencyRefused)
    async def refused(_: Request, exc: AgencyRefused) -> JSONResponse:
        detail = [{"loc": ["body", exc.field], "msg": exc.reason, "type": "value_error"}]
        return JSONResponse({"detail": detail}, 422)
