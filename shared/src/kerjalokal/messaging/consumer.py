"""How every consumer settles a message, so that nothing is lost and no healthy message is
dead-lettered:

- success: ack (after the handler's transaction committed);
- the message cannot be read (not JSON, schema-invalid) or the handler raised `PermanentError`:
  dead-letter at once with the reason, ack, and go on with the messages behind it;
- a dependency is down (PostgreSQL stopped, connection lost): keep the message and retry in place
  with capped backoff; requeueing would count towards the broker's delivery limit;
- any other failure: requeue after a short backoff, and dead-letter with the reason on the last
  attempt.

A dead letter is a copy of the message published with confirms to `kerjalokal.dlx` under the
consumer queue's name, with `x-kerjalokal-*` headers saying why, before the original is acked.
"""

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from types import TracebackType
from typing import Any

import asyncpg
from aio_pika import IncomingMessage
from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.rabbit import RabbitBroker
from pydantic import ValidationError

from .topology import DLX

log = logging.getLogger("kerjalokal.consumer")

MAX_ATTEMPTS = 5


class PermanentError(Exception):
    """The message can never be processed as it is: dead-letter it now."""


INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    # PostgreSQL rolled the transaction back to break a deadlock (two transactions adding events
    # of one aggregate in opposite orders) or a serialization conflict: simply try again.
    asyncpg.TransactionRollbackError,
)
UNREADABLE_ERRORS: tuple[type[BaseException], ...] = (
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
    PermanentError,
)


def describe(exc: BaseException) -> str:
    """A reason fit for headers and logs: field paths and messages, never the input values."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )[:1000]
    if isinstance(exc, asyncpg.PostgresError):
        # The server's message and DETAIL can quote the values (`Key (nik_lookup)=(...)`,
        # `invalid input syntax for type uuid: "..."`): only the kind and the names go out.
        names = (
            f"{label} {value}"
            for label, value in (
                ("table", exc.table_name),
                ("column", exc.column_name),
                ("constraint", exc.constraint_name),
            )
            if value
        )
        return f"{type(exc).__name__} (SQLSTATE {exc.sqlstate}) " + ", ".join(names)
    return f"{type(exc).__name__}: {exc}"[:1000]


class ReliableConsumer(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, broker: RabbitBroker, backoff: float) -> None:
        super().__init__(msg, context=context)
        self._broker = broker
        self._backoff = backoff

    @property
    def _raw(self) -> IncomingMessage:
        assert self.msg is not None
        return self.msg

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        delay = self._backoff
        while True:
            try:
                return await call_next(msg)
            except INFRASTRUCTURE_ERRORS as exc:
                log.warning(
                    "dependency unavailable while handling %s (%s); retrying in %.1fs",
                    msg.message_id,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        if exc_val is None or isinstance(exc_val, HandlerException | asyncio.CancelledError):
            return False
        if not isinstance(exc_val, Exception):
            return False
        attempt = self._attempt()
        if isinstance(exc_val, UNREADABLE_ERRORS):
            return await self._dead_letter("unreadable", exc_val, attempt)
        if attempt >= MAX_ATTEMPTS:
            return await self._dead_letter("failed", exc_val, attempt)
        log.warning(
            "handler failed on %s (attempt %d of %d): %s",
            self._raw.message_id,
            attempt,
            MAX_ATTEMPTS,
            type(exc_val).__name__,
        )
        await asyncio.sleep(min(self._backoff * 2**attempt, 5.0))
        return False

    def _attempt(self) -> int:
        count = (self._raw.headers or {}).get("x-delivery-count", 0)
        return int(count if isinstance(count, int | str) else 0) + 1

    async def _dead_letter(self, reason: str, exc: Exception, attempt: int) -> bool:
        raw = self._raw
        queue = self.context.get_local("handler_").queue.name
        headers = dict(raw.headers or {}) | {
            "x-kerjalokal-reason": reason,
            "x-kerjalokal-error": describe(exc),
            "x-kerjalokal-queue": queue,
            "x-kerjalokal-exchange": raw.exchange or "",
            "x-kerjalokal-routing-key": raw.routing_key or "",
            "x-kerjalokal-attempts": attempt,
            "x-kerjalokal-failed-at": datetime.now(UTC).isoformat(),
        }
        try:
            await self._broker.publish(
                raw.body,
                exchange=DLX,
                routing_key=queue,
                headers=headers,
                message_id=raw.message_id,
                message_type=raw.type,
                content_type=raw.content_type,
                persist=True,
                timeout=10,
            )
        except Exception as publish_error:
            log.warning(
                "could not dead-letter %s: %s", raw.message_id, type(publish_error).__name__
            )
            return False
        log.error("dead-lettered %s from %s (%s): %s", raw.message_id, queue, reason, describe(exc))
        return True


def reliable_consumer(
    broker: RabbitBroker, *, backoff: float = 0.25
) -> Callable[..., ReliableConsumer]:
    return partial(ReliableConsumer, broker=broker, backoff=backoff)
