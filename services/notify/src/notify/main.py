"""Composition root: settings in, a running service out. Nothing is built at import time."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI
from faststream.rabbit import RabbitBroker

from kerjalokal.auth.admin import install_key_admin
from kerjalokal.auth.fastapi import AuthConfig
from kerjalokal.auth.web import RateLimit, SecurityHeaders
from kerjalokal.events import notify as notify_events
from kerjalokal.logging import configure_logging
from kerjalokal.messaging import OutboxRelay, declare_topology, document_publications, make_broker
from kerjalokal.messaging import outbox as outbox_module
from kerjalokal.operations import install_operations

from . import api, handlers, pages, repository, syndication
from .config import Settings
from .crypto import ContactCipher
from .database import migrate_database
from .dispatch.providers import ClientPool, Gateway, Mailer, PhoneProvider
from .dispatch.residents import Policy, ResidentDispatcher
from .dispatch.webhooks import WebhookDispatcher, WebhookPolicy
from .domain.schedule import QuietHours
from .services import Setup

SERVICE = "notify"
log = logging.getLogger(SERVICE)
PUBLISHES = (
    notify_events.VacancyBroadcastV1,
    notify_events.NotificationSentV1,
    notify_events.NotificationFailedV1,
    notify_events.ResidentDataErasedV1,
)
ROLES = ("operator", "agency", "village_admin", "service")
EMBEDDABLE = ("/widget/",)  # village websites (OpenSID) show the widget in an iframe
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def build_broker(settings: Settings) -> RabbitBroker:
    broker = make_broker(settings.amqp_url, service=SERVICE, prefetch=settings.prefetch)
    broker.include_router(handlers.router)
    document_publications(broker, PUBLISHES)
    return broker


def setup_of(settings: Settings) -> Setup:
    return Setup(
        channels=settings.channels,
        quiet=QuietHours.parse(settings.quiet_hours),
        daily_cap=settings.daily_cap,
        public_url=settings.public_url,
    )


def _mailer(settings: Settings) -> Mailer | None:
    if not settings.smtp_host:
        return None
    return Mailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.smtp_from,
        tls=settings.smtp_tls,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
        connections=settings.smtp_connections,
        timeout=settings.send_timeout,
    )


def _phones(settings: Settings, client: ClientPool) -> dict[str, PhoneProvider]:
    token = settings.gateway_token.get_secret_value() if settings.gateway_token else None
    return {
        kind: Gateway(url, client=client, token=token, rate=settings.gateway_rate)
        for kind, url in settings.gateways.items()
    }


def _dispatchers(
    settings: Settings, pool: asyncpg.Pool, clock: Clock, gateway: ClientPool,
    hooks: httpx.AsyncClient, mailer: Mailer | None, cipher: ContactCipher,
) -> tuple[ResidentDispatcher, WebhookDispatcher]:  # fmt: skip
    policy = Policy(
        public_url=settings.public_url,
        opt_out_key=settings.opt_out_key.get_secret_value().encode(),
        quiet=QuietHours.parse(settings.quiet_hours),
        lease=settings.send_lease,
        max_attempts=settings.send_max_attempts,
        retry_base=settings.retry_base,
        retry_cap=settings.retry_cap,
    )
    batch = settings.send_batch
    if settings.gateway_rate:  # a claim must be sent well within its lease at the provider's pace
        fits = settings.gateway_rate * settings.send_lease / (2 * settings.send_workers)
        batch = max(1, min(batch, int(fits)))
    residents = ResidentDispatcher(
        pool, policy=policy, phones=_phones(settings, gateway), mailer=mailer, cipher=cipher,
        clock=clock,
        batch=batch, workers=settings.send_workers,
        concurrency=settings.send_concurrency, poll_interval=settings.poll_interval,
    )  # fmt: skip
    webhook_policy = WebhookPolicy(
        timeout=settings.webhook_timeout,
        max_attempts=settings.webhook_max_attempts,
        retry_base=settings.webhook_retry_base,
        retry_cap=settings.webhook_retry_cap,
        pause_after=settings.webhook_pause_after,
        allow_private=settings.webhook_allow_private,
    )
    webhooks = WebhookDispatcher(
        pool, client=hooks, policy=webhook_policy, clock=clock,
        lease=settings.webhook_timeout * 3 + 30, poll_interval=settings.poll_interval,
    )  # fmt: skip
    return residents, webhooks


async def _supervised(name: str, run: Callable[[], Awaitable[Any]]) -> None:
    """Keep a background loop alive through database and network outages."""
    delay = 0.5
    while True:
        try:
            return await run()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
            log.warning("%s interrupted (%s); restarting in %.1fs", name, type(exc).__name__, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)
        except Exception:
            log.exception("%s failed; restarting in %.1fs", name, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)


async def _housekeeping(pool: asyncpg.Pool) -> None:
    """Forget old outbox and inbox rows and yesterday's daily caps."""
    while True:
        try:
            async with pool.acquire() as conn:
                await outbox_module.purge(conn)
                await conn.execute("DELETE FROM daily_quota WHERE day < current_date - 2")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("housekeeping skipped: %s", type(exc).__name__)
        await asyncio.sleep(3600)


