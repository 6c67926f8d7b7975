"""The console as a real process for the browser tests, and headless Chromium: Debian's
chromium driven by Playwright (`executable_path`, never `playwright install`)."""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, async_playwright

from kerjalokal.testing.proxy import free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
TOKEN = "browser-operator"
SCREENSHOTS = (
    Path(os.environ.get("CONSOLE_SCREENSHOTS", tempfile.gettempdir())) / "kerjalokal-console"
)


@dataclass
class Console:
    url: str
    amqp_url: str
    log: Path

    def api(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, headers={"Authorization": f"Bearer {TOKEN}"})


def _start(
    command: list[str], env: dict[str, str], log: Path, cwd: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=cwd)


@pytest.fixture
async def console(fresh_database, vhost_url, tmp_path: Path) -> AsyncIterator[Console]:
    port, log = free_port(), tmp_path / "console.log"
    env = os.environ | {
        "CONSOLE_DATABASE_URL": await fresh_database(),
        "AMQP_URL": vhost_url,
        "OPERATOR_TOKEN": TOKEN,
        "CONSOLE_USE_RABBITMQCTL": "false",
        "CONSOLE_SAMPLE_INTERVAL": "1",
        "CONSOLE_STREAM_RECHECK_SECONDS": "1",
    }
    command = [
        sys.executable,
        "-m",
        "console.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    process = await asyncio.to_thread(_start, command, env, log, tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=url) as http, asyncio.timeout(60):
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if (await http.get("/ready")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.3)
        yield Console(url, vhost_url, log)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not await asyncio.to_thread(Path(CHROMIUM).exists):
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (make setup does it)")
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()
