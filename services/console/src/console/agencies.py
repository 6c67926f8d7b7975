"""Agencies: a RabbitMQ user per agency with its own capped queue, bound only to the public
event types it asked for.

Broker administration sits behind `BrokerAdmin`. `Rabbitmqctl` is what runs here (root on the
broker's host); in production the same five calls map onto the management HTTP API
(PUT /api/users/<user>, PUT /api/permissions/<vhost>/<user>,
PUT /api/topic-permissions/<vhost>/<user>, PUT /api/policies/<vhost>/<name>,
DELETE /api/users/<user>), run by a dedicated administrator user.

The queue is a quorum queue with `x-max-length` and `x-overflow: drop-head`: a stuck agency loses
its oldest events (it can replay them from the event log) and never makes the broker refuse our
publishes, which `reject-publish` would do for every consumer of the same event. A policy with
the same cap covers any other queue the agency declares under its own prefix.
"""

import asyncio
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote, urlsplit, urlunsplit

import aio_pika
import asyncpg
from aio_pika.abc import AbstractRobustConnection
from pamqp.commands import Basic

from . import stream, topology
from .domain.agencies import EXCHANGE, AgencyAccess, AgencyRefused, access
from .domain.topics import matches


class BrokerAdmin(Protocol):
    async def add_user(self, username: str, password: str) -> None: ...
    async def delete_user(self, username: str) -> None: ...
    async def set_permissions(
        self, vhost: str, username: str, configure: str, write: str, read: str
    ) -> None: ...
    async def set_topic_permissions(
        self, vhost: str, username: str, exchange: str, write: str, read: str
    ) -> None: ...
    async def set_policy(
        self, vhost: str, name: str, pattern: str, definition: dict[str, object]
    ) -> None: ...
    async def clear_policy(self, vhost: str, name: str) -> None: ...


class AdminFailed(RuntimeError):
    pass


class Rabbitmqctl:
    """rabbitmqctl on the broker's host; the password goes through stdin, never argv."""

    async def _run(self, *args: str, stdin: str | None = None) -> str:
        process = await asyncio.create_subprocess_exec(
            "rabbitmqctl",
            "-q",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin else None), 60
        )
        if process.returncode:
            raise AdminFailed(
                f"rabbitmqctl {args[0]}: {err.decode().strip() or out.decode().strip()}"
            )
        return out.decode()

    async def add_user(self, username: str, password: str) -> None:
        await self._run("add_user", username, stdin=password + "\n")

    async def delete_user(self, username: str) -> None:
        await self._run("delete_user", username)

    async def set_permissions(
        self, vhost: str, username: str, configure: str, write: str, read: str
    ) -> None:
        await self._run("set_permissions", "-p", vhost, username, configure, write, read)

    async def set_topic_permissions(
        self, vhost: str, username: str, exchange: str, write: str, read: str
    ) -> None:
        await self._run("set_topic_permissions", "-p", vhost, username, exchange, write, read)

    async def set_policy(
        self, vhost: str, name: str, pattern: str, definition: dict[str, object]
    ) -> None:
        await self._run(
            "set_policy",
            "-p",
            vhost,
            name,
            pattern,
            json.dumps(definition),
            "--apply-to",
            "queues",
            "--priority",
            "10",
        )

    async def clear_policy(self, vhost: str, name: str) -> None:
        await self._run("clear_policy", "-p", vhost, name)


@dataclass(frozen=True)
class Credentials:
    name: str
    username: str
    password: str
    queue: str
    amqp_url: str
    event_types: tuple[str, ...]


