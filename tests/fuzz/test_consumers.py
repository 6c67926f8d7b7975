"""Every service's consumers fed hypothesis-generated events on the real broker.

Each service runs as in its own tests (its app and consumers on a fresh database and vhost). For
every queue it consumes, the test publishes, as the producers' outbox relays do (CloudEvents
headers, persistent, message id = event id):
- valid payloads generated from the event's committed JSON Schema;
- invalid ones made from valid ones: a required field missing, a field of the wrong JSON type, an
  enum value that does not exist, JSON that is not an object, bytes that are not JSON, a valid
  payload sent as text/plain;
and then one ordinary event (the schema's example with fresh ids) behind them all.

It asserts: every invalid message is in the service's dead-letter queue (`<service>.dlq`) with the
chassis' reason headers (`x-kerjalokal-reason`, `x-kerjalokal-error`, `x-kerjalokal-queue`); no
valid one is dead-lettered; every valid one and the last ordinary one were consumed (their inbox
row exists), so the consumer kept running. The console reads the event log stream instead of a
queue: its dead letters are rows in its own `dead_letter` table (service 'console').
"""

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import aio_pika
import asyncpg
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fuzz_payloads import Poison, draw, invalid, valid
from fuzz_services import OPERATOR, SERVICES, budget

from kerjalokal.events import EVENT_TYPES
from kerjalokal.testing.factories import registration

VALID = budget(6)  # per consumer
INVALID = budget(12)  # per consumer
SETTLE = 120.0 + 2 * INVALID  # seconds for a service to settle everything published to it

pytestmark = [pytest.mark.integration, pytest.mark.timeout(int(SETTLE) + 600)]


@dataclass(frozen=True)
class Consumer:
    queue: str
    event_type: str
    exchange: str


def consumers_of(service: str) -> list[Consumer]:
    handlers = SERVICES[service].handlers()
    assert handlers is not None
    found = [
        Consumer(s.queue.name, s.queue.routing_key, s.exchange.name)
        for s in handlers.router.subscribers
    ]
    assert found, f"{service} has no consumers"
    return found


@dataclass
class Sent:
    valid: dict[str, Consumer] = field(default_factory=dict)
    invalid: dict[str, tuple[Consumer, Poison]] = field(default_factory=dict)
    last: dict[str, Consumer] = field(default_factory=dict)


async def publish(
    channel: aio_pika.abc.AbstractChannel, consumer: Consumer, body: bytes, content_type: str
) -> str:
    message_id = str(uuid4())
    exchange = await channel.get_exchange(consumer.exchange, ensure=False)
    await exchange.publish(
        aio_pika.Message(
            body,
            message_id=message_id,
            content_type=content_type,
            type=consumer.event_type,
            headers={
                "ce-specversion": "1.0",
                "ce-id": message_id,
                "ce-type": consumer.event_type,
                "ce-source": f"/kerjalokal/{consumer.event_type.split('.')[0]}",
            },
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        ),
        routing_key=consumer.event_type,
    )
    return message_id


def example(event_type: str) -> dict[str, Any]:
    """The schema's example with fresh ids: an ordinary event nobody has seen yet."""
    payload: dict[str, Any] = json.loads(EVENT_TYPES[event_type].example().model_dump_json())
    for name, value in payload.items():
        if name.endswith("_id") and isinstance(value, str) and len(value) == 36:
            payload[name] = str(uuid4())
    return payload


Prepare = Callable[[dict[str, Any]], dict[str, Any]]


def realistic(payload: dict[str, Any]) -> dict[str, Any]:
    """What the schema cannot say but every producer guarantees: a NIK lookup hash is unique to
    its resident (the registry keeps one resident per NIK)."""
    if "nik_lookup" in payload:
        return payload | {"nik_lookup": os.urandom(32).hex()}
    return payload


