"""Fan-out of a vacancy to residents' phones against raw ceilings, with notify as a real process.

    uv run python benchmarks/notify_fanout.py [--residents 10000] [--repeat 3]

Notify runs as `python -m notify.cli serve` on a throwaway database (kl_bench_<hex> on
DATABASE_URL's server) and a throwaway RabbitMQ vhost (made with rabbitmqctl on AMQP_URL's
server), both removed at the end even on failure. The WhatsApp gateway is notify.testing's
FakeGateway in this process. Measured, each `--repeat` times:

- raw HTTP ceiling: plain httpx POSTs of the same gateway requests to the same gateway, from a
  separate process with notify's concurrency (64), as notify sends them;
- fan-out: a `vacancy_published` and its `candidates_matched` with every resident, published
  together as the vacancies service does; from their publication to the gateway's first and last
  new message (and deliveries/s), to the last delivery row planned (rows/s), and to the last of
  the 211 feeds listing the vacancy, polled meanwhile (the goals: first message under 1 s, every
  message and every village feed within a minute);
- raw COPY ceiling: asyncpg COPY of as many delivery rows into an unindexed table;
- one resident: a `vacancy_published` with a one-resident match published right after it:
  time to the resident's message; then another, timed to the last of the 211 feeds (the
  regency's, 23 kecamatan, 187 desa; RSS) listing it, polled 8 at a time without conditional
  requests (every poll renders or reads the cache, as a first visit would).

Prints a table and writes benchmarks/results/notify_fanout.json.
"""

import argparse
import asyncio
import base64
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import asyncpg
import httpx
from common import table

from kerjalokal.events import Event
from kerjalokal.events.registry import ResidentContactChangedV1
from kerjalokal.events.vacancies import CandidatesMatchedV1, VacancyPublishedV1
from kerjalokal.reference import all_desa, all_kecamatan
from notify.dispatch.providers import ClientPool
from notify.testing import FakeGateway, free_port

RESULTS = Path(__file__).parent / "results" / "notify_fanout.json"
ADMIN_URL = os.getenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.getenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
CONCURRENCY = 64
FEEDS = [
    "/feeds/kabupaten.rss",
    *(f"/feeds/kecamatan/{k.kode}.rss" for k in all_kecamatan()),
    *(f"/feeds/desa/{d.kode}.rss" for d in all_desa()),
]


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + path))


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)


# --- the raw HTTP ceiling, in its own process as notify is -----------------------------------


async def raw_client(url: str, count: int, concurrency: int) -> float:
    """POST `count` gateway requests with fresh keys, `concurrency` at a time; seconds taken."""
    run = uuid.uuid4().hex
    slots = asyncio.Semaphore(concurrency)
    http = ClientPool(connections=concurrency, timeout=30)  # plain httpx, as notify holds it
    try:

        async def one(i: int) -> None:
            key = f"{run}-{i}"
            payload = {
                "to": f"+62812{i:08d}", "template": "lowongan_cocok", "idempotency_key": key,
                "params": {"name": "Warga", "text": "Halo Warga, ada lowongan kerja " * 8},
            }  # fmt: skip
            async with slots:
                for attempt in range(3):  # notify resends too: a reset under load is not fatal
                    try:
                        response = await http.post(
                            url, json=payload, headers={"Idempotency-Key": key}
                        )
                        break
                    except httpx.TransportError:
                        if attempt == 2:
                            raise
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(count)))
        return time.perf_counter() - started
    finally:
        await http.aclose()


