"""Composition root: settings in, a running service out. Nothing is built at import time."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from kerjalokal.auth.admin import install_key_admin
from kerjalokal.auth.fastapi import AuthConfig
from kerjalokal.auth.web import SecurityHeaders
from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.events import registry as registry_events
from kerjalokal.logging import configure_logging, quiet_wire_loggers
from kerjalokal.messaging import (
    OutboxRelay,
    declare_topology,
    document_publications,
    make_broker,
    outbox,
)
from kerjalokal.operations import install_operations
from kerjalokal.reference import desa, kecamatan

from . import api, handlers, imports, repository, services
from .config import Settings
from .crypto import PersonalDataCipher

SERVICE = "registry"
KEY_ROLES = ("operator", "village_admin", "agency", "service")
MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(SERVICE)
PUBLISHES = (
    registry_events.ResidentRegisteredV1,
    registry_events.ResidentVerifiedV1,
    registry_events.ResidentProfileUpdatedV1,
    registry_events.ResidentStatusChangedV1,
    registry_events.ResidentContactChangedV1,
    registry_events.ResidentIdentityRecordedV1,
    registry_events.ResidentErasedV1,
)


def build_broker(settings: Settings) -> RabbitBroker:
    broker = make_broker(settings.amqp_url, service=SERVICE, prefetch=settings.prefetch)
    broker.include_router(handlers.router)
    document_publications(broker, PUBLISHES)
    return broker


async def _housekeeping(pool: asyncpg.Pool, interval: float) -> None:
    """Lapse and expire AK/1 cards when due; forget old outbox and inbox rows."""
    while True:
        try:
            async with pool.acquire() as conn:
                moved = await services.sweep(conn, now=datetime.now(UTC))
                await outbox.purge(conn)
            if moved:
                log.info("status sweep moved %d residents", moved)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("housekeeping skipped: %s", type(exc).__name__)
        await asyncio.sleep(interval)


async def check_key_scope(_: asyncpg.Connection, role: str, scope: dict[str, str]) -> str | None:
    """A village admin's key names a desa or kecamatan that exists (Kepmendagri codes)."""
    if (code := scope.get("desa_kode")) and desa(code) is None:
        return f"desa_kode {code} tidak dikenal / unknown desa code"
    if (code := scope.get("kecamatan_kode")) and kecamatan(code) is None:
        return f"kecamatan_kode {code} tidak dikenal / unknown kecamatan code"
    return None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    quiet_wire_loggers()
    broker = build_broker(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            settings.database_url, min_size=2, max_size=10, init=repository.init_connection
        )
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
        if interrupted := await imports.fail_interrupted(pool):
            log.warning("%d import job(s) stopped by the last shutdown marked failed", interrupted)
        broker.context.set_global("pool", pool)
        await broker.connect()
        await declare_topology(broker, service=SERVICE)
        await broker.start()
        app.state.pool = pool
        app.state.background = set()
        tasks = [
            asyncio.create_task(OutboxRelay(pool, broker, service=SERVICE).run()),
            asyncio.create_task(_housekeeping(pool, settings.sweep_interval_seconds)),
        ]
        try:
            yield
        finally:
            for task in [*tasks, *app.state.background]:
                task.cancel()
            for task in [*tasks, *app.state.background]:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broker.stop()
            await pool.close()

    app = FastAPI(
        title="Kerja Lokal: registry",
        version="1.0.0",
        description="Pencari kerja (job seekers) of Kabupaten Bekasi: registration with NIK "
        "checks, KTP domicile, AK/1 card, profile and status.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.auth = AuthConfig(service=SERVICE, operator_token=settings.operator_token)
    app.state.broker = broker
    app.state.cipher = PersonalDataCipher(
        hmac_key=settings.nik_hmac_key.get_secret_value(),
        data_key=settings.data_key.get_secret_value(),
        lookup_key=settings.nik_lookup_key.get_secret_value(),
    )
    app.include_router(api.router)
    install_key_admin(app, service=SERVICE, roles=KEY_ROLES, check_scope=check_key_scope)
    api.install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    install_operations(app, broker, service=SERVICE)
    return app


def app_from_env() -> FastAPI:
    configure_logging()
    return create_app()