async def add(
    pool: asyncpg.Pool,
    connection: AbstractRobustConnection,
    admin: BrokerAdmin,
    *,
    name: str,
    event_types: list[str],
    vhost: str,
    broker_url: str,
    max_length: int,
) -> Credentials:
    agency = access(name, event_types)
    if await pool.fetchval("SELECT 1 FROM agency WHERE name = $1", name):
        raise AgencyRefused("name", f"Agensi {name} sudah ada / agency {name} exists already")
    password = secrets.token_urlsafe(24)
    await topology.declare(connection)  # the exchange to bind to, even before any service ran
    await _declare_queue(connection, agency, max_length)
    await admin.set_policy(
        vhost,
        f"agency-{name}-cap",
        agency.own_queues,
        {"max-length": max_length, "overflow": "drop-head"},
    )
    await admin.add_user(agency.username, password)
    await admin.set_permissions(vhost, agency.username, *agency.vhost_permissions())
    await admin.set_topic_permissions(vhost, agency.username, EXCHANGE, *agency.topic_permissions())
    await pool.execute(
        "INSERT INTO agency (name, username, queue, event_types, max_length)"
        " VALUES ($1, $2, $3, $4, $5)",
        name,
        agency.username,
        agency.queue,
        list(agency.event_types),
        max_length,
    )
    return Credentials(
        name,
        agency.username,
        password,
        agency.queue,
        _with_user(broker_url, agency.username, password),
        agency.event_types,
    )


async def _declare_queue(
    connection: AbstractRobustConnection, agency: AgencyAccess, max_length: int
) -> None:
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(
            agency.queue,
            durable=True,
            arguments={
                "x-queue-type": "quorum",
                "x-max-length": max_length,
                "x-overflow": "drop-head",
            },
        )
        for event_type in agency.event_types:
            await queue.bind(EXCHANGE, routing_key=event_type)
    finally:
        await channel.close()


async def remove(
    pool: asyncpg.Pool,
    connection: AbstractRobustConnection,
    admin: BrokerAdmin,
    *,
    name: str,
    vhost: str,
) -> None:
    row = await pool.fetchrow("SELECT * FROM agency WHERE name = $1", name)
    if row is None:
        raise AgencyRefused("name", f"Agensi {name} tidak ada / no agency {name}")
    await admin.delete_user(row["username"])  # closes its connections
    channel = await connection.channel()
    try:
        await channel.queue_delete(row["queue"])
    finally:
        await channel.close()
    await admin.clear_policy(vhost, f"agency-{name}-cap")
    await pool.execute("DELETE FROM agency WHERE name = $1", name)


async def listing(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("SELECT * FROM agency ORDER BY name")


async def replay(
    pool: asyncpg.Pool,
    connection: AbstractRobustConnection,
    *,
    name: str,
    start: stream.Offset,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Copy the agency's event types from the log into its queue, from `start` to the end."""
    row = await pool.fetchrow("SELECT * FROM agency WHERE name = $1", name)
    if row is None:
        raise AgencyRefused("name", f"Agensi {name} tidak ada / no agency {name}")
    end = await stream.end_offset(connection)
    sent = 0
    channel = await connection.channel(publisher_confirms=True)
    try:
        async for event in stream.events(connection, start=start, idle=2.0):
            if any(matches(t, event.routing_key) for t in row["event_types"]):
                confirm = await channel.default_exchange.publish(
                    aio_pika.Message(
                        event.body,
                        headers=event.headers,
                        message_id=event.event_id,
                        type=event.routing_key,
                        content_type=event.content_type,
                        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    ),
                    routing_key=row["queue"],
                    mandatory=True,
                )
                if not isinstance(confirm, Basic.Ack):
                    raise AdminFailed(f"queue {row['queue']} refused the replay")
                sent += 1
            if progress:
                progress(event.offset, end)
            if event.offset >= end:
                break
    finally:
        await channel.close()
    return sent


def _with_user(url: str, username: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    netloc = f"{quote(username, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def example_consumer(credentials: Credentials) -> str:
    """A short consumer the agency can run as it is (Python, aio-pika)."""
    return f'''import asyncio, json, aio_pika

async def main():
    connection = await aio_pika.connect_robust("{credentials.amqp_url}")
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=50)
    queue = await channel.get_queue("{credentials.queue}", ensure=False)
    async with queue.iterator() as messages:
        async for message in messages:
            async with message.process():          # ack after your own commit
                event = json.loads(message.body)
                print(message.type, message.headers.get("ce-id"), event)

asyncio.run(main())
'''
