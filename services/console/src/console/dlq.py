"""Dead letters: taken off each service's `<service>.dlq` into the console's table (acked only
after the row committed, so none is lost and none is left half-read in the queue), then listed,
replayed to the queue they failed in, or discarded with a note.

A replay publishes the original body and event headers to the default exchange with the
consumer queue's name as routing key, with publisher confirms; the consumer's inbox makes a
replay of something already processed harmless. Console dead letters (events the projections
could not apply) replay by applying them again.
"""

import json
import logging
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractRobustConnection
from pamqp.commands import Basic

from kerjalokal.messaging.topology import DLX, dead_letter_queue

from . import projector
from .domain import deadletters
from .projector import StreamEvent

log = logging.getLogger("console.dlq")


class ReplayFailed(Exception):
    pass


class NotFound(LookupError):
    pass


MAX_ID = 2**63 - 1  # dead_letter_id is a bigint: a larger id names no dead letter


async def drain(
    pool: asyncpg.Pool,
    connection: AbstractRobustConnection,
    *,
    services: tuple[str, ...],
    limit: int = 1000,
) -> int:
    """Move what waits in the services' DLQs into the table; return how many were taken."""
    taken = 0
    channel = await connection.channel()
    try:
        dlx = await channel.declare_exchange(
            DLX.name, type=aio_pika.ExchangeType.TOPIC, durable=True
        )
        for service in services:
            spec = dead_letter_queue(service)
            queue = await channel.declare_queue(
                spec.name, durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.bind(dlx, routing_key=f"{service}.#")
            while taken < limit and (message := await queue.get(no_ack=False, fail=False)):
                await _store(pool, service, message)
                await message.ack()
                taken += 1
    finally:
        await channel.close()
    return taken


async def _store(pool: asyncpg.Pool, service: str, message: Any) -> None:
    headers = dict(message.headers or {})
    failure = deadletters.failure(headers, arrived_from=message.routing_key or f"{service}.?")
    event_type = message.type or str(headers.get("ce-type") or failure.routing_key or "")
    await pool.execute(
        """
        INSERT INTO dead_letter (fingerprint, service, queue, exchange, routing_key, message_id,
            event_type, reason, error, attempts, failed_at, headers, content_type, body)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        ON CONFLICT (fingerprint) DO NOTHING
        """,
        deadletters.fingerprint(
            queue=failure.queue,
            message_id=message.message_id,
            failed_at=failure.failed_at,
            body=message.body,
        ),
        service,
        failure.queue,
        failure.exchange,
        failure.routing_key,
        message.message_id,
        event_type or None,
        failure.reason,
        failure.error,
        failure.attempts,
        failure.failed_at,
        json.dumps(headers, default=str),
        message.content_type,
        message.body,
    )


async def listing(
    conn: asyncpg.Connection,
    *,
    service: str | None = None,
    status: str | None = "pending",
    limit: int = 200,
) -> list[asyncpg.Record]:
    if service and "\x00" in service:  # no service is called that; PostgreSQL refuses NUL
        return []
    return await conn.fetch(
        """
        SELECT dead_letter_id, service, queue, routing_key, message_id, event_type, reason, error,
               attempts, failed_at, received_at, status, replays, resolved_at, resolved_by, note
        FROM dead_letter
        WHERE ($1::text IS NULL OR service = $1) AND ($2::text IS NULL OR status = $2)
        ORDER BY dead_letter_id DESC LIMIT $3
        """,
        service,
        status,
        limit,
    )


async def counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch(
        "SELECT service, count(*) AS n FROM dead_letter WHERE status = 'pending' GROUP BY service"
    )
    return {r["service"]: r["n"] for r in rows}


async def get(conn: asyncpg.Connection, dead_letter_id: int) -> asyncpg.Record:
    if not 0 < dead_letter_id <= MAX_ID:
        raise NotFound(dead_letter_id)
    row = await conn.fetchrow("SELECT * FROM dead_letter WHERE dead_letter_id = $1", dead_letter_id)
    if row is None:
        raise NotFound(dead_letter_id)
    return row


async def replay(
    pool: asyncpg.Pool, connection: AbstractRobustConnection, dead_letter_id: int, *, actor: str
) -> None:
    if not 0 < dead_letter_id <= MAX_ID:
        raise NotFound(dead_letter_id)
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            "SELECT * FROM dead_letter WHERE dead_letter_id = $1 FOR UPDATE", dead_letter_id
        )
        if row is None:
            raise NotFound(dead_letter_id)
        if row["service"] == "console":
            await _reapply(conn, row)
        else:
            await _publish(connection, row)
        await conn.execute(
            "UPDATE dead_letter SET status = 'replayed', replays = replays + 1,"
            " resolved_at = now(), resolved_by = $2 WHERE dead_letter_id = $1",
            dead_letter_id,
            actor,
        )
    log.info("dead letter %d replayed to %s by %s", dead_letter_id, row["queue"], actor)


async def replay_all(
    pool: asyncpg.Pool,
    connection: AbstractRobustConnection,
    *,
    service: str | None,
    actor: str,
    progress: Any = None,
) -> tuple[int, list[tuple[int, str]]]:
    async with pool.acquire() as conn:
        ids = [r["dead_letter_id"] for r in await listing(conn, service=service, limit=100_000)]
    done, failed = 0, []
    for i, dead_letter_id in enumerate(reversed(ids)):  # oldest first
        try:
            await replay(pool, connection, dead_letter_id, actor=actor)
            done += 1
        except ReplayFailed as exc:
            failed.append((dead_letter_id, str(exc)))
        if progress:
            progress(i + 1, len(ids))
    return done, failed


async def discard(conn: asyncpg.Connection, dead_letter_id: int, *, note: str, actor: str) -> None:
    if not 0 < dead_letter_id <= MAX_ID:
        raise NotFound(dead_letter_id)
    status = await conn.fetchval(
        "UPDATE dead_letter SET status = 'discarded', note = $2, resolved_at = now(),"
        " resolved_by = $3 WHERE dead_letter_id = $1 AND status = 'pending' RETURNING status",
        dead_letter_id,
        note,
        actor,
    )
    if status is None:
        await get(conn, dead_letter_id)  # raises NotFound when it does not exist
        raise ReplayFailed("Sudah diselesaikan / already resolved")


async def _publish(connection: AbstractRobustConnection, row: asyncpg.Record) -> None:
    headers = deadletters.replay_headers(json.loads(row["headers"]))
    headers["x-kerjalokal-replay-of"] = row["dead_letter_id"]
    message = aio_pika.Message(
        row["body"],
        headers=headers,
        message_id=row["message_id"],
        type=row["event_type"],
        content_type=row["content_type"],
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )
    channel = await connection.channel(publisher_confirms=True)
    try:
        confirm = await channel.default_exchange.publish(
            message, routing_key=row["queue"], mandatory=True, timeout=10
        )
    finally:
        await channel.close()
    if not isinstance(confirm, Basic.Ack):
        raise ReplayFailed(
            f"Antrean {row['queue']} tidak ada / queue {row['queue']} does not exist"
        )


async def _reapply(conn: asyncpg.Connection, row: asyncpg.Record) -> None:
    event = StreamEvent(
        offset=-1, routing_key=row["routing_key"], event_id=row["message_id"], body=row["body"]
    )
    try:
        await projector.reapply(conn, event)
    except projector.BAD_EVENT as exc:
        raise ReplayFailed(f"Masih gagal / still fails: {exc}") from exc
