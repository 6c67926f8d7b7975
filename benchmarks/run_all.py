"""Every benchmark, one after the other, then one combined table and one JSON file.

    uv run python benchmarks/run_all.py [--full] [--only NAME ...]

Each benchmark runs as its own process with the sizes below (about 10 minutes in all on the
2-core development machine; `--full`: the issue's sizes and longer runs, the 200,000-seeker
import above all, about 20 minutes), prints its own table and writes
benchmarks/results/<name>.json; this script then prints every figure beside its ceiling and
ratio, the goals met and missed, and writes benchmarks/results/all.json. A benchmark that fails
is reported and the others still run; the exit status is then 1.
"""

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common import RESULTS, goal_lines, machine, table

HERE = Path(__file__).parent
# name: (arguments by default, arguments with --full)
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "ceilings": (["--messages", "5000", "--rows", "50000"], []),
    "outbox_relay": (["--events", "10000", "--seconds", "10"], ["--events", "20000"]),
    "notify_fanout": (["--residents", "10000"], ["--residents", "10000"]),
    "registry_import": (["--rows", "10000"], ["--rows", "200000"]),
    "vacancies_matching": (["--seekers", "200000", "1000000", "--repeat", "5"], []),
    "http_registration": (["--seconds", "5"], ["--seconds", "15"]),
    "console_projection": (["--events", "10000"], []),
}


def run(name: str, args: list[str]) -> dict[str, Any]:
    print(f"\n=== {name} {' '.join(args)}", flush=True)
    started = time.monotonic()
    done = subprocess.run([sys.executable, str(HERE / f"{name}.py"), *args], check=False)
    seconds = round(time.monotonic() - started, 1)
    path = RESULTS / f"{name}.json"
    if done.returncode or not path.exists():
        return {"benchmark": name, "failed": True, "seconds": seconds}
    return json.loads(path.read_text()) | {"seconds": seconds, "arguments": args}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--full", action="store_true", help="the issue's sizes")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=[])
    options = parser.parse_args()
    names = options.only or list(BENCHMARKS)
    for name in names:  # a stale file must not pass for this run's result
        (RESULTS / f"{name}.json").unlink(missing_ok=True)
    results = [run(name, BENCHMARKS[name][1 if options.full else 0]) for name in names]
    print(f"\n\n=== all benchmarks ({'issue sizes' if options.full else 'default sizes'})")
    for result in results:
        heading = f"\n{result['benchmark']} ({result['seconds']:.0f} s)"
        if result.get("failed"):
            print(f"{heading}: FAILED, see its output above")
            continue
        print(heading)
        print(table(result["figures"].values()))
        if result.get("goals"):
            print(goal_lines(result["goals"]))
    summary = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "full": options.full,
        "machine": machine(),
        "results": results,
    }
    path = RESULTS / "all.json"
    path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(f"\nwritten: {path}")
    if any(result.get("failed") for result in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
