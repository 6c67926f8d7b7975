"""Fixtures for the fuzz tests: each service running for real (its own database and vhost), served
over HTTP by uvicorn on a thread of its own, so that schemathesis' synchronous client can call it
while the asyncpg pool and the broker connection stay on the loop that made them."""

import asyncio
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg
import pytest
import uvicorn

sys.path.insert(0, str(Path(__file__).parent))

from fuzz_services import SERVICES

from kerjalokal.testing.plugin import VhostPool, with_path


async def _create_database(admin_url: str) -> str:
    name = f"kl_fuzz_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class RunningService:
    """One service on 127.0.0.1:<free port>, started in a thread with its own event loop."""

    def __init__(self, name: str, database_url: str, amqp_url: str) -> None:
        service = SERVICES[name]
        self.name = name
        self.settings = service.settings(database_url, amqp_url)
        self.app = service.create_app(self.settings)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(
            self.app,
            lifespan="on",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=f"fuzz-{name}", daemon=True)
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:
            self._error = exc

    def start(self, timeout: float = 60) -> "RunningService":
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"{self.name} did not start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not start within {timeout}s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(30)


class Services:
    """The services the fuzz tests ask for, started on first use and stopped at the end."""

    def __init__(self, database_url: str, amqp_url: str, vhosts: VhostPool) -> None:
        self._database_url = database_url
        self._amqp_url = amqp_url
        self._vhosts = vhosts
        self._running: dict[str, RunningService] = {}
        self._made: list[tuple[str, str]] = []  # (database, vhost)

    def __getitem__(self, name: str) -> RunningService:
        if name not in self._running:
            # Each service alone on its vhost: no other service consumes what it publishes.
            for other in list(self._running):
                self._running.pop(other).stop()
            database = asyncio.run(_create_database(self._database_url))
            vhost = self._vhosts.take()
            self._made.append((database, vhost))
            self._running[name] = RunningService(
                name,
                with_path(self._database_url, database),
                with_path(self._amqp_url, quote(vhost, safe="")),
            ).start()
        return self._running[name]

    def close(self) -> None:
        for running in self._running.values():
            running.stop()
        self._running.clear()
        for database, vhost in self._made:
            asyncio.run(_drop_database(self._database_url, database))
            self._vhosts.give_back(vhost)


@pytest.fixture(scope="module")
def services(database_url: str, amqp_url: str, _vhosts: VhostPool) -> Iterator[Services]:
    running = Services(database_url, amqp_url, _vhosts)
    yield running
    running.close()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)
