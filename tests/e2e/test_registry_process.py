"""The registry as a real process: HTTP in, `registry.resident_registered.v1` out on the broker,
read by a plain aio-pika consumer as an agency would, and no personal data in events or logs."""

import asyncio
import base64
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from kerjalokal.testing.factories import registration
from kerjalokal.testing.tap import EventTap

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
async def registry_process(
    fresh_database, vhost_url, tmp_path: Path
) -> AsyncIterator[tuple[str, str, Path]]:
    port = free_port()
    log = tmp_path / "registry.log"
    env = os.environ | {
        "REGISTRY_DATABASE_URL": await fresh_database(),
        "AMQP_URL": vhost_url,
        "REGISTRY_NIK_HMAC_KEY": base64.b64encode(os.urandom(32)).decode(),
        "REGISTRY_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "NIK_LOOKUP_KEY": base64.b64encode(os.urandom(32)).decode(),
        "OPERATOR_TOKEN": "e2e-operator",
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "registry.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
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
        yield base, vhost_url, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


async def test_registering_over_http_puts_the_event_on_the_exchange(registry_process) -> None:
    base, amqp_url, log = registry_process
    payload = registration()
    async with EventTap(amqp_url, pattern="registry.#") as agency:
        async with httpx.AsyncClient(base_url=base) as http:
            response = await http.post(
                "/residents", json=payload, headers={"Authorization": "Bearer e2e-operator"}
            )
            assert response.status_code == 201, response.text
            bad = await http.post(
                "/residents", json=payload | {"nik": "123"},
                headers={"Authorization": "Bearer e2e-operator"},
            )  # fmt: skip
            assert bad.status_code == 422
        [message] = await agency.wait_for("registry.resident_registered.v1", timeout=20)
    resident = response.json()
    assert message.headers["ce-specversion"] == "1.0"
    assert message.headers["ce-id"] == message.message_id
    assert message.headers["ce-source"] == "/kerjalokal/registry"
    assert message.headers["ce-type"] == message.routing_key == "registry.resident_registered.v1"
    assert message.headers["ce-subject"] == resident["resident_id"]
    assert "ce-time" in message.headers
    assert json.loads(message.body)["resident_id"] == resident["resident_id"]
    phone = resident["personal"]["phone"]
    secrets = (
        payload["nik"],
        payload["full_name"],
        payload["email"],
        phone,
        phone.replace("+62", "0"),
    )
    wire = message.body.decode() + json.dumps(message.headers, default=str)
    logs = log.read_text()
    for secret in secrets:
        assert secret not in wire
        assert secret not in logs
    assert "POST /residents" in logs
