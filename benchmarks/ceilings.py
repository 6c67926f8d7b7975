"""The raw ceilings every other figure is compared with, measured on the same machine in the same
run: what aio-pika and asyncpg do with nothing of ours in the way.

    uv run python benchmarks/ceilings.py [--messages 20000] [--rows 100000] [--repeat 3]

- RabbitMQ: aio-pika publishing persistent messages with publisher confirms, one at a time
  (serial: each waits for its confirm) and with `--window` (500) in flight on one channel, then
  consuming them with manual acks (prefetch 32, as the chassis' consumers); the route is the
  platform's: the `kerjalokal.events` topic exchange into a quorum queue, with the event log
  stream bound to '#' receiving a copy, exactly where the outbox relay's events go;
- PostgreSQL: asyncpg COPY of outbox-shaped rows into a table without indexes, and single-row
  INSERT transactions (one commit each, the cost floor of an inbox commit);
- the latency floor: aio-pika publish (confirmed) -> consume (manual ack) at a fixed rate.

The other benchmarks import these functions and measure the ceiling they need in their own run.
Alone, this one makes a throwaway database and vhost, prints a table and writes
benchmarks/results/ceilings.json.
"""

import argparse
import asyncio
import contextlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

import aio_pika
import asyncpg
from common import figure, goal_lines, percentile, save, table, throwaway_database, throwaway_vhost

from kerjalokal.events import Event
from kerjalokal.messaging import EVENTS, consumer_queue, declare_topology, make_broker

PREFETCH = 32  # the chassis' default (make_broker)
WINDOW = 500  # the relay's batch: as many confirms in flight


class BenchTick(Event):
    """A public event of a typical size (about 400 bytes of JSON), for the benchmarks only."""

    TYPE: ClassVar[str] = "bench.tick.v1"
    SUBJECT: ClassVar[str] = "tick_id"

    tick_id: uuid.UUID
    n: int
    sent_at: datetime
    text: str


def tick(n: int = 0) -> BenchTick:
    return BenchTick(
        tick_id=uuid.uuid4(), n=n, sent_at=datetime.now(UTC), text="lowongan operator " * 18
    )


BODY = tick().model_dump_json().encode()
SINK = consumer_queue("bench", "sink", BenchTick)


async def prepare_route(amqp_url: str) -> None:
    """The platform topology in the vhost, and the quorum queue `bench.sink` bound to the events
    exchange for `bench.tick.v1`, declared exactly as a service's consumer queue."""
    broker = make_broker(amqp_url, service="bench")
    await broker.connect()
    try:
        await declare_topology(broker, service="bench")
        queue = await broker.declare_queue(SINK)
        await queue.bind(await broker.declare_exchange(EVENTS), routing_key=BenchTick.TYPE)
    finally:
        await broker.stop()


def message(n: int) -> aio_pika.Message:
    event_id = str(uuid.uuid4())
    return aio_pika.Message(
        BODY, message_id=event_id, type=BenchTick.TYPE, content_type="application/json",
        headers={"ce-id": event_id, "ce-type": BenchTick.TYPE, "ce-subject": str(n)},
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT, timestamp=datetime.now(UTC),
    )  # fmt: skip


