"""The chassis against the real RabbitMQ and PostgreSQL: what the reliability promises rest on."""

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import aio_pika
import asyncpg
import pytest
from faststream.rabbit import RabbitBroker, RabbitMessage, RabbitQueue

from kerjalokal.db.migrate import chassis_migrations, migrate
from kerjalokal.events.registry import ResidentContactChangedV1
from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.messaging import (
    EVENTS,
    OutboxRelay,
    consumer_queue,
    declare_topology,
    inbox,
    make_broker,
    outbox,
)
from kerjalokal.messaging.consumer import MAX_ATTEMPTS
from kerjalokal.testing.proxy import TcpProxy

pytestmark = pytest.mark.integration
SERVICE = "chassistest"


def hired(**overrides: object) -> ResidentHiredV1:
    fields = {
        "hire_id": uuid4(),
        "resident_id": uuid4(),
        "company_id": uuid4(),
        "start_date": date(2026, 12, 1),
        "contract_type": "pkwt",
        "source": "application",
        "is_local": True,
        "hired_at": datetime.now(UTC),
    }
    return ResidentHiredV1.model_validate(fields | overrides)


@dataclass
class Rig:
    pool: asyncpg.Pool
    amqp_url: str
    seen: list[str]
    headers: list[dict]


@pytest.fixture
async def rig(fresh_database, vhost_url) -> AsyncIterator[Rig]:
    url = await fresh_database()
    pool = await asyncpg.create_pool(url, min_size=1, max_size=5)
    async with pool.acquire() as conn:
        await migrate(conn, chassis_migrations())
        await conn.execute("CREATE TABLE effect (event_id uuid, hire_id uuid, at timestamptz)")
    yield Rig(pool=pool, amqp_url=vhost_url, seen=[], headers=[])
    await pool.close()


def consuming_broker(
    rig: Rig, *, fail: type[Exception] | None = None, times: int = 0
) -> RabbitBroker:
    broker = make_broker(rig.amqp_url, service=SERVICE, retry_backoff=0.01)
    failures = {"left": times}

    @broker.subscriber(consumer_queue(SERVICE, "resident_hired", ResidentHiredV1), EVENTS)
    async def on_hired(event: ResidentHiredV1, msg: RabbitMessage) -> None:
        rig.seen.append(str(event.hire_id))
        rig.headers.append(dict(msg.headers) | {"message_id": msg.message_id})
        if fail and failures["left"] != 0:
            failures["left"] -= 1
            raise fail("boom")

        async def apply(conn: asyncpg.Connection) -> None:
            await conn.execute(
                "INSERT INTO effect VALUES ($1, $2, now())", msg.message_id, event.hire_id
            )

        await inbox.handle_once(rig.pool, consumer="on_hired", event_id=msg.message_id, apply=apply)

    return broker


async def effects(rig: Rig) -> list[str]:
    rows = await rig.pool.fetch("SELECT hire_id FROM effect ORDER BY at")
    return [str(r["hire_id"]) for r in rows]


async def commit(rig: Rig, *events: ResidentHiredV1) -> None:
    async with rig.pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, *events)


