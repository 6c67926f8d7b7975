"""Matching one vacancy against 200,000 and 1,000,000 seekers, beside two raw ceilings, on a
throwaway database each.

    uv run python benchmarks/vacancies_matching.py [--seekers 200000 1000000] [--repeat 7]

Synthetic seekers (Kabupaten Bekasi desa, education levels, tracks, majors, skills from a
vocabulary of 60, 8% with a certified skill, 85% active) are written with COPY to the service's
`seeker` table (its migrations) and loaded into the in-memory index with the service's own
`load_index`. Then, `--repeat` times each:

- the service: `SeekerIndex.match` for one vacancy (education minimum SLTA vocational, two
  skills, age 18-35), with the default cap of 10,000 candidates and their reasons, and with a
  cap of 1,000;
- ceiling 1, numpy: the same filters and score as bare vectorised passes over the same arrays,
  the top 10,000 by argpartition, no candidate objects and no reasons;
- ceiling 2, PostgreSQL: one SQL query over the same `seeker` table doing the same filters,
  score and ordering, LIMIT 10,000;
- the other direction: one seeker against 1,000 open vacancies, as a profile change does.

Prints median and spread (min-max), writes benchmarks/results/vacancies_matching.json. The
database kl_bench_<hex> is made on DATABASE_URL's server and dropped at the end, even on failure.
"""

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import numpy as np

from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.reference import all_desa
from vacancies import repository
from vacancies.main import MIGRATIONS
from vacancies.matching import Criteria, Seeker, SeekerIndex
from vacancies.services.matching import load_index

RESULTS = Path(__file__).parent / "results" / "vacancies_matching.json"
ADMIN_URL = os.getenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
YEAR = datetime.now(UTC).year
CAP = 10_000
GOAL_SECONDS = 0.2  # the issue: under 200 ms at 200,000 seekers
SKILLS = [f"keahlian-{i:02d}" for i in range(52)] + [
    "pengelasan", "bubut", "forklift", "operator cnc", "menjahit", "gudang", "quality control",
    "listrik industri",
]  # fmt: skip
MAJORS = ["Teknik Mesin", "Teknik Elektronika", "Teknik Otomotif", "Tata Busana", "Akuntansi"]
VACANCY = Criteria(
    vacancy_id=uuid.uuid4(), ref_year=YEAR, education_min=5, education_track="kejuruan",
    skills=("pengelasan", "bubut"), age_min=18, age_max=35, work_desa_kode="32.16.09.2004",
    work_kecamatan_kode="32.16.09",
)  # fmt: skip


def seeker_records(count: int, *, seed: int = 11) -> list[tuple[Any, ...]]:
    rng = random.Random(seed)
    villages = [region.kode for region in all_desa()]
    rows = []
    for n in range(count):
        village = rng.choice(villages)
        level = rng.choices((3, 4, 5, 6, 7, 8), weights=(4, 14, 60, 4, 8, 10))[0]
        track = (
            "kejuruan" if level == 5 and rng.random() < 0.6 else ("umum" if level == 5 else None)
        )
        skills = rng.sample(SKILLS, rng.randint(1, 4))
        certified = [rng.choice(skills)] if rng.random() < 0.08 else []
        rows.append((
            uuid.UUID(int=rng.getrandbits(128)), 2, 2,
            rng.choices(("active", "verified", "registered", "placed"), weights=(80, 5, 10, 5))[0],
            village, village[:8], rng.random() < 0.92, rng.choice("LP"),
            rng.randint(YEAR - 55, YEAR - 17), level, track,
            rng.choice(MAJORS) if track == "kejuruan" else None, skills, certified,
            n + 1, datetime.now(UTC),
        ))  # fmt: skip
    return rows