async def purge(amqp_url: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await (await channel.get_queue(SINK.name)).purge()


async def raw_publish(amqp_url: str, count: int, *, window: int = 1) -> float:
    """Persistent messages with confirms to the sink's route, `window` confirms in flight
    (1: each publish waits for its confirm); messages per second."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(EVENTS.name)
        slots = asyncio.Semaphore(window)

        async def one(n: int) -> None:
            async with slots:
                await exchange.publish(message(n), routing_key=BenchTick.TYPE, mandatory=True)

        started = time.perf_counter()
        if window == 1:
            for n in range(count):
                await exchange.publish(message(n), routing_key=BenchTick.TYPE, mandatory=True)
        else:
            await asyncio.gather(*(one(n) for n in range(count)))
        return count / (time.perf_counter() - started)


async def raw_consume(amqp_url: str, count: int, *, prefetch: int = PREFETCH) -> float:
    """Consume `count` waiting messages from the sink with a manual ack each; messages/s."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=prefetch)
        queue = await channel.get_queue(SINK.name)
        done = asyncio.get_running_loop().create_future()
        seen = 0

        async def on_message(incoming: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            await incoming.ack()
            seen += 1
            if seen == count and not done.done():
                done.set_result(None)

        started = time.perf_counter()
        tag = await queue.consume(on_message)
        await asyncio.wait_for(done, timeout=300)
        seconds = time.perf_counter() - started
        await queue.cancel(tag)
        return count / seconds


async def raw_latency(amqp_url: str, *, rate: float, seconds: float) -> dict[str, float]:
    """aio-pika publish (persistent, confirmed) -> consume (manual ack) at a fixed rate: the
    floor under the one-hop latency. Milliseconds from the publish call to the delivery."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        publishing = await connection.channel(publisher_confirms=True)
        exchange = await publishing.get_exchange(EVENTS.name)
        consuming = await connection.channel()
        await consuming.set_qos(prefetch_count=PREFETCH)
        queue = await consuming.get_queue(SINK.name)
        sent: dict[str, float] = {}
        latencies: list[float] = []
        count = int(rate * seconds)
        done = asyncio.get_running_loop().create_future()

        async def on_message(incoming: aio_pika.abc.AbstractIncomingMessage) -> None:
            arrived = time.perf_counter()
            await incoming.ack()
            latencies.append((arrived - sent[incoming.message_id or ""]) * 1000)
            if len(latencies) == count and not done.done():
                done.set_result(arrived)

        tag = await queue.consume(on_message)
        tasks = set()
        started, cpu = time.perf_counter(), time.process_time()
        for n in range(count):
            await _sleep_until(started + n / rate)
            outgoing = message(n)
            sent[outgoing.message_id or ""] = time.perf_counter()
            task = asyncio.create_task(exchange.publish(outgoing, routing_key=BenchTick.TYPE))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        last = await asyncio.wait_for(done, timeout=60 + seconds)
        cpu = time.process_time() - cpu
        await queue.cancel(tag)
    return {
        "cpu_ms_per_event": cpu * 1000 / count,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "events_per_s": count / (last - started),
    }


async def _sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


OUTBOX_LIKE = """
    CREATE TABLE IF NOT EXISTS raw_outbox (
        event_id uuid, event_type text, exchange text, subject text, payload text,
        occurred_at timestamptz
    )
"""


async def raw_copy(db_url: str, count: int) -> float:
    """asyncpg COPY of `count` outbox-shaped rows into a table without indexes; rows/s."""
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(OUTBOX_LIKE)
        await conn.execute("TRUNCATE raw_outbox")
        now = datetime.now(UTC)
        payload = BODY.decode()
        records = [
            (uuid.uuid4(), BenchTick.TYPE, EVENTS.name, str(n), payload, now) for n in range(count)
        ]
        started = time.perf_counter()
        await conn.copy_records_to_table("raw_outbox", records=records)
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


async def raw_transactions(db_url: str, count: int) -> float:
    """`count` transactions of one INSERT each (one commit, one WAL flush each); per second."""
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE TABLE IF NOT EXISTS raw_inbox (consumer text, event_id text)")
        started = time.perf_counter()
        for n in range(count):
            async with conn.transaction():
                await conn.execute("INSERT INTO raw_inbox VALUES ('bench', $1)", str(n))
        return count / (time.perf_counter() - started)
    finally:
        await conn.close()


async def broker_ceilings(amqp_url: str, messages: int, repeat: int) -> dict[str, dict[str, Any]]:
    """Serial and windowed publish, then consume, `repeat` times: three figures."""
    serial, windowed, consumed = [], [], []
    for _ in range(repeat):
        await purge(amqp_url)
        serial.append(await raw_publish(amqp_url, max(200, messages // 20)))
        await purge(amqp_url)
        windowed.append(await raw_publish(amqp_url, messages, window=WINDOW))
        consumed.append(await raw_consume(amqp_url, messages))
    return {
        "publish_serial": figure("raw publish, confirms, serial", "msg/s", serial, digits=0),
        "publish_windowed": figure(
            f"raw publish, confirms, {WINDOW} in flight", "msg/s", windowed, digits=0
        ),
        "consume": figure(f"raw consume, manual ack, prefetch {PREFETCH}", "msg/s", consumed,
                          digits=0),
    }  # fmt: skip


async def database_ceilings(db_url: str, rows: int, repeat: int) -> dict[str, dict[str, Any]]:
    copies = [await raw_copy(db_url, rows) for _ in range(repeat)]
    transactions = [await raw_transactions(db_url, max(500, rows // 50)) for _ in range(repeat)]
    return {
        "copy": figure("raw COPY, asyncpg, no indexes", "rows/s", copies, digits=0),
        "transactions": figure("raw single-row INSERT transactions", "tx/s", transactions,
                               digits=0),
    }  # fmt: skip


async def run(messages: int, rows: int, repeat: int, rate: float) -> dict[str, Any]:
    with throwaway_vhost() as amqp_url:
        async with throwaway_database() as db_url:
            await prepare_route(amqp_url)
            figures = await broker_ceilings(amqp_url, messages, repeat)
            figures |= await database_ceilings(db_url, rows, repeat)
            await purge(amqp_url)
            hops = [await raw_latency(amqp_url, rate=rate, seconds=5) for _ in range(repeat)]
    figures["latency_p50"] = figure(
        f"raw publish->consume p50 at {rate:.0f}/s", "ms", [h["p50_ms"] for h in hops], digits=2
    )
    figures["latency_p99"] = figure(
        f"raw publish->consume p99 at {rate:.0f}/s", "ms", [h["p99_ms"] for h in hops], digits=2
    )
    return {"messages": messages, "rows": rows, "repeat": repeat, "figures": figures, "goals": []}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(run(args.messages, args.rows, args.repeat, args.rate))
    print(f"\nraw ceilings, {args.repeat} runs each\n")
    print(table(result["figures"].values()))
    with contextlib.suppress(KeyError):
        print(goal_lines(result["goals"]))
    print(f"written: {save('ceilings', result)}")


if __name__ == "__main__":
    main()
