import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from console.config import Settings
from console.main import create_app
from kerjalokal.auth.web import reset_rate_limits
from kerjalokal.events import Event
from kerjalokal.messaging.envelope import ce_headers

OPERATOR = {"Authorization": "Bearer test-operator"}


def settings_for(database_url: str, amqp_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "CONSOLE_DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "OPERATOR_TOKEN": "test-operator",
        "CONSOLE_SAMPLE_INTERVAL": 0.3,
        "CONSOLE_DRAIN_INTERVAL": 0.3,
        "CONSOLE_USE_RABBITMQCTL": False,
    }
    return Settings(**(values | overrides))


class Publisher:
    """Publishes events as the outbox relay does: CloudEvents headers, persistent, confirmed."""

    def __init__(self, amqp_url: str) -> None:
        self.url = amqp_url
        self.sent = 0

    async def __aenter__(self) -> "Publisher":
        self.connection = await aio_pika.connect(self.url)
        self.channel = await self.connection.channel(publisher_confirms=True)
        self.exchange = await self.channel.get_exchange("kerjalokal.events", ensure=False)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.connection.close()

    async def event(self, event: Event, *, event_id: str | None = None) -> str:
        event_id = event_id or str(uuid.uuid4())
        await self.raw(
            event.TYPE, event.model_dump_json().encode(), event_id=event_id, subject=event.subject
        )
        return event_id

    async def raw(
        self, routing_key: str, body: bytes, *, event_id: str, subject: str = "x"
    ) -> None:
        headers = ce_headers(
            event_id=uuid.UUID(event_id) if len(event_id) == 36 else uuid.uuid4(),
            event_type=routing_key,
            service=routing_key.split(".")[0],
            subject=subject,
            time=datetime.now(UTC),
        ) | {"ce-id": event_id}
        await self.exchange.publish(
            aio_pika.Message(
                body,
                headers=headers,
                message_id=event_id,
                type=routing_key,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )
        self.sent += 1


def example(event: type[Event], **changes: Any) -> Any:
    payload = json.loads(event.example().model_dump_json()) | changes
    return event.model_validate(payload)


async def wait_until(check: Callable[[], Any], *, timeout: float = 20.0) -> Any:
    async with asyncio.timeout(timeout):
        while True:
            if result := await check():
                return result
            await asyncio.sleep(0.1)


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    reset_rate_limits()


@pytest.fixture
async def settings(fresh_database, vhost_url) -> Settings:
    return settings_for(await fresh_database(), vhost_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://console", headers=OPERATOR
    ) as http:
        yield http


@pytest.fixture
async def publisher(app: FastAPI, settings: Settings) -> AsyncIterator[Publisher]:
    async with Publisher(settings.amqp_url) as p:
        yield p


async def applied_up_to(client: httpx.AsyncClient, offset: int) -> dict[str, Any]:
    async def check() -> Any:
        position = (await client.get("/api/projection")).json()
        last = position.get("last_offset")
        return position if last is not None and last >= offset else None

    result: dict[str, Any] = await wait_until(check)
    return result