COLUMNS = (
    "resident_id", "profile_version", "status_version", "status", "desa_kode", "kecamatan_kode",
    "is_local", "sex", "birth_year", "education_level", "education_track", "education_major",
    "skills", "profile_certified", "change_seq", "updated_at",
)  # fmt: skip
SQL = """
    SELECT resident_id, certified, score FROM (
        SELECT resident_id,
            cardinality(profile_certified) > 0 AND profile_certified && $1 AS certified,
            0.45 * (SELECT count(*) FROM unnest(profile_certified) s WHERE s = ANY($1)) / 2.0
            + 0.25 * (SELECT count(*) FROM unnest($1::text[]) w
                      WHERE w = ANY(skills) OR w = ANY(profile_certified)) / 2.0
            + 0.10 * CASE WHEN education_track = 'kejuruan' THEN 1.0
                          WHEN education_level = 5 THEN 0.5 ELSE 0.25 END
            + 0.10 * CASE WHEN desa_kode = $2 THEN 1.0 WHEN kecamatan_kode = $3 THEN 0.7
                          ELSE 0 END
            + 0.10 * is_local::int AS score
        FROM seeker
        WHERE status IN ('active', 'verified') AND birth_year IS NOT NULL
          AND $4 - birth_year BETWEEN 18 AND 35 AND education_level >= 5
          AND (education_level > 5 OR education_track = 'kejuruan')
    ) ranked ORDER BY certified DESC, score DESC LIMIT $5
"""


def numpy_ceiling(index: SeekerIndex) -> int:
    """The same filters and score as bare passes over the index's arrays: nothing else."""
    n = len(index)
    age = YEAR - index.birth_year[:n].astype(np.int32)
    education = index.education[:n]
    mask = index.eligible[:n] & (age >= 18) & (age <= 35) & (education >= 5)
    mask &= (education > 5) | (index.track[:n] == 2)
    rows = np.flatnonzero(mask)
    score = np.zeros(rows.size, dtype=np.float32)
    certified = np.zeros(rows.size, dtype=np.float32)
    for word in index._skills.known(VACANCY.skills):
        shift = np.uint64(word & 63)
        has = ((index.skill_bits[rows, word >> 6] >> shift) & np.uint64(1)).astype(np.float32)
        cert = ((index.certified_bits[rows, word >> 6] >> shift) & np.uint64(1)).astype(np.float32)
        score += 0.45 * cert / 2 + 0.25 * np.maximum(has, cert) / 2
        certified += cert
    score += 0.1 * index.local[rows]
    key = (certified > 0) * 2.0 + score
    top = np.argpartition(-key, CAP - 1)[:CAP]
    return int(top[np.argsort(-key[top])].size)


def timed(runs: int, work: Callable[[], Any]) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        seconds.append(time.perf_counter() - started)
    return seconds


async def timed_async(runs: int, work: Callable[[], Any]) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        seconds.append(time.perf_counter() - started)
    return seconds


def figure(label: str, seconds: list[float], ceiling: float | None = None) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {
        "label": label,
        "unit": "ms",
        "median": round(median * 1000, 2),
        "min": round(min(seconds) * 1000, 2),
        "max": round(max(seconds) * 1000, 2),
        "runs": [round(s * 1000, 2) for s in seconds],
        "ratio_to_numpy_ceiling": round(median / ceiling, 2) if ceiling else None,
    }


async def measure(url: str, count: int, repeat: int) -> dict[str, Any]:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2, init=repository.init_connection)
    try:
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations() + service_migrations(MIGRATIONS))
            await conn.copy_records_to_table(
                "seeker", records=seeker_records(count), columns=COLUMNS
            )
            await conn.execute("ANALYZE seeker")
            index = SeekerIndex()
            started = time.perf_counter()
            loaded = await load_index(conn, index)
            load_seconds = time.perf_counter() - started
            assert loaded == count, loaded
            match = index.match(VACANCY, cap=CAP)
            by_sql = await conn.fetch(SQL, list(VACANCY.skills), VACANCY.work_desa_kode,
                                      VACANCY.work_kecamatan_kode, YEAR, CAP)  # fmt: skip
            assert len(by_sql) == len(match.candidates) == min(CAP, match.eligible)
            service = timed(repeat, lambda: index.match(VACANCY, cap=CAP))
            small = timed(repeat, lambda: index.match(VACANCY, cap=1000))
            ceiling = timed(repeat, lambda: numpy_ceiling(index))
            sql = await timed_async(
                repeat,
                lambda: conn.fetch(SQL, list(VACANCY.skills), VACANCY.work_desa_kode,
                                   VACANCY.work_kecamatan_kode, YEAR, CAP),
            )  # fmt: skip
            server = await conn.fetchval("SHOW server_version")
    finally:
        await pool.close()
    alone = SeekerIndex(capacity=1)
    alone.upsert(_one_seeker())
    rng = random.Random(3)
    vacancies = [
        Criteria(vacancy_id=uuid.uuid4(), ref_year=YEAR, education_min=rng.choice((3, 4, 5)),
                 skills=tuple(rng.sample(SKILLS, 2)), age_min=18, age_max=rng.choice((30, 40)))
        for _ in range(1000)
    ]  # fmt: skip
    reverse = timed(repeat, lambda: [alone.match(v, cap=1) for v in vacancies])
    top = statistics.median(ceiling)
    figures = {
        "service": figure(f"SeekerIndex.match, cap {CAP:,}, reasons", service, top),
        "service_cap_1000": figure("SeekerIndex.match, cap 1,000, reasons", small, top),
        "numpy": figure("ceiling: bare numpy passes, same arrays", ceiling, top),
        "sql": figure("PostgreSQL: one query, same filters and score", sql, top),
        "reverse": figure("one seeker vs 1,000 open vacancies", reverse),
    }
    return {
        "benchmark": "vacancies_matching",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "seekers": count,
        "eligible": match.eligible,
        "candidates": len(match.candidates),
        "repeat": repeat,
        "index_load_seconds_from_postgresql": round(load_seconds, 2),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "postgresql": server,
        },
        "figures": figures,
        "goal": {
            "service_median_ms_below": GOAL_SECONDS * 1000,
            "met": figures["service"]["median"] < GOAL_SECONDS * 1000,
        },
    }


