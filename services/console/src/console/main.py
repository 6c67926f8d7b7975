"""Composition root: settings in, a running console out. Nothing is built at import time.

One process: the pages and the JSON API, the projector reading the event log, the dead-letter
drain and the queue sampler. The console publishes no events of its own."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg
from fastapi import FastAPI, Response
from fastapi.staticfiles import StaticFiles
from faststream.asgi import make_asyncapi_asgi
from faststream.rabbit import Channel, RabbitBroker
from faststream.specification import AsyncAPI
from prometheus_client import Gauge
from prometheus_fastapi_instrumentator import Instrumentator

from kerjalokal.auth.admin import install_key_admin
from kerjalokal.auth.fastapi import AuthConfig
from kerjalokal.auth.web import SecurityHeaders
from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.logging import configure_logging
from kerjalokal.messaging.topology import EVENT_LOG, EVENTS

from . import api, dlq, pages, projector, queues, topology
from .config import Settings
from .stream import BROKER_UNAVAILABLE, StreamProjector

SERVICE = "console"
ROLES = ("operator", "agency", "service")
"""The roles of the console's API keys (see console.auth for what each may do)."""
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(SERVICE)
OFFSET = Gauge("kerjalokal_console_projection_offset", "Last event log offset applied")
WAITING = Gauge("kerjalokal_console_dead_letters_pending", "Dead letters waiting", ["service"])


def specification() -> AsyncAPI:
    """What the console reads, for the AsyncAPI document. The projector itself runs on aio-pika
    (see console.stream), so this broker is never connected."""
    broker = RabbitBroker()

    @broker.subscriber(
        EVENT_LOG,
        EVENTS,
        channel=Channel(prefetch_count=1000),
        consume_args={"x-stream-offset": "<last applied + 1>"},
        title="console.projections",
        description="Every public event, from the stored offset: the tracker, the monthly report"
        " and the live stream are built from it alone.",
    )
    async def projections(event: dict[str, Any]) -> None:  # pragma: no cover - documentation
        return None

    return AsyncAPI(broker, title="Kerja Lokal: console", version="1.0.0")


async def _every(
    seconds: float, what: str, job: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    """Run `job` every `seconds` until `stop`; a job is never cancelled halfway through an AMQP
    call (aiormq can hang closing a channel whose RPC was cancelled). A broker or database that
    is away skips a run, never ends the loop (see stream.BROKER_UNAVAILABLE)."""
    while not stop.is_set():
        try:
            await job()
        except (
            OSError,
            TimeoutError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            *BROKER_UNAVAILABLE,
        ) as exc:
            log.warning("%s skipped: %s", what, type(exc).__name__)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(settings.database_url, min_size=2, max_size=10)
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
        connection = await aio_pika.connect_robust(
            settings.amqp_url, client_properties={"connection_name": SERVICE}
        )
        await topology.declare(connection)
        app.state.pool, app.state.amqp = pool, connection
        app.state.projector = StreamProjector(pool, connection, batch=settings.projection_batch)
        app.state.projector.start()
        vhost = queues.vhost_of(settings.amqp_url)

        async def drain() -> None:
            await dlq.drain(pool, connection, services=settings.services)
            async with pool.acquire() as conn:
                waiting = await dlq.counts(conn)
                for service in (*settings.services, SERVICE):
                    WAITING.labels(service).set(waiting.get(service, 0))
                position = await projector.position(conn)
            if position and position["last_offset"] is not None:
                OFFSET.set(position["last_offset"])

        async def sample() -> None:
            async with pool.acquire() as conn:
                names = await queues.known_queues(
                    conn,
                    services=settings.services,
                    watch=settings.watch_queues,
                    vhost=vhost,
                    use_rabbitmqctl=settings.use_rabbitmqctl,
                )
            await queues.sample(pool, connection, names)

        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(_every(settings.drain_interval_seconds, "drain", drain, stop)),
            asyncio.create_task(_every(settings.sample_interval_seconds, "sample", sample, stop)),
        ]
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait(tasks, timeout=15)
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await app.state.projector.stop()
            await connection.close()
            await pool.close()

    app = FastAPI(
        title="Kerja Lokal: console",
        version="1.0.0",
        description="Konsol operator Disnaker / the operators' console: target tracker, monthly"
        " labour-market report, live event stream, dead letters, queue health.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth = AuthConfig(service=SERVICE, operator_token=settings.operator_token)
    app.add_middleware(SecurityHeaders)
    install_key_admin(app, service=SERVICE, roles=ROLES)
    app.include_router(api.router)
    api.install_error_handlers(app)
    pages.install(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    _operations(app)
    return app


def _operations(app: FastAPI) -> None:
    spec = specification()
    Instrumentator(
        excluded_handlers=["/health", "/ready", "/metrics", "/stream/events"]
    ).instrument(app).expose(app, include_in_schema=False)
    app.mount("/asyncapi", make_asyncapi_asgi(spec, try_it_out_path=None))

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Any:
        return spec.to_specification().to_jsonable()

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready(response: Response) -> dict[str, str]:
        checks = {"database": "ok", "broker": "ok"}
        try:
            await app.state.pool.fetchval("SELECT 1")
        except Exception:
            checks["database"] = "unavailable"
        if app.state.amqp.is_closed:
            checks["broker"] = "unavailable"
        if set(checks.values()) != {"ok"}:
            response.status_code = 503
        return checks


def app_from_env() -> FastAPI:
    configure_logging()
    return create_app()
