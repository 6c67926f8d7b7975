"""The fault suite's session: a private RabbitMQ node and PostgreSQL cluster, the services as
real processes on them, the load and the oracle; the table of results at the end.

It runs alone: collected beside other tests (a plain `pytest`), its tests are deselected, and
`make test` runs it in a second invocation (`pytest tests/faults`).
"""

import json
import os
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .load import Load
from .oracle import Oracle, Result
from .platform import Platform
from .servers import PrivateServers

HERE = Path(__file__).parent
RESULTS: list[Result] = []
SESSION: dict[str, Any] = {}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    faults = [i for i in items if Path(str(i.path)).is_relative_to(HERE)]
    if faults and len(faults) < len(items):
        config.hook.pytest_deselected(items=faults)
        items[:] = [i for i in items if i not in faults]
        SESSION["deselected"] = len(faults)


@pytest.fixture(scope="session")
def servers() -> Iterator[PrivateServers]:
    private = PrivateServers()
    try:
        SESSION["boot"] = private.start()
        yield private
    finally:
        private.teardown()


@pytest.fixture(scope="session")
async def platform(
    servers: PrivateServers, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Platform]:
    system = Platform(servers, tmp_path_factory.mktemp("fault-logs"))
    try:
        started = time.monotonic()
        await system.start()
        SESSION["services_start_s"] = round(time.monotonic() - started, 1)
        yield system
    finally:
        await system.stop()


@pytest.fixture(scope="session")
async def load(platform: Platform) -> Load:
    generated = Load(platform)
    await generated.setup()
    SESSION["load"] = generated
    return generated


@pytest.fixture(scope="session")
def oracle(platform: Platform, load: Load) -> Oracle:
    return Oracle(platform, load)


@pytest.fixture(scope="session")
def record() -> Callable[[Result], None]:
    """Keep a scenario's result for the table, and write the results so far."""

    def keep(result: Result) -> None:
        RESULTS.append(result)
        write_results()

    return keep


COLUMNS = ("scenario", "events", "lost", "duplicated", "dead-lettered", "recovery s")


def table(results: list[Result]) -> str:
    rows = [COLUMNS] + [
        (
            r.scenario + ("" if r.ok else "  FAILED"),
            str(r.events),
            str(r.lost),
            str(r.duplicated),
            str(r.dead_lettered),
            "-" if r.recovery_s is None else f"{r.recovery_s:.1f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    lines = [
        "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in
                  enumerate(zip(row, widths, strict=True)))
        for row in rows
    ]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_results() -> Path:
    """The results so far as JSON (after each scenario, so an interrupted run keeps them)."""
    out = HERE / "results" / "faults.json"
    out.parent.mkdir(exist_ok=True)
    load = SESSION.get("load")
    out.write_text(
        json.dumps(
            {
                "scenarios": os.getenv("FAULTS", "ci"),
                "boot": SESSION.get("boot"),
                "services_start_s": SESSION.get("services_start_s"),
                "load_rounds": load.rounds if load else 0,
                "load_acknowledged": {k: len(v) for k, v in load.ids.items()} if load else {},
                "gateway_messages": len(load.platform.gateway.messages) if load else 0,
                "load_failures": dict(load.failures) if load else {},
                "load_last_refusals": load.answers if load else {},
                "results": [r.__dict__ | {"ok": r.ok} for r in RESULTS],
            },
            indent=2,
            default=str,
        )
    )
    return out


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not RESULTS:
        return
    terminalreporter.section("fault suite")
    terminalreporter.write_line(table(RESULTS))
    for r in RESULTS:
        extra = {
            "external repeats (absorbed by the gateway's key)": r.external_repeats,
            "unrecorded sends": r.unrecorded_sends,
            "healthy dead-lettered": r.healthy_dead_lettered,
            "poison missing from the DLQs": r.poison_missing,
            "order violations": r.order_violations,
            "requests failed during the fault": r.requests_failed,
        }
        shown = ", ".join(f"{k} {v}" for k, v in extra.items() if v)
        if shown:
            terminalreporter.write_line(f"  {r.scenario}: {shown}")
    out = write_results()
    terminalreporter.write_line(f"written to {out.relative_to(HERE.parent.parent)}")