def _one_seeker() -> Seeker:
    return Seeker(
        resident_id=uuid.uuid4(), status="active", desa_kode="32.16.09.2004",
        kecamatan_kode="32.16.09", is_local=True, sex="L", birth_year=YEAR - 24,
        education_level=5, education_track="kejuruan", education_major="Teknik Mesin",
        skills=frozenset({"pengelasan", "bubut"}), certified=frozenset({"pengelasan"}),
    )  # fmt: skip


async def with_database(count: int, repeat: int) -> dict[str, Any]:
    name = f"kl_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            url = urlunsplit(urlsplit(ADMIN_URL)._replace(path="/" + name))
            return await measure(url, count, repeat)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def print_table(result: dict[str, Any]) -> None:
    machine = result["machine"]
    print(
        f"\nvacancies matching: {result['seekers']:,} seekers ({result['eligible']:,} eligible,"
        f" top {result['candidates']:,} kept), {result['repeat']} runs each; {machine['cpus']}"
        f" CPUs, numpy {machine['numpy']}, PostgreSQL {machine['postgresql']}\n"
    )
    print(f"{'figure':<48}{'median ms':>11}{'spread (min-max)':>20}{'vs numpy':>10}")
    for item in result["figures"].values():
        spread = f"{item['min']:.1f}-{item['max']:.1f}"
        ratio = f"{item['ratio_to_numpy_ceiling']:.2f}" if item["ratio_to_numpy_ceiling"] else "-"
        print(f"{item['label']:<48}{item['median']:>11.1f}{spread:>20}{ratio:>10}")
    print(
        f"\nindex load from PostgreSQL at start: {result['index_load_seconds_from_postgresql']} s"
    )
    goal = result["goal"]
    verdict = "met" if goal["met"] else "missed"
    print(f"goal: one vacancy matched in < {goal['service_median_ms_below']:.0f} ms: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seekers", type=int, nargs="+", default=[200_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    sizes = []
    for count in args.seekers:
        result = asyncio.run(with_database(count, args.repeat))
        print_table(result)
        sizes.append(result)
    combined = {
        "benchmark": "vacancies_matching",
        "measured_at": sizes[-1]["measured_at"],
        "machine": sizes[-1]["machine"],
        "sizes": sizes,
        "figures": {
            f"{key}_{result['seekers']}": item
            | {"label": f"{item['label']} ({result['seekers']:,})"}
            for result in sizes
            for key, item in result["figures"].items()
        },
        "goals": [
            {
                "goal": f"one vacancy matched in < {GOAL_SECONDS * 1000:.0f} ms at"
                f" {result['seekers']:,} seekers",
                "met": result["goal"]["met"],
                "measured": f"{result['figures']['service']['median']:.1f} ms",
            }
            for result in sizes
        ],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(combined, indent=2) + "\n")
    print(f"written: {RESULTS}")


if __name__ == "__main__":
    main()
