"""Bulk import of job seekers against the raw ceiling, on a throwaway database.

    uv run python benchmarks/registry_import.py [--rows 200000] [--repeat 3]

On one generated CSV of valid seekers, each figure `--repeat` times: (a) the ceiling, asyncpg
COPY of the same rows (the resident columns the import writes) into a plain table; (b) a second
reference, not the goal's: COPY of everything the import writes (resident, history and three
outbox rows per seeker, pre-built) into the registry's own indexed tables; (c) validation alone
(`check_rows`); (d) the full import (`imports.run`: validation, resident rows, history and three
outbox events per row), on emptied tables each time. Prints median, spread (min-max) and the
ratio to raw COPY, and writes benchmarks/results/registry_import.json. The database
kl_bench_<hex> is created on DATABASE_URL's server and dropped at the end, even on failure.
"""

import argparse
import asyncio
import csv
import io
import json
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.messaging.topology import exchange_for
from kerjalokal.reference import all_desa
from kerjalokal.testing.factories import nik, phone
from registry import imports, repository
from registry.crypto import PersonalDataCipher, new_key
from registry.main import MIGRATIONS
from registry.services import Actor, Prepared, registered_payloads

RESULTS = Path(__file__).parent / "results" / "registry_import.json"
ADMIN_URL = os.getenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ACTOR = Actor(role="operator", name="benchmark")
GOAL = 0.5  # the full import should reach half of raw COPY, events included


def seekers(count: int, *, seed: int = 7) -> list[dict[str, str]]:
    """`count` valid rows with distinct NIKs, spread over every desa of the regency."""
    rng = random.Random(seed)
    villages = [region.kode for region in all_desa()]
    rows: dict[str, dict[str, str]] = {}
    while len(rows) < count:
        sex = rng.choice("LP")
        born = date(rng.randint(1970, 2006), rng.randint(1, 12), rng.randint(1, 28))
        number = nik(sex=sex, birth_date=born, region=f"3216{rng.randint(1, 23):02d}")
        rows[number] = {
            "nik": number,
            "full_name": f"Warga Bekasi {len(rows)}",
            "sex": sex,
            "birth_date": born.isoformat() if rng.random() < 0.5 else f"{born:%d-%m-%Y}",
            "birth_place": "Bekasi",
            "phone": phone(),
            "email": f"warga{len(rows)}@example.org",
            "street": f"Jl. Raya Industri {rng.randint(1, 300)}",
            "rt": f"{rng.randint(1, 20):03d}",
            "rw": f"{rng.randint(1, 12):03d}",
            "desa_kode": rng.choice(villages),
            "postal_code": "17530",
            "education_level": str(rng.randint(3, 9)),
            "education_track": "kejuruan",
            "education_major": "Teknik Mesin",
            "skills": "pengelasan;bubut",
            "consent_contact": "ya",
            "channels": "whatsapp;sms",
        }
    return list(rows.values())


def to_csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=imports.COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def url_for(database: str) -> str:
    return urlunsplit(urlsplit(ADMIN_URL)._replace(path="/" + database))


async def timed(
    runs: int, setup: Callable[[], Awaitable[Any]], work: Callable[[], Awaitable[int]]
) -> list[float]:
    """Rows per second of `work` over `runs` runs, each after `setup` (not timed)."""
    rates = []
    for _ in range(runs):
        await setup()
        started = time.perf_counter()
        rows = await work()
        rates.append(rows / (time.perf_counter() - started))
    return rates