async def send_all(amqp_url: str, consumers: list[Consumer], prepare: Prepare) -> Sent:
    sent = Sent()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        for consumer in consumers:
            for payload in draw(valid(consumer.event_type), VALID):
                body = json.dumps(prepare(realistic(payload))).encode()
                sent.valid[await publish(channel, consumer, body, "application/json")] = consumer
            for poison in draw(invalid(consumer.event_type), INVALID):
                message_id = await publish(channel, consumer, poison.body, poison.content_type)
                sent.invalid[message_id] = (consumer, poison)
        for consumer in consumers:
            body = json.dumps(prepare(realistic(example(consumer.event_type)))).encode()
            sent.last[await publish(channel, consumer, body, "application/json")] = consumer
    return sent


async def dead_letters_waiting(amqp_url: str, service: str) -> int:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{service}.dlq", passive=True)
        return int(queue.declaration_result.message_count or 0)


async def take_dead_letters(amqp_url: str, service: str) -> dict[str, dict[str, Any]]:
    """Every message in `<service>.dlq`, by message id, with its headers."""
    found: dict[str, dict[str, Any]] = {}
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        queue = await (await connection.channel()).get_queue(f"{service}.dlq", ensure=False)
        while message := await queue.get(fail=False, no_ack=True):
            found[str(message.message_id)] = dict(message.headers or {})
    return found


async def consumed(pool: asyncpg.Pool, service: str) -> set[str]:
    rows = await pool.fetch("SELECT event_id FROM inbox WHERE consumer LIKE $1", f"{service}.%")
    return {row["event_id"] for row in rows}


async def settle(check: Callable[[], Awaitable[bool]]) -> None:
    try:
        async with asyncio.timeout(SETTLE):
            while not await check():
                await asyncio.sleep(0.5)
    except TimeoutError:
        pass  # the assertions after say what is missing


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


@asynccontextmanager
async def running(service: str, database_url: str, amqp_url: str) -> AsyncIterator[FastAPI]:
    spec = SERVICES[service]
    app = spec.create_app(spec.settings(database_url, amqp_url))
    async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
        yield app