async def raw_http(url: str, count: int) -> float:
    """Messages per second of the raw client, run as its own process (as notify is)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--raw-client", url, str(count),
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode:
        raise RuntimeError("the raw HTTP client failed")
    return count / float(output.decode().strip())


# --- notify as a process ---------------------------------------------------------------------


class Notify:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, log: Path) -> None:
        with log.open("ab") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "notify.cli", "serve", "--host", "127.0.0.1",
                "--port", str(self.port), env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        async with httpx.AsyncClient(base_url=self.url) as http, asyncio.timeout(60):
            while True:
                if self.process.returncode is not None:
                    raise RuntimeError(f"notify stopped; see {log}")
                try:
                    if (await http.get("/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                async with asyncio.timeout(30):
                    await self.process.wait()
            except TimeoutError:
                self.process.kill()


class Publisher:
    def __init__(self, url: str) -> None:
        self.url = url

    async def __aenter__(self) -> "Publisher":
        self.connection = await aio_pika.connect(self.url)
        channel = await self.connection.channel(publisher_confirms=True)
        self.exchanges = {
            name: await channel.get_exchange(name)
            for name in ("kerjalokal.events", "kerjalokal.restricted")
        }
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.connection.close()

    async def publish(self, events: list[Event]) -> None:
        for start in range(0, len(events), 500):
            await asyncio.gather(*(self._one(event) for event in events[start : start + 500]))

    async def _one(self, event: Event) -> None:
        event_id = str(uuid.uuid4())
        exchange = "kerjalokal.restricted" if event.RESTRICTED else "kerjalokal.events"
        message = aio_pika.Message(
            event.model_dump_json().encode(), message_id=event_id, type=event.TYPE,
            content_type="application/json", headers={"ce-id": event_id, "ce-type": event.TYPE},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )  # fmt: skip
        await self.exchanges[exchange].publish(message, routing_key=event.TYPE)


def vacancy() -> VacancyPublishedV1:
    return VacancyPublishedV1.model_validate(
        VacancyPublishedV1.example().model_dump()
        | {
            "vacancy_id": uuid.uuid4(),
            "published_at": datetime.now(UTC),
            "valid_until": date.today() + timedelta(days=30),
        }
    )


def match(job: VacancyPublishedV1, residents: list[uuid.UUID]) -> CandidatesMatchedV1:
    return CandidatesMatchedV1(
        match_id=uuid.uuid4(), vacancy_id=job.vacancy_id, company_id=job.company_id,
        trigger="vacancy_published", matched_at=datetime.now(UTC), eligible=len(residents),
        candidates=[{"resident_id": r, "score": 0.5, "certified": False} for r in residents],
    )  # fmt: skip


async def until(check: Any, *, limit: float = 300, every: float = 0.005) -> float:
    """Wait for `check()` to hold; return the monotonic time it was first seen holding."""
    async with asyncio.timeout(limit):
        while not await check():  # noqa: ASYNC110 - polls another process's database
            await asyncio.sleep(every)
    return time.monotonic()


# --- the measurements ------------------------------------------------------------------------


class Bench:
    def __init__(self, db: asyncpg.Connection, publisher: Publisher, gateway: FakeGateway,
                 notify: Notify, residents: list[uuid.UUID]) -> None:  # fmt: skip
        self.db = db
        self.publisher = publisher
        self.gateway = gateway
        self.notify = notify
        self.residents = residents

    def _new_messages(self, since: int) -> list[Any]:
        return list(self.gateway.messages.values())[since:]

    async def fan_out(self) -> dict[str, float]:
        """A `vacancy_published` and its `candidates_matched` for every resident, published
        together as the vacancies service does; timed from the publication to the first and last
        message at the gateway, the last delivery row planned, and the last of the 211 feeds
        listing the vacancy (polled meanwhile, 8 at a time)."""
        job = vacancy()
        before = len(self.gateway.messages)
        event = match(job, self.residents)
        n = len(self.residents)
        started = time.monotonic()
        await self.publisher.publish([job, event])
        feeds = asyncio.create_task(self._all_feeds(str(job.vacancy_id)))
        planned = await until(lambda: self._planned(job.vacancy_id, n), every=0.02)
        done = await until(lambda: self._messages(before + n), every=0.02)
        last_feed = await feeds
        first = min(request.at for request in self._new_messages(before))
        return {
            "deliveries_per_s": n / (done - started),
            "planned_rows_per_s": n / (planned - started),
            "first_message_ms": (first - started) * 1000,
            "last_message_ms": (done - started) * 1000,
            "last_feed_ms": (last_feed - started) * 1000,
        }

    async def latency(self) -> dict[str, float]:
        """Two runs as the vacancies service publishes (the vacancy, then its match): one timed
        to the resident's message, one to the last feed listing it while feeds are polled."""
        job = vacancy()
        before = len(self.gateway.messages)
        started = time.monotonic()
        await self.publisher.publish([job, match(job, self.residents[:1])])
        message = await until(lambda: self._messages(before + 1), limit=60)
        job = vacancy()
        started_feeds = time.monotonic()
        await self.publisher.publish([job, match(job, self.residents[1:2])])
        last_feed = await self._all_feeds(str(job.vacancy_id))
        return {
            "first_message_ms": (message - started) * 1000,
            "last_feed_ms": (last_feed - started_feeds) * 1000,
        }

    async def _all_feeds(self, vacancy_id: str) -> float:
        waiting = set(FEEDS)
        slots = asyncio.Semaphore(8)
        async with httpx.AsyncClient(base_url=self.notify.url, timeout=30) as http:

            async def check(path: str) -> None:
                async with slots:
                    if vacancy_id in (await http.get(path)).text:
                        waiting.discard(path)

            async with asyncio.timeout(60):
                while waiting:
                    await asyncio.gather(*(check(path) for path in list(waiting)))
        return time.monotonic()

    async def _known(self, vacancy_id: uuid.UUID) -> bool:
        sql = "SELECT count(*) FROM vacancy WHERE vacancy_id = $1"
        return bool(await self.db.fetchval(sql, vacancy_id))

    async def _planned(self, vacancy_id: uuid.UUID, n: int) -> bool:
        sql = "SELECT count(*) FROM delivery WHERE vacancy_id = $1"
        return bool(await self.db.fetchval(sql, vacancy_id) >= n)

    async def _messages(self, n: int) -> bool:
        return len(self.gateway.messages) >= n

    async def raw_copy(self) -> float:
        await self.db.execute("DROP TABLE IF EXISTS raw_delivery")
        await self.db.execute("CREATE TABLE raw_delivery (LIKE delivery INCLUDING DEFAULTS)")
        now = datetime.now(UTC)
        records = [
            (uuid.uuid4(), "resident", "event", "vacancies.candidates_matched.v1", resident,
             "whatsapp", "lowongan_cocok", "{}", "pending", now, now, now)
            for resident in self.residents
        ]  # fmt: skip
        columns = [
            "delivery_id", "kind", "event_id", "event_type", "resident_id", "channel",
            "template", "params", "status", "not_before", "created_at", "updated_at",
        ]  # fmt: skip
        started = time.perf_counter()
        await self.db.copy_records_to_table("raw_delivery", records=records, columns=columns)
        return len(records) / (time.perf_counter() - started)


