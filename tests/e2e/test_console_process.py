"""The console as a real process: events on the exchange become tracker figures over HTTP, the
live stream serves them as server-sent events, and `kerjalokal events tail` reads the log."""

import asyncio
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import aio_pika
import httpx
import pytest

from kerjalokal.events import Event
from kerjalokal.events import vacancies as vac
from kerjalokal.messaging.envelope import ce_headers
from kerjalokal.testing.proxy import free_port

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
TOKEN = {"Authorization": "Bearer e2e-operator"}


@pytest.fixture
async def console(
    fresh_database, vhost_url, tmp_path: Path
) -> AsyncIterator[tuple[str, dict[str, str]]]:
    port, log = free_port(), tmp_path / "console.log"
    env = os.environ | {
        "CONSOLE_DATABASE_URL": await fresh_database(),
        "AMQP_URL": vhost_url,
        "OPERATOR_TOKEN": "e2e-operator",
        "CONSOLE_USE_RABBITMQCTL": "false",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "console.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base) as http, asyncio.timeout(60):
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if (await http.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.3)
        yield base, env
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)  # uvicorn re-raises the signal after a clean shutdown
        assert code in (0, -signal.SIGTERM), code
        assert "shutdown complete" in log.read_text()


async def publish(amqp_url: str, event: Event) -> str:
    event_id = uuid.uuid4()
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kerjalokal.events", ensure=False)
        headers = ce_headers(
            event_id=event_id,
            event_type=event.TYPE,
            service=event.producer(),
            subject=event.subject,
            time=datetime.now(UTC),
        )
        await exchange.publish(
            aio_pika.Message(
                event.model_dump_json().encode(),
                headers=headers,
                message_id=str(event_id),
                type=event.TYPE,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=event.TYPE,
        )
    return str(event_id)


def hire(**changes: object) -> vac.ResidentHiredV1:
    payload = json.loads(vac.ResidentHiredV1.example().model_dump_json())
    return vac.ResidentHiredV1.model_validate(
        payload
        | {"hire_id": str(uuid.uuid4()), "hired_at": datetime.now(UTC).isoformat()}
        | changes
    )


async def test_events_become_figures_live_events_and_cli_output(console) -> None:
    base, env = console
    today = datetime.now(UTC).date().isoformat()
    async with httpx.AsyncClient(base_url=base, headers=TOKEN, timeout=30) as http:
        put = await http.put(
            "/api/campaigns/e2e",
            json={"name": "Uji e2e", "target": 10, "starts_on": today, "working_days": 5},
        )
        assert put.status_code == 200, put.text
        async with http.stream("GET", "/stream/events", params={"service": "vacancies"}) as live:
            lines = live.aiter_lines()
            async with asyncio.timeout(15):
                while (await anext(lines)) != "event: ready":
                    pass
            ids = [
                await publish(env["AMQP_URL"], hire(is_local=local))
                for local in (True, True, False)
            ]
            seen = []
            async with asyncio.timeout(15):
                async for line in lines:
                    if line.startswith('data: {"offset"'):
                        seen.append(json.loads(line[6:]))
                    if len(seen) == 3:
                        break
        assert [s["id"] for s in seen] == ids
        assert seen[0]["type"] == "vacancies.resident_hired.v1"
        assert seen[0]["headers"]["ce-source"] == "/kerjalokal/vacancies"
        async with asyncio.timeout(15):
            while (await http.get("/api/projection")).json().get("last_offset") != 2:
                await asyncio.sleep(0.2)
        tracker = (await http.get("/api/tracker")).json()
    assert (tracker["placed"], tracker["hires"]) == (2, 3)

    tail = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "console.cli", "events", "tail", "vacancies.#", "--from", "first"],
        env=env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert tail.returncode == 0, tail.stderr
    assert tail.stdout.count("vacancies.resident_hired.v1") == 3
    assert all(event_id in tail.stdout for event_id in ids)
    assert "3 event" in tail.stderr
    none = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "console.cli", "events", "tail", "registry.#", "--from", "first"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert none.returncode == 0
    assert "0 event" in none.stderr
    bad = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "console.cli", "events", "tail", "--from", "kemarin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "--from" in bad.stderr
