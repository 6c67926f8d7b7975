"""Pytest fixtures for tests against the real PostgreSQL and RabbitMQ.

URLs come from DATABASE_URL and AMQP_URL (an admin URL each); where they are unset and a Docker
engine answers, testcontainers starts the servers. With neither, a test is skipped locally and
fails in CI (CI=true), since a missing service must never pass for green.

Tests never share state: `fresh_database` makes a database per call and drops it after, and
`vhost_url` gives each test a RabbitMQ vhost of its own (our exchange and queue names are fixed, so
a vhost is the unit of isolation) and deletes it after. Every rabbitmqctl call starts an Erlang VM
(about a second of CPU), so on this machine vhosts are made in batches with one
`import_definitions` and deleted in batches with one `eval`; the last batch at the end of the
session, so that none is left behind.
"""

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import ExitStack
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest


def _unavailable(what: str) -> None:
    message = f"no {what} and no Docker engine"
    if os.getenv("CI"):
        pytest.fail(f"{message}: CI must run against the real servers")
    pytest.skip(message)


def _docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def _containers() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.fixture(scope="session")
def database_url(_containers: ExitStack) -> str:
    if url := os.getenv("DATABASE_URL"):
        return url
    if not _docker_available():
        _unavailable("DATABASE_URL")
    from testcontainers.postgres import PostgresContainer

    pg = _containers.enter_context(PostgresContainer("postgres:15", driver=None))
    return str(pg.get_connection_url())


class BrokerAdmin:
    """rabbitmqctl on this machine, or inside the test container."""

    def __init__(self, container: Any = None) -> None:
        self._container = container

    def __call__(self, *args: str) -> None:
        if self._container is not None:
            code, output = self._container.exec(["rabbitmqctl", *args])
            if code:
                raise RuntimeError(output.decode())
            return
        if not shutil.which("rabbitmqctl"):
            pytest.fail("rabbitmqctl is needed to make test vhosts (run the tests as root)")
        subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def _broker(_containers: ExitStack) -> tuple[str, BrokerAdmin]:
    if url := os.getenv("AMQP_URL"):
        return url, BrokerAdmin()
    if not _docker_available():
        _unavailable("AMQP_URL")
    from testcontainers.rabbitmq import RabbitMqContainer

    rmq = _containers.enter_context(RabbitMqContainer("rabbitmq:3.10-management"))
    host, port = rmq.get_container_host_ip(), rmq.get_exposed_port(rmq.port)
    url = f"amqp://{rmq.username}:{rmq.password}@{host}:{port}/"
    return url, BrokerAdmin(rmq.get_wrapped_container())


@pytest.fixture(scope="session")
def amqp_url(_broker: tuple[str, BrokerAdmin]) -> str:
    return _broker[0]


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + path))


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[Callable[[], Awaitable[str]]]:
    """Call it to get the URL of a new, empty database; all are dropped after the test."""
    made: list[str] = []

    async def make() -> str:
        name = f"kl_test_{uuid.uuid4().hex[:12]}"
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()
        made.append(name)
        return with_path(database_url, name)

    yield make
    conn = await asyncpg.connect(database_url)
    try:
        for name in made:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


class VhostPool:
    """New, empty vhosts for tests, each with the URL's user allowed everything on it."""

    BATCH = 16

    def __init__(self, url: str, admin: BrokerAdmin) -> None:
        self._user = urlsplit(url).username or "guest"
        self._admin = admin
        self._local = admin._container is None
        self._free: list[str] = []
        self._used: list[str] = []
        self._lock = threading.Lock()

    def take(self) -> str:
        with self._lock:
            if not self._free:
                self._free = self._make(self.BATCH if self._local else 1)
            return self._free.pop()

    def give_back(self, name: str) -> None:
        with self._lock:
            self._used.append(name)
            if len(self._used) >= self.BATCH // 2:
                self._delete(self._used)
                self._used = []

    def close(self) -> None:
        with self._lock:
            self._delete(self._used + self._free)
            self._used, self._free = [], []

    def _make(self, count: int) -> list[str]:
        names = [f"kl-test-{uuid.uuid4().hex[:12]}" for _ in range(count)]
        if not self._local:
            for name in names:
                self._admin("add_vhost", name)
                self._admin("set_permissions", "-p", name, self._user, ".*", ".*", ".*")
            return names
        definitions = {
            "vhosts": [{"name": name} for name in names],
            "permissions": [
                {"user": self._user, "vhost": name, "configure": ".*", "write": ".*", "read": ".*"}
                for name in names
            ],
        }
        with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
            json.dump(definitions, file)
            file.flush()
            os.chmod(file.name, 0o644)  # rabbitmqctl may read it as the rabbitmq user
            self._admin("import_definitions", file.name)
        return names

    def _delete(self, names: list[str]) -> None:
        if not names:
            return
        if self._local:
            erlang = ", ".join(f'<<"{name}">>' for name in names)
            self._admin("eval", f'[rabbit_vhost:delete(V, <<"kl-test">>) || V <- [{erlang}]].')
            return
        for name in names:
            self._admin("delete_vhost", name)


@pytest.fixture(scope="session")
def _vhosts(_broker: tuple[str, BrokerAdmin]) -> Iterator[VhostPool]:
    pool = VhostPool(*_broker)
    yield pool
    pool.close()


@pytest.fixture
async def vhost_url(_broker: tuple[str, BrokerAdmin], _vhosts: VhostPool) -> AsyncIterator[str]:
    """An AMQP URL on a new vhost, deleted (with all its queues) after the test."""
    name = await asyncio.to_thread(_vhosts.take)
    try:
        yield with_path(_broker[0], quote(name, safe=""))
    finally:
        await asyncio.to_thread(_vhosts.give_back, name)


@pytest.fixture(scope="session")
def broker_admin(_broker: tuple[str, BrokerAdmin]) -> BrokerAdmin:
    return _broker[1]