async def registered_resident(app: FastAPI) -> str:
    """The registry refuses events about a resident it never registered (a dead letter that
    says so); valid events are about a resident it knows."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as client:
        response = await client.post("/residents", json=registration(), headers=OPERATOR)
        assert response.status_code == 201, response.text
        resident_id: str = response.json()["resident_id"]
    return resident_id


@pytest.mark.parametrize("service", ["registry", "vacancies", "training", "notify"])
async def test_invalid_events_are_dead_lettered_with_a_reason_and_the_consumer_keeps_running(
    service: str, fresh_database: Any, vhost_url: str
) -> None:
    consumers = consumers_of(service)
    async with running(service, await fresh_database(), vhost_url) as app:
        prepare: Prepare = lambda payload: payload  # noqa: E731
        if service == "registry":
            resident_id = await registered_resident(app)
            prepare = lambda payload: payload | {"resident_id": resident_id}  # noqa: E731
        sent = await send_all(vhost_url, consumers, prepare)
        assert sent.valid, "no valid payload generated"
        assert sent.invalid, "no invalid payload generated"
        wanted = set(sent.valid) | set(sent.last)

        async def done() -> bool:
            waiting = await dead_letters_waiting(vhost_url, service)
            return waiting >= len(sent.invalid) and wanted <= await consumed(
                app.state.pool, service
            )

        await settle(done)
        await asyncio.sleep(0.5)  # a valid event dead-lettered late would show now
        letters = await take_dead_letters(vhost_url, service)
        seen = await consumed(app.state.pool, service)

    problems = []
    for message_id, (consumer, poison) in sent.invalid.items():
        headers = letters.get(message_id)
        if headers is None:
            problems.append(f"{consumer.queue}: invalid ({poison.why}) not dead-lettered")
            continue
        if _text(headers.get("x-kerjalokal-reason")) != "unreadable":
            problems.append(f"{consumer.queue}: {poison.why}: reason {headers!r}")
        if not _text(headers.get("x-kerjalokal-error", "")):
            problems.append(f"{consumer.queue}: {poison.why}: no error header")
        if _text(headers.get("x-kerjalokal-queue")) != consumer.queue:
            problems.append(f"{consumer.queue}: {poison.why}: queue header {headers!r}")
    for message_id, consumer in (sent.valid | sent.last).items():
        if message_id in letters:
            headers = letters[message_id]
            problems.append(
                f"{consumer.queue}: valid event dead-lettered: "
                f"{_text(headers.get('x-kerjalokal-reason'))}: "
                f"{_text(headers.get('x-kerjalokal-error'))} {headers.get('x-death') or ''}"
            )
        elif message_id not in seen:
            problems.append(f"{consumer.queue}: valid event not consumed")
    assert not problems, "\n".join(problems)
    assert set(letters) <= set(sent.invalid), "dead letters nobody sent"


@pytest.mark.parametrize("service", ["registry", "vacancies", "training", "notify"])
def test_every_consumer_retries_a_failing_handler_before_dead_lettering(service: str) -> None:
    """A router's subscribers must nack (requeue) a failure, as make_broker's policy says, so that
    the chassis retries it and dead-letters it with its reason; FastStream's default for a router
    is to reject, which the broker dead-letters at once with no reason (found by this fuzzing)."""
    from faststream import AckPolicy

    from kerjalokal.messaging import make_broker

    handlers = SERVICES[service].handlers()
    assert handlers is not None
    broker = make_broker("amqp://guest:guest@127.0.0.1:1/", service=service)
    broker.include_router(handlers.router)
    policies = {s.queue.name: s.ack_policy for s in broker.subscribers}
    assert set(policies.values()) == {AckPolicy.NACK_ON_ERROR}, policies


async def test_the_console_projector_dead_letters_invalid_events_and_keeps_reading(
    fresh_database: Any, vhost_url: str
) -> None:
    """The console reads every public event from the event log stream; an event it cannot apply
    becomes a row in its own dead-letter table with the reason, and the stream moves on. It reads
    the body as JSON whatever the content type says, so a valid body sent as text/plain is valid
    for it."""
    from console.projector import HANDLERS

    consumers = [Consumer("kerjalokal.events.log", kind, "kerjalokal.events") for kind in HANDLERS]
    assert consumers, "the console projects no event type"
    async with running("console", await fresh_database(), vhost_url) as app:
        sent = await send_all(vhost_url, consumers, lambda payload: payload)
        plain = [m for m, (_, p) in sent.invalid.items() if p.content_type != "application/json"]
        for message_id in plain:  # valid for the console, see above
            sent.valid[message_id] = sent.invalid.pop(message_id)[0]
        assert sent.valid, "no valid payload generated"
        assert sent.invalid, "no invalid payload generated"
        everything = set(sent.valid) | set(sent.invalid) | set(sent.last)
        pool: asyncpg.Pool = app.state.pool

        async def applied() -> set[str]:
            rows = await pool.fetch("SELECT event_id FROM applied_event")
            return {row["event_id"] for row in rows}

        async def done() -> bool:
            return everything <= await applied()

        await settle(done)
        await asyncio.sleep(0.5)
        seen = await applied()
        rows = await pool.fetch(
            "SELECT message_id, reason, error, queue FROM dead_letter WHERE service = 'console'"
        )
    letters = {row["message_id"]: row for row in rows}
    problems = []
    for message_id, (consumer, poison) in sent.invalid.items():
        row = letters.get(message_id)
        if row is None:
            problems.append(f"{consumer.event_type}: invalid ({poison.why}) not dead-lettered")
        elif row["reason"] != "unreadable" or not row["error"]:
            problems.append(f"{consumer.event_type}: {poison.why}: {dict(row)!r}")
    for message_id, consumer in (sent.valid | sent.last).items():
        if message_id in letters:
            row = letters[message_id]
            problems.append(
                f"{consumer.event_type}: valid event dead-lettered: {row['reason']}: {row['error']}"
            )
        elif message_id not in seen:
            problems.append(f"{consumer.event_type}: valid event not read")
    assert not problems, "\n".join(problems)