async def eventually(check, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


async def dead_letters(amqp_url: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(f"{SERVICE}.dlq")
        found = []
        while message := await queue.get(fail=False, no_ack=True):
            found.append(message)
        return found


async def publish_raw(amqp_url: str, body: bytes, *, message_id: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS.name)
        await exchange.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=ResidentHiredV1.TYPE,
        )


async def start(broker: RabbitBroker) -> None:
    await broker.connect()
    await declare_topology(broker, service=SERVICE)
    await broker.start()


async def test_committed_events_reach_the_consumer_with_cloudevents_headers(rig: Rig) -> None:
    broker = consuming_broker(rig)
    relay = OutboxRelay(rig.pool, broker, service=SERVICE, poll_interval=0.1)
    async with broker:
        await start(broker)
        task = asyncio.create_task(relay.run())
        events = [hired() for _ in range(3)]
        await commit(rig, *events)
        await eventually(lambda: _count(rig, 3))
        task.cancel()
    assert sorted(await effects(rig)) == sorted(str(e.hire_id) for e in events)
    assert await rig.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    headers = rig.headers[0]
    assert headers["ce-specversion"] == "1.0"
    assert headers["ce-type"] == "vacancies.resident_hired.v1"
    assert headers["ce-source"] == f"/kerjalokal/{SERVICE}"
    assert headers["ce-id"] == headers["message_id"]
    assert headers["ce-subject"] in {str(e.hire_id) for e in events}
    assert datetime.fromisoformat(headers["ce-time"]).tzinfo is not None


async def _count(rig: Rig, n: int) -> bool:
    return await rig.pool.fetchval("SELECT count(*) FROM effect") >= n


async def test_an_event_committed_while_the_broker_is_unreachable_arrives_after_it_returns(
    rig: Rig,
) -> None:
    parts = urlsplit(rig.amqp_url)
    proxy = await TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672).start()
    proxied = urlunsplit(
        parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}")
    )
    publisher = make_broker(proxied, service=SERVICE)
    consumer = consuming_broker(rig)
    relay = OutboxRelay(rig.pool, publisher, service=SERVICE, poll_interval=0.2, publish_timeout=2)
    async with consumer, publisher:
        await start(consumer)
        await publisher.connect()
        task = asyncio.create_task(relay.run())
        await proxy.cut()
        event = hired()
        await commit(rig, event)
        await asyncio.sleep(2)
        assert await effects(rig) == []
        assert (
            await rig.pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1
        )
        await proxy.restore()
        await eventually(lambda: _count(rig, 1), timeout=30)
        task.cancel()
    assert await effects(rig) == [str(event.hire_id)]
    await proxy.cut()


async def test_a_redelivered_event_changes_nothing(rig: Rig) -> None:
    broker = consuming_broker(rig)
    event = hired()
    message_id = str(uuid4())
    async with broker:
        await start(broker)
        for _ in range(3):
            await publish_raw(rig.amqp_url, event.model_dump_json().encode(), message_id=message_id)
        await eventually(lambda: _seen(rig, 3))
        await asyncio.sleep(0.3)
    assert await effects(rig) == [str(event.hire_id)]


async def _seen(rig: Rig, n: int) -> bool:
    return len(rig.seen) >= n


async def test_a_schema_invalid_message_is_dead_lettered_at_once_and_the_next_goes_through(
    rig: Rig,
) -> None:
    broker = consuming_broker(rig)
    good = hired()
    invalid = json.loads(hired().model_dump_json()) | {"contract_type": "borongan"}
    async with broker:
        await start(broker)
        await publish_raw(rig.amqp_url, b"not json at all", message_id="poison-1")
        await publish_raw(rig.amqp_url, json.dumps(invalid).encode(), message_id="poison-2")
        await publish_raw(rig.amqp_url, good.model_dump_json().encode(), message_id=str(uuid4()))
        await eventually(lambda: _count(rig, 1))
        await asyncio.sleep(0.5)
    letters = await dead_letters(rig.amqp_url)
    assert sorted(m.message_id for m in letters) == ["poison-1", "poison-2"]
    for letter in letters:
        assert letter.headers["x-kerjalokal-reason"] == "unreadable"
        assert letter.headers["x-kerjalokal-attempts"] == 1
        assert letter.headers["x-kerjalokal-queue"] == f"{SERVICE}.resident_hired"
        assert letter.headers["x-kerjalokal-routing-key"] == ResidentHiredV1.TYPE
    by_id = {m.message_id: m for m in letters}
    assert "contract_type" in by_id["poison-2"].headers["x-kerjalokal-error"]
    assert "borongan" not in by_id["poison-2"].headers["x-kerjalokal-error"]
    assert await effects(rig) == [str(good.hire_id)]


async def test_a_failing_handler_is_retried_then_dead_lettered_with_its_reason(rig: Rig) -> None:
    broker = consuming_broker(rig, fail=RuntimeError, times=-1)
    event = hired()
    async with broker:
        await start(broker)
        await publish_raw(rig.amqp_url, event.model_dump_json().encode(), message_id="always-fails")
        await eventually(lambda: _dead(rig.amqp_url, 1), timeout=30)
    assert rig.seen == [str(event.hire_id)] * MAX_ATTEMPTS
    assert await effects(rig) == []


