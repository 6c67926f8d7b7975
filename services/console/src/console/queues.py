"""Queue health. Depth and consumer count come from passive declares over AMQP, which work on
any broker without the management plugin (not enabled on the development machines). Which
queues exist is known from the topology (each service's DLQ, the unrouted queue), the agencies'
queues, CONSOLE_WATCH_QUEUES, and, only where it runs (root on the broker's host),
`rabbitmqctl list_queues`. The management HTTP API (GET /api/queues/<vhost>) is the production
path for discovery and for true publish/deliver rates; passive declares give the net change of
the depth over time, which is what the growth warning needs.
"""

import asyncio
import contextlib
import json
import logging
import shutil
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote, urlsplit

import aiormq
import asyncpg
from aio_pika.abc import AbstractRobustConnection

from .domain import health
from .projector import STREAM

log = logging.getLogger("console.queues")
KEEP = timedelta(hours=24)


def vhost_of(amqp_url: str) -> str:
    path = urlsplit(amqp_url).path
    return unquote(path[1:]) if len(path) > 1 else "/"


async def rabbitmqctl_queues(vhost: str) -> list[str] | None:
    """Queue names from rabbitmqctl, or None where it does not run."""
    if not shutil.which("rabbitmqctl"):
        return None
    try:
        process = await asyncio.create_subprocess_exec(
            "rabbitmqctl",
            "-q",
            "list_queues",
            "-p",
            vhost,
            "name",
            "--formatter",
            "json",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 20)
    except (OSError, TimeoutError):
        return None
    if process.returncode:
        return None
    try:
        return [q["name"] for q in json.loads(out or b"[]")]
    except (ValueError, KeyError, TypeError):
        return None


async def known_queues(
    conn: asyncpg.Connection,
    *,
    services: tuple[str, ...],
    watch: tuple[str, ...],
    vhost: str,
    use_rabbitmqctl: bool,
) -> list[str]:
    names = {f"{s}.dlq" for s in services} | {"kerjalokal.unrouted"} | set(watch)
    names |= {r["queue"] for r in await conn.fetch("SELECT queue FROM agency")}
    names |= {
        r["queue"]
        for r in await conn.fetch(
            "SELECT DISTINCT queue FROM dead_letter WHERE service <> 'console'"
        )
    }
    if use_rabbitmqctl and (listed := await rabbitmqctl_queues(vhost)):
        names |= set(listed)
    names.discard(STREAM)  # a stream reports neither depth nor consumers to a passive declare
    return sorted(names)


async def sample(
    pool: asyncpg.Pool, connection: AbstractRobustConnection, queues: list[str]
) -> int:
    now = datetime.now(UTC)
    rows = []
    channel = await connection.channel()
    try:
        for name in queues:
            try:
                declared = await channel.declare_queue(name, passive=True)
            except aiormq.exceptions.ChannelNotFoundEntity:
                channel = await connection.channel()  # a failed passive declare closes the channel
                continue
            result = declared.declaration_result
            rows.append((name, now, result.message_count or 0, result.consumer_count or 0))
    finally:
        with contextlib.suppress(Exception):
            await channel.close()
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO queue_sample (queue, sampled_at, messages, consumers)"
            " VALUES ($1, $2, $3, $4)"
            " ON CONFLICT DO NOTHING",
            rows,
        )
        await conn.execute("DELETE FROM queue_sample WHERE sampled_at < $1", now - KEEP)
    return len(rows)


async def report(
    conn: asyncpg.Connection, *, window: timedelta = timedelta(minutes=10)
) -> list[health.QueueHealth]:
    rows = await conn.fetch(
        """
        SELECT queue, sampled_at, messages, consumers FROM queue_sample
        WHERE sampled_at > (SELECT max(sampled_at) FROM queue_sample) - $1::interval
        ORDER BY queue, sampled_at
        """,
        window,
    )
    by_queue: dict[str, list[health.Sample]] = {}
    for r in rows:
        by_queue.setdefault(r["queue"], []).append(
            health.Sample(r["sampled_at"], r["messages"], r["consumers"])
        )
    return [health.assess(q, s) for q, s in sorted(by_queue.items())]


async def history(conn: asyncpg.Connection, queue: str) -> list[tuple[datetime, int]]:
    rows = await conn.fetch(
        "SELECT sampled_at, messages FROM queue_sample WHERE queue = $1"
        " ORDER BY sampled_at DESC LIMIT 120",
        queue,
    )
    return [(r["sampled_at"], r["messages"]) for r in reversed(rows)]
