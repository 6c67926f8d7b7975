"""Pytest fixtures for tests against the real PostgreSQL and RabbitMQ.

URLs come from DATABASE_URL and AMQP_URL (an admin URL each); where they are unset and a Docker
engine answers, testcontainers starts the servers. With neither, a test is skipped locally and
fails in CI (CI=true), since a missing service must never pass for green.

Tests never share state: `fresh_database` makes a database per call and drops it after, and
`vhost_url` makes a RabbitMQ vhost per call (our exchange and queue names are fixed, so a vhost is
the unit of isolation) and deletes it after.
"""

import asyncio
import os
import shutil
import subprocess
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


@pytest.fixture
async def vhost_url(_broker: tuple[str, BrokerAdmin]) -> AsyncIterator[str]:
    """An AMQP URL on a new vhost, deleted (with all its queues) after the test."""
    url, admin = _broker
    name = f"kl-test-{uuid.uuid4().hex[:12]}"
    user = urlsplit(url).username or "guest"
    await asyncio.to_thread(admin, "add_vhost", name)
    await asyncio.to_thread(admin, "set_permissions", "-p", name, user, ".*", ".*", ".*")
    try:
        yield with_path(url, quote(name, safe=""))
    finally:
        await asyncio.to_thread(admin, "delete_vhost", name)


@pytest.fixture(scope="session")
def broker_admin(_broker: tuple[str, BrokerAdmin]) -> BrokerAdmin:
    return _broker[1]