async def _dead(amqp_url: str, n: int) -> bool:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(f"{SERVICE}.dlq", passive=True)
        if queue.declaration_result.message_count < n:
            return False
        message = await queue.get(no_ack=True)
        assert message.headers["x-kerjalokal-reason"] == "failed"
        assert message.headers["x-kerjalokal-attempts"] == MAX_ATTEMPTS
        assert "RuntimeError: boom" in message.headers["x-kerjalokal-error"]
        return True


@pytest.mark.parametrize(
    "failure",
    # the database unreachable; a transaction PostgreSQL rolled back to break a deadlock
    [ConnectionRefusedError, asyncpg.DeadlockDetectedError],
)
async def test_a_dependency_outage_is_waited_out_not_dead_lettered(
    rig: Rig, failure: type[Exception]
) -> None:
    broker = consuming_broker(rig, fail=failure, times=MAX_ATTEMPTS + 3)
    event = hired()
    async with broker:
        await start(broker)
        await publish_raw(rig.amqp_url, event.model_dump_json().encode(), message_id=str(uuid4()))
        await eventually(lambda: _count(rig, 1), timeout=30)
    assert await effects(rig) == [str(event.hire_id)]
    assert await dead_letters(rig.amqp_url) == []


async def ordered_queue(broker: RabbitBroker) -> RabbitQueue:
    """The platform topology and a consumer queue of resident_hired that only the test drains,
    to read what the relay published in the order the broker queued it."""
    await broker.connect()
    await declare_topology(broker, service=SERVICE)
    queue = consumer_queue(SERVICE, "ordered", ResidentHiredV1)
    await (await broker.declare_queue(queue)).bind(EVENTS.name, routing_key=queue.routing_key)
    return queue


async def test_events_of_one_aggregate_are_published_in_outbox_order(rig: Rig) -> None:
    broker = make_broker(rig.amqp_url, service=SERVICE)
    relay = OutboxRelay(rig.pool, broker, service=SERVICE, batch_size=200, poll_interval=0.1)
    resident = uuid4()
    events = [hired(resident_id=resident) for _ in range(600)]
    for chunk in range(0, 600, 100):
        await commit(rig, *events[chunk : chunk + 100])
    async with broker:
        queue = await ordered_queue(broker)
        async with rig.pool.acquire() as conn:
            while await relay.relay_once(conn):
                pass
    received = [json.loads(m.body)["hire_id"] for m in await drain(rig.amqp_url, queue.name)]
    assert received == [str(e.hire_id) for e in events]


class FlakyRelay(OutboxRelay):
    """A relay whose first publish of one event fails, as during a broker restart."""

    def __init__(self, *args: Any, failing: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failing = failing

    async def _publish(self, row: asyncpg.Record) -> None:
        if str(row["event_id"]) == self.failing:
            self.failing = ""
            raise ConnectionResetError("the broker went away")
        await super()._publish(row)


async def test_a_failed_publish_is_not_overtaken_by_its_aggregates_next_event(rig: Rig) -> None:
    broker = make_broker(rig.amqp_url, service=SERVICE)
    first, second = uuid4(), uuid4()  # two hires (the subject of resident_hired)
    await commit(rig, hired(hire_id=first), hired(hire_id=second), hired(hire_id=first))
    ids = [
        str(r["event_id"]) for r in await rig.pool.fetch("SELECT event_id FROM outbox ORDER BY seq")
    ]
    relay = FlakyRelay(rig.pool, broker, service=SERVICE, poll_interval=0.01, failing=ids[0])
    async with broker:
        queue = await ordered_queue(broker)
        async with rig.pool.acquire() as conn:
            assert await relay.relay_once(conn) == 2  # one event per hire in flight, one failed
            while await relay.relay_once(conn):
                pass
    received = [m.message_id for m in await drain(rig.amqp_url, queue.name)]
    assert [r for r in received if r in (ids[0], ids[2])] == [ids[0], ids[2]]
    assert sorted(received) == sorted(ids)  # each once


async def test_an_aggregates_events_leave_in_commit_order_when_transactions_overlap(
    rig: Rig,
) -> None:
    """Two transactions add events of one aggregate at once: the one that took the lower
    sequence number commits last unless the second waits for it (then the relay, running in
    between, would send the higher number first)."""
    broker = make_broker(rig.amqp_url, service=SERVICE)
    relay = OutboxRelay(rig.pool, broker, service=SERVICE, poll_interval=0.01)
    hire = uuid4()
    first, second = hired(hire_id=hire), hired(hire_id=hire)
    async with broker:
        queue = await ordered_queue(broker)
        async with rig.pool.acquire() as early, rig.pool.acquire() as relaying:
            tx = early.transaction()
            await tx.start()
            await outbox.add(early, first)  # the lower sequence number, not committed yet
            later = asyncio.create_task(commit(rig, second))
            await asyncio.sleep(0.3)
            assert not later.done(), "the second transaction did not wait for the first"
            assert await relay.relay_once(relaying) == 0
            await tx.commit()
            await asyncio.wait_for(later, 5)
            while await relay.relay_once(relaying):
                pass
    received = [m.message_id for m in await drain(rig.amqp_url, queue.name)]
    ids = [
        str(r["event_id"]) for r in await rig.pool.fetch("SELECT event_id FROM outbox ORDER BY seq")
    ]
    assert len(ids) == 2
    assert received == ids


async def test_one_lock_per_aggregate_and_none_for_aggregates_created_in_the_transaction(
    rig: Rig,
) -> None:
    hire, other = uuid4(), uuid4()
    held = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
        " AND pid = pg_backend_pid() AND granted"
    )
    async with rig.pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, hired(hire_id=hire), hired(hire_id=hire), hired(hire_id=other))
        await outbox.add(conn, hired(hire_id=hire))  # already held: no second lock
        assert await conn.fetchval(held) == 2
    async with rig.pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, *(hired() for _ in range(2000)), created=True)
        assert await conn.fetchval(held) == 0
    assert await rig.pool.fetchval("SELECT count(*) FROM outbox") == 2004