def figure(label: str, unit: str, values: list[float], ceiling: float | None) -> dict[str, Any]:
    median = statistics.median(values)
    return {
        "label": label,
        "unit": unit,
        "median": round(median, 1),
        "min": round(min(values), 1),
        "max": round(max(values), 1),
        "runs": [round(v, 1) for v in values],
        "ratio_to_ceiling": round(median / ceiling, 3) if ceiling else None,
    }


async def measure(db_url: str, amqp_url: str, residents: int, repeat: int) -> dict[str, Any]:
    gateway = FakeGateway()
    await gateway.start()
    env = os.environ | {
        "NOTIFY_DATABASE_URL": db_url,
        "AMQP_URL": amqp_url,
        "OPERATOR_TOKEN": "bench-operator",
        "NOTIFY_OPT_OUT_KEY": "bench-opt-out-key",
        "NOTIFY_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "NOTIFY_RATE_FEEDS": "1000000/minute",  # the benchmark polls every feed from one address
        "WHATSAPP_GATEWAY_URL": f"{gateway.url}/whatsapp",
        "NOTIFY_QUIET_HOURS": "",
        "NOTIFY_DAILY_CAP": "1000000",
        "NOTIFY_SEND_CONCURRENCY": str(CONCURRENCY),
    }
    notify = Notify(env)
    log = Path(tempfile.gettempdir()) / f"notify_fanout_{os.getpid()}.log"
    await notify.start(log)
    db = await asyncpg.connect(db_url)
    try:
        people = [
            ResidentContactChangedV1(
                resident_id=uuid.uuid4(), version=1, changed_at=datetime.now(UTC),
                full_name=f"Warga {i}", phone=f"+62813{i:08d}", consent=True,
                channels=("whatsapp",),
            )
            for i in range(residents)
        ]  # fmt: skip
        async with Publisher(amqp_url) as publisher:
            await publisher.publish(list(people))
            await until(lambda: _contacts(db, residents), every=0.2)
            bench = Bench(db, publisher, gateway, notify, [p.resident_id for p in people])
            fan_outs = [await bench.fan_out() for _ in range(repeat)]
            latencies = [await bench.latency() for _ in range(repeat)]
        http = [await raw_http(f"{gateway.url}/raw", residents) for _ in range(repeat)]
        copy = [await bench.raw_copy() for _ in range(repeat)]
        server = await db.fetchval("SHOW server_version")
    finally:
        await db.close()
        await notify.stop()
        await gateway.stop()
    top_http, top_copy = statistics.median(http), statistics.median(copy)
    figures = {
        "raw_http": figure("raw httpx POSTs to the gateway", "msg/s", http, top_http),
        "fan_out": figure(
            "fan-out: published -> gateway", "msg/s", [r["deliveries_per_s"] for r in fan_outs],
            top_http,
        ),
        "raw_copy": figure("raw COPY of delivery rows", "rows/s", copy, top_copy),
        "planned": figure(
            "fan-out: published -> rows planned", "rows/s",
            [r["planned_rows_per_s"] for r in fan_outs], top_copy,
        ),
        "first_of_many": figure(
            f"published -> first of {residents:,} messages", "ms",
            [r["first_message_ms"] for r in fan_outs], None,
        ),
        "last_of_many": figure(
            f"published -> last of {residents:,} messages", "ms",
            [r["last_message_ms"] for r in fan_outs], None,
        ),
        "feeds_during_fan_out": figure(
            "published -> all 211 feeds, during fan-out", "ms",
            [r["last_feed_ms"] for r in fan_outs], None,
        ),
        "first_message": figure(
            "one resident: published -> message", "ms", [r["first_message_ms"] for r in latencies],
            None,
        ),
        "last_feed": figure(
            "one resident: published -> all 211 feeds", "ms",
            [r["last_feed_ms"] for r in latencies], None,
        ),
    }  # fmt: skip
    return {
        "benchmark": "notify_fanout",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "residents": residents,
        "repeat": repeat,
        "gateway_duplicates": gateway.duplicates,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": server,
        },
        "figures": figures,
        "goals": [
            {
                "goal": "first resident message under 1 s after the vacancy is published",
                "met": figures["first_of_many"]["median"] < 1000,
                "measured": f"{figures['first_of_many']['median']:,.0f} ms",
            },
            {
                "goal": "every message and every village feed within a minute",
                "met": max(
                    figures["last_of_many"]["median"], figures["feeds_during_fan_out"]["median"]
                )
                < 60_000,
                "measured": f"last message {figures['last_of_many']['median'] / 1000:,.1f} s,"
                f" last feed {figures['feeds_during_fan_out']['median'] / 1000:,.1f} s",
            },
        ],
    }


