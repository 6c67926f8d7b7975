import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from kerjalokal.auth.web import reset_rate_limits
from kerjalokal.events import Event
from kerjalokal.events.registry import ResidentContactChangedV1
from notify.config import Settings
from notify.main import create_app
from notify.testing import FakeGateway, Mailbox, WebhookReceiver

OPERATOR = {"Authorization": "Bearer test-operator"}
OPT_OUT_KEY = "test-opt-out-key"
DATA_KEY = "w3Kd0yqSFhGbS2j0B3mPqfE6XwJ8u7R2QkqgO9n3b1M="  # 32 bytes, tests only


class Clock:
    """The service's clock: real time unless a test sets `at`."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


def settings_for(database_url: str, amqp_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "NOTIFY_DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "OPERATOR_TOKEN": "test-operator",
        "NOTIFY_OPT_OUT_KEY": OPT_OUT_KEY,
        "NOTIFY_DATA_KEY": DATA_KEY,
        "NOTIFY_PUBLIC_URL": "http://notify.test",
        "NOTIFY_QUIET_HOURS": "",
        "NOTIFY_RETRY_BASE": 0.05,
        "NOTIFY_RETRY_CAP": 0.2,
        "NOTIFY_SEND_MAX_ATTEMPTS": 3,
        "NOTIFY_SEND_TIMEOUT": 2,
        "NOTIFY_POLL_INTERVAL": 0.2,
        "NOTIFY_WEBHOOK_RETRY_BASE": 0.05,
        "NOTIFY_WEBHOOK_RETRY_CAP": 0.2,
        "NOTIFY_WEBHOOK_MAX_ATTEMPTS": 3,
        "NOTIFY_WEBHOOK_TIMEOUT": 1,
        "NOTIFY_WEBHOOK_ALLOW_PRIVATE": True,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    server = FakeGateway()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    server = WebhookReceiver()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    reset_rate_limits()


@pytest.fixture
def overrides() -> dict[str, Any]:
    """Settings a test module or test changes (override the fixture)."""
    return {}


@pytest.fixture
async def settings(
    fresh_database, vhost_url, gateway: FakeGateway, mailbox: Mailbox, overrides: dict[str, Any]
) -> Settings:
    return settings_for(
        await fresh_database(),
        vhost_url,
        **{
            "WHATSAPP_GATEWAY_URL": f"{gateway.url}/whatsapp",
            "SMS_GATEWAY_URL": f"{gateway.url}/sms",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": mailbox.port,
            "SMTP_TLS": "none",
            "SMTP_FROM": "Disnaker Kabupaten Bekasi <lowongan@disnaker.test>",
        }
        | overrides,
    )


@pytest.fixture
async def app(settings: Settings, clock: Clock) -> AsyncIterator[FastAPI]:
    application = create_app(settings, clock=clock)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://notify.test") as http:
        yield http


async def publish(
    amqp_url: str, *events: Event, message_id: str = "", exchange: str = ""
) -> list[str]:
    """Publish as the producers' outbox relays do; the same `message_id` is a redelivery."""
    ids = []
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for event in events:
            default = "kerjalokal.restricted" if event.RESTRICTED else "kerjalokal.events"
            target = await channel.get_exchange(exchange or default)
            event_id = message_id or str(uuid4())
            await target.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(), message_id=event_id,
                    content_type="application/json", type=event.TYPE,
                    headers={"ce-id": event_id, "ce-type": event.TYPE},
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=event.TYPE,
            )  # fmt: skip
            ids.append(event_id)
    return ids


async def publish_raw(amqp_url: str, body: bytes, *, routing_key: str, message_id: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        target = await channel.get_exchange("kerjalokal.events")
        await target.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/json"),
            routing_key=routing_key,
        )


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 15.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


def contact(
    resident_id: UUID | None = None, *, version: int = 1, consent: bool = True,
    channels: tuple[str, ...] = ("whatsapp",), phone: str | None = None,
    email: str | None = None, name: str = "Siti Contoh",
) -> ResidentContactChangedV1:  # fmt: skip
    resident_id = resident_id or uuid4()
    return ResidentContactChangedV1(
        resident_id=resident_id, version=version, changed_at=datetime.now(UTC), full_name=name,
        phone=phone or f"+62812{resident_id.int % 10**8:08d}", email=email, consent=consent,
        channels=channels,
    )  # fmt: skip