async def drain(amqp_url: str, queue_name: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.get_queue(queue_name)
        found = []
        while message := await queue.get(fail=False, no_ack=True):
            found.append(message)
        return found


async def test_every_event_enters_the_log_and_unroutable_ones_are_kept(rig: Rig) -> None:
    contact = ResidentContactChangedV1.example()
    event = hired()
    broker = make_broker(rig.amqp_url, service=SERVICE)
    async with broker:
        await broker.connect()
        await declare_topology(broker, service=SERVICE)
        await commit(rig, event, contact)
        async with rig.pool.acquire() as conn:
            assert await OutboxRelay(rig.pool, broker, service=SERVICE).relay_once(conn) == 2
    unrouted = await drain(rig.amqp_url, "kerjalokal.unrouted")
    assert [m.routing_key for m in unrouted] == [ResidentContactChangedV1.TYPE]
    assert [m.message_id for m in await read_log(rig.amqp_url)] == [
        str(
            await rig.pool.fetchval("SELECT event_id FROM outbox WHERE event_type = $1", event.TYPE)
        )
    ]


async def read_log(amqp_url: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=100)
        queue = await channel.get_queue("kerjalokal.events.log")
        found: list[aio_pika.abc.AbstractIncomingMessage] = []
        async with queue.iterator(arguments={"x-stream-offset": "first"}) as messages:
            try:
                async with asyncio.timeout(2):
                    async for message in messages:
                        found.append(message)
                        await message.ack()
            except TimeoutError:
                pass
        return found


async def test_purge_forgets_old_published_events_and_inbox_keys_only(rig: Rig) -> None:
    await commit(rig, hired(), hired(), hired())
    await rig.pool.execute(
        "UPDATE outbox SET published_at = now() - interval '8 days'"
        " WHERE seq = (SELECT min(seq) FROM outbox)"
    )
    await rig.pool.execute(
        "UPDATE outbox SET published_at = now() WHERE seq = (SELECT max(seq) FROM outbox)"
    )
    await rig.pool.execute(
        "INSERT INTO inbox (consumer, event_id, processed_at) VALUES"
        " ('c', 'old', now() - interval '31 days'), ('c', 'recent', now())"
    )
    async with rig.pool.acquire() as conn:
        assert await outbox.purge(conn) == 2
        waiting, oldest = await outbox.lag(conn)
    assert await rig.pool.fetchval("SELECT count(*) FROM outbox") == 2
    assert await rig.pool.fetchval("SELECT array_agg(event_id) FROM inbox") == ["recent"]
    assert waiting == 1
    assert oldest >= 0