async def _contacts(db: asyncpg.Connection, n: int) -> bool:
    return bool(await db.fetchval("SELECT count(*) FROM contact") >= n)


async def with_servers(residents: int, repeat: int) -> dict[str, Any]:
    name = f"kl_bench_{uuid.uuid4().hex[:12]}"
    vhost = f"kl-bench-{uuid.uuid4().hex[:12]}"
    user = urlsplit(AMQP_URL).username or "guest"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        rabbitmqctl("add_vhost", vhost)
        try:
            rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
            return await measure(
                with_path(ADMIN_URL, name), with_path(AMQP_URL, quote(vhost, safe="")),
                residents, repeat,
            )  # fmt: skip
        finally:
            rabbitmqctl("delete_vhost", vhost)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def print_table(result: dict[str, Any]) -> None:
    machine = result["machine"]
    print(
        f"\nnotify fan-out: {result['residents']:,} residents, {result['repeat']} runs each;"
        f" {machine['cpus']} CPUs, PostgreSQL {machine['postgresql']},"
        f" Python {machine['python']}\n"
    )
    print(table(result["figures"].values(), width=46))
    print(f"\nresends the gateway dropped as duplicates: {result['gateway_duplicates']}")
    for goal in result["goals"]:
        print(f"goal: {goal['goal']}: {'met' if goal['met'] else 'MISSED'} ({goal['measured']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--raw-client", nargs=2, metavar=("URL", "COUNT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.raw_client:
        url, count = args.raw_client
        print(asyncio.run(raw_client(url, int(count), CONCURRENCY)))
        return
    result = asyncio.run(with_servers(args.residents, args.repeat))
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
