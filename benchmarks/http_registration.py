"""Registrations per second over HTTP against a running registry, beside the same process
answering its trivial `/health`.

    uv run python benchmarks/http_registration.py [--seconds 8] [--connections 16] [--repeat 3]

Needs wrk (Debian: `apt-get install -y wrk`); the benchmark checks for it and stops with that
hint if it is missing. The registry runs as `python -m registry.cli serve` (one uvicorn process,
as deployed) on a throwaway database and a throwaway RabbitMQ vhost, with fresh keys and the
operator token. Each `--repeat` times, wrk with 2 threads and `--connections` connections for
`--seconds`:

- ceiling: GET /health on the same process (the same uvicorn, FastAPI and middleware; no
  database, no validation);
- registration: POST /residents with a valid, unique seeker each time (benchmarks/wrk/
  register.lua): validation, NIK HMAC, encryption of the personal data, one transaction with the
  resident, its history and its outbox events, the 201 answer; the registry's outbox relay
  publishes the events meanwhile, as in production.

Every answer other than 201 is counted and shown; the figure counts only 201s. Prints a table
and writes benchmarks/results/http_registration.json.
"""

import argparse
import asyncio
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from common import figure, save, table, throwaway_database, throwaway_vhost

from notify.testing import free_port

HERE = Path(__file__).parent
TOKEN = "bench-operator"


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


async def start_registry(
    db_url: str, amqp_url: str, log: Path
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = os.environ | {
        "REGISTRY_DATABASE_URL": db_url,
        "AMQP_URL": amqp_url,
        "OPERATOR_TOKEN": TOKEN,
        "REGISTRY_NIK_HMAC_KEY": new_key(),
        "REGISTRY_DATA_KEY": new_key(),
        "NIK_LOOKUP_KEY": new_key(),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=url) as http, asyncio.timeout(90):
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the registry stopped; see {log}")
            try:
                if (await http.get("/ready")).status_code == 200:
                    return process, url
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.3)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


async def wrk(
    url: str, script: str, seconds: float, connections: int, *args: str
) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        "wrk", "-t2", f"-c{connections}", f"-d{seconds:.0f}s", "--latency", "-s",
        str(HERE / "wrk" / script), url, "--", TOKEN, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    if process.returncode:
        raise RuntimeError(f"wrk failed: {err.decode()}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    report["ok_per_s"] = (report["requests"] - report["not_201"]) / report["seconds"]
    return report


async def run(seconds: float, connections: int, repeat: int) -> dict[str, Any]:
    log = Path(tempfile.gettempdir()) / f"http_registration_{os.getpid()}.log"
    health, register = [], []
    with throwaway_vhost() as amqp_url:
        async with throwaway_database() as db_url:
            process, url = await start_registry(db_url, amqp_url, log)
            try:
                # one warm-up registration run of 2 s (imports, pools, caches)
                await wrk(url, "register.lua", 2, connections, "900000000")
                for n in range(repeat):
                    health.append(await wrk(f"{url}/health", "health.lua", seconds, connections))
                    register.append(
                        await wrk(url, "register.lua", seconds, connections, str(n * 1_000_000))
                    )
            finally:
                stop(process)
    ceiling = figure(
        "ceiling: GET /health, same process", "req/s", [r["ok_per_s"] for r in health], digits=0
    )
    figures = {
        "health": ceiling,
        "register": figure(
            "POST /residents (201s only)", "req/s", [r["ok_per_s"] for r in register], ceiling,
            digits=0,
        ),
        "health_p99": figure("GET /health p99", "ms", [r["p99_ms"] for r in health], digits=1),
        "register_p50": figure("POST /residents p50", "ms", [r["p50_ms"] for r in register],
                               digits=1),
        "register_p99": figure("POST /residents p99", "ms", [r["p99_ms"] for r in register],
                               digits=1),
    }  # fmt: skip
    failures = sum(r["not_201"] + r["errors"] for r in register)
    return {
        "seconds": seconds,
        "connections": connections,
        "repeat": repeat,
        "registrations": sum(r["requests"] for r in register),
        "not_201_or_errors": failures,
        "failure_sample": next((r["sample"] for r in register if r["sample"]), ""),
        "figures": figures,
        "goals": [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("http_registration needs wrk: apt-get install -y wrk")
    result = asyncio.run(run(args.seconds, args.connections, args.repeat))
    print(
        f"\nHTTP registration: wrk, 2 threads, {args.connections} connections,"
        f" {args.seconds:.0f} s per run, {args.repeat} runs each\n"
    )
    print(table(result["figures"].values()))
    print(f"answers other than 201, and socket errors: {result['not_201_or_errors']}")
    if result["failure_sample"]:
        print(f"for example: {result['failure_sample']}")
    print(f"written: {save('http_registration', result)}")


if __name__ == "__main__":
    main()