class Bench:
    def __init__(self, pool: asyncpg.Pool, content: bytes, rows: int) -> None:
        self.pool = pool
        self.content = content
        self.rows = rows
        self.cipher = PersonalDataCipher(
            hmac_key=new_key(), data_key=new_key(), lookup_key=new_key()
        )
        self.records: list[tuple[Any, ...]] = []
        self.history: list[tuple[Any, ...]] = []
        self.events: list[tuple[Any, ...]] = []

    async def checkpoint(self) -> None:
        await self.pool.execute("CHECKPOINT")

    def outcomes(self) -> Iterator[tuple[int, Prepared | str]]:
        now = datetime.now(UTC)
        return imports.check_rows(self.content, cipher=self.cipher, actor=ACTOR, now=now)

    async def validate(self) -> int:
        """Rows are dropped once checked, as the import does batch by batch: a list of every
        checked row would slow the measurement through the garbage collector."""
        refused = [outcome for _, outcome in self.outcomes() if isinstance(outcome, str)]
        assert not refused, refused[:5]
        return self.rows

    def build_records(self) -> None:
        """The rows the import writes, built once and not timed: resident columns, and for the
        second reference their history rows and their three events each, serialised."""
        columns = repository._RESIDENT_COLUMNS.split(", ")
        now = datetime.now(UTC)
        for _, p in self.outcomes():
            assert isinstance(p, Prepared)
            self.records.append(tuple(p.columns[c] for c in columns))
            resident_id = p.columns["resident_id"]
            self.history.append((resident_id, now, "system:import", "registered", {}))
            row = p.columns | {"version": 1, "in_training": False}
            for kind, subject, payload in registered_payloads(
                row, p.personal, now=now, nik_lookup=p.nik_lookup
            ):
                self.events.append(
                    (uuid.uuid4(), kind.TYPE, exchange_for(kind).name, subject, payload, now)
                )

    async def empty_copy_table(self) -> None:
        if not self.records:
            self.build_records()
        await self.pool.execute("TRUNCATE raw_copy")
        await self.checkpoint()

    async def raw_copy(self) -> int:
        columns = repository._RESIDENT_COLUMNS.split(", ")
        await self.pool.copy_records_to_table("raw_copy", records=self.records, columns=columns)
        return len(self.records)

    async def empty_tables(self) -> None:
        await self.pool.execute("TRUNCATE resident, resident_history, outbox, import_job CASCADE")
        await self.checkpoint()

    async def indexed_copy(self) -> int:
        """The database's share of the import: its rows, pre-built, by COPY into the registry's
        own indexed tables in one transaction (no staging, no ON CONFLICT, no Python per row)."""
        columns = repository._RESIDENT_COLUMNS.split(", ")
        history = ("resident_id", "at", "actor", "action", "detail")
        outbox = ("event_id", "event_type", "exchange", "subject", "payload", "occurred_at")
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.copy_records_to_table("resident", records=self.records, columns=columns)
            await conn.copy_records_to_table(
                "resident_history", records=self.history, columns=history
            )
            await conn.copy_records_to_table("outbox", records=self.events, columns=outbox)
        return len(self.records)

    async def empty_registry(self) -> None:
        # millions of live objects would slow the import through the GC
        self.records, self.history, self.events = [], [], []
        await self.empty_tables()

    async def full_import(self) -> int:
        job, _ = await imports.create_job(
            self.pool, content=self.content, filename="bench.csv", actor=ACTOR
        )
        await imports.run(
            self.pool, import_id=job["import_id"], content=self.content, cipher=self.cipher,
            actor=ACTOR,
        )  # fmt: skip
        counts = await self.pool.fetchrow(
            "SELECT (SELECT count(*) FROM resident) AS residents,"
            " (SELECT count(*) FROM outbox) AS events"
        )
        assert tuple(counts) == (self.rows, 3 * self.rows), tuple(counts)
        return self.rows


def figure(label: str, rates: list[float], ceiling: float) -> dict[str, Any]:
    median = statistics.median(rates)
    return {
        "label": label,
        "unit": "rows/s",
        "median": round(median),
        "min": round(min(rates)),
        "max": round(max(rates)),
        "runs": [round(rate) for rate in rates],
        "ratio_to_raw_copy": round(median / ceiling, 3),
    }


async def measure(url: str, rows: int, repeat: int) -> dict[str, Any]:
    content = to_csv(seekers(rows))
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2, init=repository.init_connection)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
            await conn.execute("CREATE TABLE raw_copy (LIKE resident INCLUDING DEFAULTS)")
        bench = Bench(pool, content, rows)
        validation = await timed(repeat, bench.checkpoint, bench.validate)
        ceiling = await timed(repeat, bench.empty_copy_table, bench.raw_copy)
        indexed = await timed(repeat, bench.empty_tables, bench.indexed_copy)
        full = await timed(repeat, bench.empty_registry, bench.full_import)
        server = await pool.fetchval("SHOW server_version")
    finally:
        await pool.close()
    top = statistics.median(ceiling)
    figures = {
        "raw_copy": figure("raw COPY, asyncpg, plain table", ceiling, top),
        "indexed_copy": figure("COPY into the indexed tables", indexed, top),
        "validation": figure("validation only (check_rows)", validation, top),
        "full_import": figure("full import, 3 events per row", full, top),
    }
    return {
        "benchmark": "registry_import",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": rows,
        "repeat": repeat,
        "csv_bytes": len(content),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "postgresql": server,
            "asyncpg": asyncpg.__version__,
        },
        "figures": figures,
        "goal": {
            "full_import_ratio_at_least": GOAL,
            "met": figures["full_import"]["ratio_to_raw_copy"] >= GOAL,
        },
        "goals": [
            {
                "goal": f"full import >= {GOAL} x raw COPY, events included, at {rows:,} rows",
                "met": figures["full_import"]["ratio_to_raw_copy"] >= GOAL,
                "measured": f"{figures['full_import']['ratio_to_raw_copy']:.2f}",
            }
        ],
    }


async def with_database(rows: int, repeat: int) -> dict[str, Any]:
    name = f"kl_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return await measure(url_for(name), rows, repeat)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def print_table(result: dict[str, Any]) -> None:
    machine = result["machine"]
    print(
        f"\nregistry import: {result['rows']:,} rows ({result['csv_bytes'] / 1e6:.1f} MB CSV),"
        f" {result['repeat']} runs each; {machine['cpus']} CPUs, PostgreSQL"
        f" {machine['postgresql']}, Python {machine['python']}\n"
    )
    print(f"{'figure':<34}{'median rows/s':>15}{'spread (min-max)':>22}{'vs raw COPY':>13}")
    for item in result["figures"].values():
        spread = f"{item['min']:,}-{item['max']:,}"
        print(
            f"{item['label']:<34}{item['median']:>15,}{spread:>22}"
            f"{item['ratio_to_raw_copy']:>13.2f}"
        )
    goal = result["goal"]
    verdict = "met" if goal["met"] else "missed"
    print(f"\ngoal: full import >= {goal['full_import_ratio_at_least']:.0%} of raw COPY: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(with_database(args.rows, args.repeat))
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