def create_app(settings: Settings | None = None, *, clock: Clock = utc_now) -> FastAPI:
    settings = settings or Settings()
    broker = build_broker(settings)
    setup = setup_of(settings)
    cipher = ContactCipher(settings.data_key.get_secret_value())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            settings.database_url, min_size=2, max_size=20, init=repository.init_connection
        )
        async with pool.acquire() as conn:
            await migrate_database(conn, cipher)
        gateway = ClientPool(connections=settings.send_concurrency, timeout=settings.send_timeout)
        hooks = httpx.AsyncClient(follow_redirects=False, timeout=settings.webhook_timeout)
        mailer = _mailer(settings)
        residents, webhooks = _dispatchers(settings, pool, clock, gateway, hooks, mailer, cipher)
        broker.context.set_global("pool", pool)
        broker.context.set_global("clock", clock)
        broker.context.set_global("setup", setup)
        broker.context.set_global("cipher", cipher)
        await broker.connect()
        await declare_topology(broker, service=SERVICE)
        await broker.start()
        app.state.pool = pool
        app.state.residents, app.state.webhooks = residents, webhooks
        senders = [
            asyncio.create_task(_supervised("resident dispatcher", residents.run)),
            asyncio.create_task(_supervised("webhook dispatcher", webhooks.run)),
        ]
        tasks = [
            *senders,
            asyncio.create_task(OutboxRelay(pool, broker, service=SERVICE).run()),
            asyncio.create_task(_housekeeping(pool)),
        ]
        try:
            yield
        finally:
            residents.stop()  # sends in hand finish and are recorded: no resend after restart
            webhooks.stop()
            await asyncio.wait(senders, timeout=settings.send_timeout + 5)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await broker.stop()
            await gateway.aclose()
            await hooks.aclose()
            if mailer is not None:
                await mailer.close()
            await pool.close()

    app = FastAPI(
        title="Kerja Lokal: notify",
        version="1.0.0",
        description="Lowongan kerja untuk semua: the public job board, feeds and widgets for "
        "every desa and kecamatan, agencies' webhooks, and messages to residents by WhatsApp, "
        "SMS and email.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock
    app.state.cipher = cipher
    app.state.auth = AuthConfig(service=SERVICE, operator_token=settings.operator_token)
    app.state.rate_limits = {
        "pages": RateLimit(settings.rate_pages, name="notify.pages"),
        "feeds": RateLimit(settings.rate_feeds, name="notify.feeds"),
        "actions": RateLimit(settings.rate_actions, name="notify.actions"),
    }
    app.state.broker = broker
    app.state.feed_cache = syndication.FeedCache()
    app.include_router(pages.router)
    app.include_router(syndication.router)
    app.include_router(api.router)
    install_key_admin(app, service=SERVICE, roles=ROLES, check_scope=api.check_key_scope)
    api.install_error_handlers(app)
    app.add_middleware(SecurityHeaders, embeddable=EMBEDDABLE)
    install_operations(app, broker, service=SERVICE)
    return app


def app_from_env() -> FastAPI:
    configure_logging()
    return create_app()
