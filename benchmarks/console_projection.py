"""The console's projector against the raw ceiling of reading the same stream, on a throwaway
database and vhost.

    uv run python benchmarks/console_projection.py [--events 20000] [--repeat 3]

N events (the story's mix: registrations, status changes, hires, vacancies, enrollments) are
published once into the event log stream of a new vhost; then each figure `--repeat` times:
(a) the ceiling, an aio-pika stream consumer from `first` with manual acks in batches and no
database; (b) the console's StreamProjector from `first` on emptied projections: parse, check
the ce-id, apply to the tables, commit with the offset, ack: what a rebuild costs. Prints the
median, the spread (min-max) and the ratio to the ceiling, and writes
benchmarks/results/console_projection.json. The database kl_bench_<hex> and the vhost
kl-bench-<hex> are dropped at the end, even on failure. Needs rabbitmqctl (root) for the vhost.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import asyncpg

from console import projector, topology
from console.main import MIGRATIONS
from console.stream import StreamProjector
from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import training as trn
from kerjalokal.events import vacancies as vac
from kerjalokal.messaging.envelope import ce_headers

RESULTS = Path(__file__).parent / "results" / "console_projection.json"
ADMIN_URL = os.getenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.getenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + path))


def story(count: int) -> list[Event]:
    rng = random.Random(2022)
    now = datetime.now(UTC)
    base = {
        t: json.loads(t.example().model_dump_json())
        for t in (
            reg.ResidentRegisteredV1,
            reg.ResidentStatusChangedV1,
            vac.ResidentHiredV1,
            vac.VacancyPublishedV1,
            trn.ResidentEnrolledV1,
        )
    }
    residents: list[str] = []
    events: list[Event] = []
    while len(events) < count:
        roll = rng.random()
        at = (now - timedelta(minutes=rng.randint(0, 60 * 24 * 40))).isoformat()
        if roll < 0.4 or not residents:
            residents.append(str(uuid.uuid4()))
            payload = base[reg.ResidentRegisteredV1] | {
                "resident_id": residents[-1],
                "registered_at": at,
            }
            events.append(reg.ResidentRegisteredV1.model_validate(payload))
        elif roll < 0.6:
            payload = base[reg.ResidentStatusChangedV1] | {
                "resident_id": rng.choice(residents),
                "version": rng.randint(2, 9),
                "changed_at": at,
            }
            events.append(reg.ResidentStatusChangedV1.model_validate(payload))
        elif roll < 0.8:
            payload = base[vac.ResidentHiredV1] | {
                "hire_id": str(uuid.uuid4()),
                "resident_id": rng.choice(residents),
                "hired_at": at,
                "is_local": rng.random() < 0.8,
            }
            events.append(vac.ResidentHiredV1.model_validate(payload))
        elif roll < 0.9:
            payload = base[vac.VacancyPublishedV1] | {
                "vacancy_id": str(uuid.uuid4()),
                "published_at": at,
            }
            events.append(vac.VacancyPublishedV1.model_validate(payload))
        else:
            payload = base[trn.ResidentEnrolledV1] | {
                "enrollment_id": str(uuid.uuid4()),
                "resident_id": rng.choice(residents),
                "enrolled_at": at,
            }
            events.append(trn.ResidentEnrolledV1.model_validate(payload))
    return events


async def publish(url: str, events: list[Event]) -> None:
    connection = await aio_pika.connect_robust(url)
    await topology.declare(connection)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kerjalokal.events", ensure=False)
        for start in range(0, len(events), 500):
            batch = []
            for event in events[start : start + 500]:
                event_id = uuid.uuid4()
                headers = ce_headers(
                    event_id=event_id,
                    event_type=event.TYPE,
                    service=event.producer(),
                    subject=event.subject,
                    time=datetime.now(UTC),
                )
                message = aio_pika.Message(
                    event.model_dump_json().encode(),
                    headers=headers,
                    message_id=str(event_id),
                    type=event.TYPE,
                    content_type="application/json",
                    timestamp=datetime.now(UTC),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                )
                batch.append(exchange.publish(message, routing_key=event.TYPE))
            await asyncio.gather(*batch)


async def raw_read(url: str, count: int, batch: int) -> float:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=batch * 2)
        queue = await channel.get_queue(projector.STREAM, ensure=False)
        done = asyncio.Event()
        seen = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            seen += 1
            if seen % batch == 0 or seen == count:
                await message.ack(multiple=True)
            if seen == count:
                done.set()

        started = time.perf_counter()
        await queue.consume(on_message, arguments={"x-stream-offset": "first"})
        await done.wait()
        return count / (time.perf_counter() - started)


async def projected(pool: asyncpg.Pool, url: str, count: int, batch: int) -> float:
    async with pool.acquire() as conn:
        await projector.reset(conn)
    connection = await aio_pika.connect_robust(url)
    async with connection:
        worker = StreamProjector(pool, connection, batch=batch)
        started = time.perf_counter()
        worker.start()
        while True:
            row = await pool.fetchrow("SELECT last_offset, applied FROM stream_position")
            if row and row["last_offset"] == count - 1:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - started
        await worker.stop()
    assert row["applied"] == count
    return count / elapsed


def figure(label: str, rates: list[float], ceiling: float) -> dict[str, Any]:
    median = statistics.median(rates)
    return {
        "label": label,
        "unit": "events/s",
        "median": round(median),
        "min": round(min(rates)),
        "max": round(max(rates)),
        "runs": [round(r) for r in rates],
        "ratio_to_raw_stream_read": round(median / ceiling, 3),
    }


async def measure(count: int, repeat: int, batch: int) -> dict[str, Any]:
    suffix = uuid.uuid4().hex[:12]
    database, vhost = f"kl_bench_{suffix}", f"kl-bench-{suffix}"
    admin = await asyncpg.connect(ADMIN_URL)
    await admin.execute(f'CREATE DATABASE "{database}"')
    user = urlsplit(AMQP_URL).username or "guest"
    await asyncio.to_thread(subprocess.run, ["rabbitmqctl", "-q", "add_vhost", vhost], check=True)
    await asyncio.to_thread(
        subprocess.run,
        ["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
        check=True,
    )
    url = with_path(AMQP_URL, quote(vhost, safe=""))
    try:
        pool = await asyncpg.create_pool(with_path(ADMIN_URL, database), min_size=1, max_size=4)
        try:
            async with pool.acquire() as conn:
                await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
            await publish(url, story(count))
            raw = [await raw_read(url, count, batch) for _ in range(repeat)]
            full = [await projected(pool, url, count, batch) for _ in range(repeat)]
            server = await pool.fetchval("SHOW server_version")
        finally:
            await pool.close()
    finally:
        await asyncio.to_thread(
            subprocess.run, ["rabbitmqctl", "-q", "delete_vhost", vhost], check=False
        )
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.close()
    top = statistics.median(raw)
    return {
        "benchmark": "console_projection",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": count,
        "repeat": repeat,
        "batch": batch,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": server,
            "aio_pika": aio_pika.__version__,
        },
        "figures": {
            "raw_stream_read": figure("raw stream read, aio-pika, no database", raw, top),
            "projection": figure("console projector (rebuild from first)", full, top),
        },
    }


def print_table(result: dict[str, Any]) -> None:
    m = result["machine"]
    print(
        f"\nconsole projection: {result['events']:,} events, batches of {result['batch']},"
        f" {result['repeat']} runs each; {m['cpus']} CPUs, PostgreSQL {m['postgresql']},"
        f" Python {m['python']}\n"
    )
    print(f"{'figure':<42}{'median events/s':>17}{'spread (min-max)':>20}{'vs raw read':>13}")
    for item in result["figures"].values():
        spread = f"{item['min']:,}-{item['max']:,}"
        print(
            f"{item['label']:<42}{item['median']:>17,}{spread:>20}"
            f"{item['ratio_to_raw_stream_read']:>13.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    result = asyncio.run(measure(args.events, args.repeat, args.batch))
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
