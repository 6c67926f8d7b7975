"""Composition root: settings in, a running service out. Nothing is built at import time."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker
from prometheus_client import Gauge

from kerjalokal.auth.admin import install_key_admin
from kerjalokal.auth.fastapi import AuthConfig
from kerjalokal.auth.web import SecurityHeaders
from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.events import vacancies as ev
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
from .domain.placement import NikLookup
from .matching import SeekerIndex
from .principals import SYSTEM
from .services import companies, matching, vacancies

SERVICE = "vacancies"
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(SERVICE)
INDEXED = Gauge("kerjalokal_vacancies_indexed_seekers", "Seekers in the matching index")
PUBLISHES = (
    ev.CompanyRegisteredV1,
    ev.CompanyVerifiedV1,
    ev.PartnershipSignedV1,
    ev.VacancyPublishedV1,
    ev.VacancyUpdatedV1,
    ev.VacancyClosedV1,
    ev.CandidatesMatchedV1,
    ev.ApplicationSubmittedV1,
    ev.ApplicationStatusChangedV1,
    ev.ResidentHiredV1,
    ev.ResidentDataErasedV1,
)
KEY_ROLES = ("operator", "company", "village_admin", "agency", "institution", "service")
_OUTAGES = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)
STOP_TIMEOUT = 5.0


def build_broker(settings: Settings) -> RabbitBroker:
    broker = make_broker(settings.amqp_url, service=SERVICE, prefetch=settings.prefetch)
    broker.include_router(handlers.router)
    document_publications(broker, PUBLISHES)
    return broker


async def _housekeeping(pool: asyncpg.Pool, interval: float) -> None:
    """Expire published vacancies past their validity; forget old outbox and inbox rows."""
    while True:
        try:
            async with pool.acquire() as conn:
                expired = await vacancies.expire_due(conn, actor=SYSTEM, now=datetime.now(UTC))
                await outbox.purge(conn)
            if expired:
                log.info("expired %d vacancies", expired)
        except _OUTAGES as exc:
            log.warning("housekeeping skipped: %s", type(exc).__name__)
        await asyncio.sleep(interval)


async def _refresh(pool: asyncpg.Pool, index: SeekerIndex, interval: float) -> None:
    """Learn seeker changes this replica did not consume itself."""
    while True:
        await asyncio.sleep(interval)
        try:
            async with pool.acquire() as conn:
                await matching.load_index(conn, index)
            INDEXED.set(len(index))
        except _OUTAGES as exc:
            log.warning("index refresh skipped: %s", type(exc).__name__)


async def _stop(tasks: list[asyncio.Task[None]], broker: RabbitBroker, pool: asyncpg.Pool) -> None:
    """Stop within bounds. The outbox relay has been seen to take 30 s and more to honour its
    cancellation when cancelled mid-query under load; its rows are safe (unsent ones go out at
    the next start), so a shutdown does not wait for it forever."""
    for task in tasks:
        task.cancel()
    _, pending = await asyncio.wait(tasks, timeout=STOP_TIMEOUT)
    if pending:
        log.warning("%d background task(s) did not stop in time", len(pending))
    await broker.stop()
    try:
        await asyncio.wait_for(pool.close(), STOP_TIMEOUT)
    except TimeoutError:
        log.warning("database connections still busy at shutdown: closing them")
        pool.terminate()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    broker = build_broker(settings)
    index = SeekerIndex()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            settings.database_url, min_size=2, max_size=10, init=repository.init_connection
        )
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
            loaded = await matching.load_index(conn, index)
        INDEXED.set(len(index))
        log.info("matching index loaded with %d seekers", loaded)
        broker.context.set_global("pool", pool)
        broker.context.set_global("index", index)
        await broker.connect()
        await declare_topology(broker, service=SERVICE)
        await broker.start()
        app.state.pool = pool
        tasks = [
            asyncio.create_task(OutboxRelay(pool, broker, service=SERVICE).run()),
            asyncio.create_task(_housekeeping(pool, settings.sweep_interval_seconds)),
            asyncio.create_task(_refresh(pool, index, settings.index_refresh_seconds)),
        ]
        try:
            yield
        finally:
            await _stop(tasks, broker, pool)

    app = FastAPI(
        title="Kerja Lokal: vacancies",
        version="1.0.0",
        description="Partner companies and their local-hire commitments, vacancies (Perpres"
        " 57/2023) with a non-discrimination check and review, matching of job seekers,"
        " applications, hires and placement reports, and the office's figures.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth = AuthConfig(service=SERVICE, operator_token=settings.operator_token)
    app.state.broker = broker
    app.state.index = index
    app.state.nik_lookup = NikLookup(settings.nik_lookup_key.get_secret_value())
    app.include_router(api.router)
    install_key_admin(app, service=SERVICE, roles=KEY_ROLES, check_scope=companies.check_key_scope)
    api.install_error_handlers(app)
    install_operations(app, broker, service=SERVICE)
    app.add_middleware(SecurityHeaders)
    return app


def app_from_env() -> FastAPI:
    configure_logging()
    return create_app()
