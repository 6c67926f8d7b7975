"""What the benchmarks share: throwaway databases and RabbitMQ vhosts, figures with their median,
spread and ratio to a ceiling, the printed table and the JSON file.

Every figure is a dict: label, unit, median, min, max, runs, and `ratio_to_ceiling` (the median
over the ceiling's median, both from the same run) when it has a ceiling. Rates are "higher is
better"; for latencies (unit ms) the ratio is still figure / ceiling, so there lower is better.
"""

import contextlib
import json
import os
import platform
import statistics
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg

RESULTS = Path(__file__).parent / "results"
ADMIN_URL = os.getenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.getenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


def with_path(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + path))


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)


@contextlib.asynccontextmanager
async def throwaway_database() -> AsyncIterator[str]:
    """A new database kl_bench_<hex> on DATABASE_URL's server, dropped at the end, even on
    failure (WITH FORCE: a benchmark's stray connection must not keep it)."""
    name = f"kl_bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_URL)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_path(ADMIN_URL, name)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@contextlib.contextmanager
def throwaway_vhost() -> Any:
    """A new RabbitMQ vhost kl-bench-<hex> with AMQP_URL's user on it, deleted at the end (its
    queues, streams and messages with it). rabbitmqctl must work, so run as root, as tests do."""
    vhost = f"kl-bench-{uuid.uuid4().hex[:12]}"
    user = urlsplit(AMQP_URL).username or "guest"
    rabbitmqctl("add_vhost", vhost)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield with_path(AMQP_URL, quote(vhost, safe=""))
    finally:
        rabbitmqctl("delete_vhost", vhost)


def figure(
    label: str,
    unit: str,
    values: Iterable[float],
    ceiling: dict[str, Any] | float | None = None,
    *,
    digits: int = 1,
) -> dict[str, Any]:
    """Median, spread and runs of `values`; the ratio of the median to the ceiling's median."""
    runs = list(values)
    median = statistics.median(runs)
    top = ceiling["median"] if isinstance(ceiling, dict) else ceiling
    return {
        "label": label,
        "unit": unit,
        "median": round(median, digits),
        "min": round(min(runs), digits),
        "max": round(max(runs), digits),
        "runs": [round(value, digits) for value in runs],
        "ceiling": ceiling["label"] if isinstance(ceiling, dict) else None,
        "ratio_to_ceiling": round(median / top, 3) if top else None,
    }


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average": [round(load, 2) for load in os.getloadavg()],
    }


def ratio_of(item: dict[str, Any]) -> float | None:
    """The figure's ratio to its ceiling, whatever the benchmark called it."""
    for key, value in item.items():
        if key.startswith("ratio") and value is not None:
            return float(value)
    return None


def table(figures: Iterable[dict[str, Any]], *, width: int = 58) -> str:
    head = (
        f"{'figure':<{width}}{'median':>12} {'unit':<9}{'spread (min-max)':>22}{'vs ceiling':>11}"
    )
    lines = [head]
    for item in figures:
        digits = 1 if abs(item["median"]) < 100 else 0
        spread = f"{item['min']:,.{digits}f}-{item['max']:,.{digits}f}"
        ratio = ratio_of(item)
        label = item["label"][: width - 1]
        lines.append(
            f"{label:<{width}}{item['median']:>12,.{digits}f} {item['unit']:<9}"
            f"{spread:>22}{'' if ratio is None else f'{ratio:.2f}':>11}"
        )
    return "\n".join(lines)


def goal_lines(goals: Iterable[dict[str, Any]]) -> str:
    return "\n".join(
        f"goal: {goal['goal']}: {'met' if goal['met'] else 'MISSED'} ({goal['measured']})"
        for goal in goals
    )


def save(name: str, result: dict[str, Any]) -> Path:
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "benchmark": name,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    } | result
    path.write_text(json.dumps(body, indent=2, default=str) + "\n")
    return path
