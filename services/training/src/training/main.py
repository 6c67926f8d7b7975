"""Composition root: settings in, a running service out. Nothing is built at import time."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from uuid import UUID

import asyncpg
from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from faststream.rabbit import RabbitBroker

from kerjalokal.auth.admin import install_key_admin
from kerjalokal.auth.fastapi import AuthConfig
from kerjalokal.auth.web import RateLimit, SecurityHeaders
from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.events import training as training_events
from kerjalokal.logging import configure_logging
from kerjalokal.messaging import (
    OutboxRelay,
    declare_topology,
    document_publications,
    make_broker,
    outbox,
)
from kerjalokal.operations import install_operations

from . import api, handlers, repository
from .config import Settings

SERVICE = "training"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(SERVICE)
PUBLISHES = (
    training_events.ProgrammeOpenedV1,
    training_events.SessionOpenedV1,
    training_events.ReadinessAssessedV1,
    training_events.ResidentWaitlistedV1,
    training_events.ResidentEnrolledV1,
    training_events.EnrollmentWithdrawnV1,
    training_events.TrainingCompletedV1,
    training_events.ApprenticeshipStartedV1,
    training_events.ApprenticeshipCompletedV1,
    training_events.ResidentDataErasedV1,
)
KEY_ROLES = ("operator", "institution", "village_admin", "agency", "company", "service")


def build_broker(settings: Settings) -> RabbitBroker:
    broker = make_broker(settings.amqp_url, service=SERVICE, prefetch=settings.prefetch)
    broker.include_router(handlers.router)
    document_publications(broker, PUBLISHES)
    return broker


async def _housekeeping(pool: asyncpg.Pool, interval: float) -> None:
    """Forget old outbox and inbox rows."""
    while True:
        try:
            async with pool.acquire() as conn:
                await outbox.purge(conn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("housekeeping skipped: %s", type(exc).__name__)
        await asyncio.sleep(interval)


async def check_key_scope(conn: asyncpg.Connection, role: str, scope: dict[str, str]) -> str | None:
    """A key for an institution or a company names one this service knows."""
    known = {
        "institution": ("institution_id", "SELECT 1 FROM institution WHERE institution_id = $1"),
        "company": ("company_id", "SELECT 1 FROM company WHERE company_id = $1"),
    }
    if role not in known or known[role][0] not in scope:
        return None
    name, query = known[role]
    try:
        value = UUID(scope[name])
    except ValueError:
        return f"{name} is not a UUID"
    if await conn.fetchval(query, value):
        return None
    if role == "institution":
        return "Lembaga tidak ditemukan / no such institution"
    return "Perusahaan mitra tidak dikenal / no such verified partner company"


# What answers without a key: the probes, the metrics and the documentation pages. Generous for
# an orchestrator's probes and a scraper, a wall for a flood (a /ready asks the database).
PUBLIC_PATHS = (
    "/health", "/ready", "/metrics", "/asyncapi", "/asyncapi.json", "/openapi.json", "/docs",
    "/redoc",
)  # fmt: skip
PUBLIC_LIMIT = RateLimit("600/minute", name="training-public")


async def limit_public(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    path = request.url.path
    if path in PUBLIC_PATHS or path.startswith(tuple(p + "/" for p in PUBLIC_PATHS)):
        try:
            await PUBLIC_LIMIT(request)
        except HTTPException as refused:
            return JSONResponse(
                {"detail": refused.detail}, status_code=refused.status_code, headers=refused.headers
            )
    return await call_next(request)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    broker = build_broker(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            settings.database_url, min_size=2, max_size=10, init=repository.init_connection
        )
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
        broker.context.set_global("pool", pool)
        await broker.connect()
        await declare_topology(broker, service=SERVICE)
        await broker.start()
        app.state.pool = pool
        tasks = [
            asyncio.create_task(OutboxRelay(pool, broker, service=SERVICE).run()),
            asyncio.create_task(_housekeeping(pool, settings.housekeeping_interval_seconds)),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broker.stop()
            await pool.close()

    app = FastAPI(
        title="Kerja Lokal: training",
        version="1.0.0",
        description="Pelatihan kerja dan pemagangan (vocational training and apprenticeships) "
        "with BLK, LPK, BLK Komunitas and UPK: programmes, sessions (angkatan), the ready-for-"
        "training pool, enrollment with a waiting list, attendance, completion and certification,"
        " outcomes and skills demand.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.broker = broker
    app.state.auth = AuthConfig(service=SERVICE, operator_token=settings.operator_token)
    app.middleware("http")(limit_public)
    app.add_middleware(SecurityHeaders)  # outermost: a 429 gets the headers too
    app.include_router(api.router)
    install_key_admin(app, service=SERVICE, roles=KEY_ROLES, check_scope=check_key_scope)
    api.install_error_handlers(app)
    install_operations(app, broker, service=SERVICE)
    return app


def app_from_env() -> FastAPI:
    configure_logging()
    return create_app()
