"""Idempotent consumers: the `(consumer, event_id)` row commits with the consumer's side effects,
so a redelivered event finds it and changes nothing."""

from collections.abc import Awaitable, Callable
from uuid import UUID

import asyncpg

from . import failpoints
from .consumer import PermanentError


async def handle_once(
    pool: asyncpg.Pool,
    *,
    consumer: str,
    event_id: UUID | str,
    apply: Callable[[asyncpg.Connection], Awaitable[object]],
) -> bool:
    """Run `apply` in one transaction with the inbox row; False when the event was seen before."""
    if not event_id:
        raise PermanentError(
            "the message has no id (message_id / ce-id), so it cannot be deduplicated"
        )
    async with pool.acquire() as conn, conn.transaction():
        first_time = await conn.fetchval(
            "INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)"
            " ON CONFLICT DO NOTHING RETURNING true",
            consumer,
            str(event_id),
        )
        if not first_time:
            return False
        await apply(conn)
    failpoints.hit("consumer.after_commit_before_ack")
    return True
