"""Transactional outbox: events commit with the state change that caused them, and a relay
publishes them in order, marking rows sent only after the broker confirmed them.

One relay per database is active at a time (a PostgreSQL advisory lock), so replicas may all run
one. The relay wakes on NOTIFY (sent at commit) and polls as a fallback, since NOTIFY is not
durable. A batch goes out with all its confirms in flight on one channel, which keeps the order,
and only the confirmed prefix is marked: anything after a failure is sent again, which consumers
absorb through their inbox.
"""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import aiormq
import asyncpg
from faststream.rabbit import RabbitBroker
from prometheus_client import Counter, Gauge

from kerjalokal.events import Event

from . import failpoints
from .envelope import CONTENT_TYPE, ce_headers
from .topology import EVENTS, RESTRICTED, exchange_for

log = logging.getLogger("kerjalokal.outbox")
PUBLISHED = Counter("kerjalokal_outbox_published", "Events published and confirmed", ["service"])
FAILED = Counter("kerjalokal_outbox_publish_failures", "Publishes that failed", ["service"])
OLDEST = Gauge(
    "kerjalokal_outbox_oldest_unpublished_seconds", "Age of the oldest unsent event", ["service"]
)

CHANNEL = "kerjalokal_outbox"
_EXCHANGES = {EVENTS.name: EVENTS, RESTRICTED.name: RESTRICTED}
_INSERT = """
    INSERT INTO outbox (event_id, event_type, exchange, subject, payload, occurred_at)
    VALUES ($1, $2, $3, $4, $5, $6)
"""
_COLUMNS = ("event_id", "event_type", "exchange", "subject", "payload", "occurred_at")


def _record(event: Event, now: datetime) -> tuple[Any, ...]:
    return (
        uuid4(),
        event.TYPE,
        exchange_for(event).name,
        event.subject,
        event.model_dump_json(),
        now,
    )


# Before its rows get their sequence numbers, a transaction takes a lock per aggregate
# (subject) until it ends: two transactions adding events of one aggregate then commit in the
# order of their sequence numbers. Without it, one that drew the lower number could commit
# after the relay had already sent the other's event, and consumers would see the aggregate's
# events out of order (P9). Two-key advisory locks do not share the one-key space the relay's
# leader lock uses. One call locks its subjects in sorted order; a transaction that adds
# events of one aggregate after locking another's row can deadlock with one doing the reverse,
# and PostgreSQL then rolls one back (a request answers 503 Retry-After, a consumer retries).
_LOCK_AND_NOTIFY = """
    SELECT pg_notify($1, ''),
        (SELECT count(pg_advisory_xact_lock(hashtext('kerjalokal.outbox.subject'), hashtext(s)))
         FROM unnest($2::text[]) AS s)
"""


async def add(conn: asyncpg.Connection, *events: Event, created: bool = False) -> list[UUID]:
    """Stage events inside the caller's transaction; they leave only if it commits. Another
    transaction that adds events of the same aggregate waits here until this one ends.

    `created=True`: the events' aggregates were created in this transaction under new ids (a
    hire's `uuid4()`), so no other transaction can add events of them yet and no lock is taken.
    A transaction that adds thousands of such events (a placement report of 20,000 rows) would
    otherwise fill PostgreSQL's lock table (`max_locks_per_transaction` x connections)."""
    now = datetime.now(UTC)
    records = [_record(event, now) for event in events]
    subjects = [] if created else sorted({record[3] for record in records})
    await conn.execute(_LOCK_AND_NOTIFY, CHANNEL, subjects)
    await conn.executemany(_INSERT, records)
    return [record[0] for record in records]


async def add_many(conn: asyncpg.Connection, events: Sequence[Event]) -> int:
    """Stage a large batch with COPY: the same guarantees as `add`, except that it takes no
    lock per aggregate, so it is for aggregates no other transaction adds events of at the
    same time (residents an import creates, deliveries the caller holds a claim on)."""
    now = datetime.now(UTC)
    await conn.copy_records_to_table(
        "outbox", records=[_record(event, now) for event in events], columns=_COLUMNS
    )
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return len(events)


Serialised = tuple[type[Event], str, str]
"""An event already serialised by its producer: (event class, subject, payload JSON)."""


async def add_many_serialised(conn: asyncpg.Connection, events: Sequence[Serialised]) -> int:
    """`add_many` for a producer that serialises its events itself because building hundreds of
    thousands of event models is what made it slow (the registry's bulk import). The payload
    must be byte for byte the event's `model_dump_json()`; the producer's tests compare them.
    Type and exchange still come from the event class, as in `add`."""
    now = datetime.now(UTC)
    records = [
        (uuid4(), kind.TYPE, exchange_for(kind).name, subject, payload, now)
        for kind, subject, payload in events
    ]
    await conn.copy_records_to_table("outbox", records=records, columns=_COLUMNS)
    await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return len(records)


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        broker: RabbitBroker,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 1.0,
        publish_timeout: float = 10.0,
    ) -> None:
        self._pool = pool
        self._broker = broker
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._publish_timeout = publish_timeout
        self._wake = asyncio.Event()
        self.published = 0

    async def run(self) -> None:
        """Relay until cancelled, surviving database and broker outages."""
        delay = 0.5
        while True:
            try:
                await self._relay_while_leader()
                delay = 0.5
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning(
                    "outbox relay interrupted (%s); retrying in %.1fs", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def _relay_while_leader(self) -> None:
        async with self._pool.acquire() as conn:
            lock_key = f"kerjalokal.outbox.{self._service}"
            while not await conn.fetchval(  # noqa: ASYNC110 - another replica holds the lock
                "SELECT pg_try_advisory_lock(hashtext($1))", lock_key
            ):
                await asyncio.sleep(self._poll_interval)
            await conn.add_listener(CHANNEL, self._on_notify)
            try:
                while True:
                    self._wake.clear()
                    # A short batch is no sign of an empty outbox (an aggregate's next event
                    # waits for the batch after its previous one): wait only when none was read.
                    if await self.relay_once(conn) == 0:
                        OLDEST.labels(self._service).set((await lag(conn))[1])
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(self._wake.wait(), self._poll_interval)
            finally:
                with contextlib.suppress(Exception):
                    await conn.remove_listener(CHANNEL, self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", lock_key)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def relay_once(self, conn: asyncpg.Connection) -> int:
        """Publish one batch of unsent rows, many confirms in flight; return how many rows it
        read. A batch holds at most the first unsent event of each aggregate (subject): the
        next one of that aggregate waits until this one is confirmed, so when a publish fails
        (the broker restarts, the network drops) nothing of the same aggregate overtakes it, and
        consumers see each aggregate's events in outbox order (P9)."""
        rows = await conn.fetch(
            "SELECT seq, event_id, event_type, exchange, subject, payload, occurred_at"
            " FROM outbox o WHERE published_at IS NULL AND NOT EXISTS ("
            "  SELECT 1 FROM outbox p WHERE p.published_at IS NULL AND p.subject = o.subject"
            "  AND p.seq < o.seq)"
            " ORDER BY seq LIMIT $1",
            self._batch_size,
        )
        if not rows:
            return 0
        failpoints.hit("relay.before_publish")
        outcomes = await asyncio.gather(
            *(self._publish(row) for row in rows), return_exceptions=True
        )
        confirmed, failed = [], 0
        for row, outcome in zip(rows, outcomes, strict=True):
            if not isinstance(outcome, BaseException):
                confirmed.append(row["seq"])  # no other event of its aggregate was in flight
            elif not failed:
                failed += 1
                await self._record_failure(conn, row, outcome)  # the first failure speaks
            else:
                failed += 1
        if confirmed:
            failpoints.hit("relay.after_confirm_before_mark")
            await conn.execute(
                "UPDATE outbox SET published_at = now(), attempts = attempts + 1"
                " WHERE seq = ANY($1::bigint[])",
                confirmed,
            )
            self.published += len(confirmed)
            PUBLISHED.labels(self._service).inc(len(confirmed))
        if len(confirmed) < len(rows):
            await asyncio.sleep(self._poll_interval)
        return len(rows)

    async def _publish(self, row: asyncpg.Record) -> None:
        """Straight to the aio-pika exchange on the broker's confirming channel (FastStream
        declares it once and keeps it), not through `broker.publish`: its per-message layers
        (middlewares, message building) cost the relay about a fifth of its CPU per event, and
        the relay counts and logs its publishes itself."""
        exchange = await self._broker.declare_exchange(_EXCHANGES[row["exchange"]])
        event_id = str(row["event_id"])
        message = aio_pika.Message(
            row["payload"].encode(),
            headers=ce_headers(
                event_id=row["event_id"],
                event_type=row["event_type"],
                service=self._service,
                subject=row["subject"],
                time=row["occurred_at"],
            ),
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event_id,
            correlation_id=event_id,
            timestamp=row["occurred_at"],
            type=row["event_type"],
        )
        await exchange.publish(
            message, routing_key=row["event_type"], mandatory=True, timeout=self._publish_timeout
        )

    async def _record_failure(
        self, conn: asyncpg.Connection, row: asyncpg.Record, exc: BaseException
    ) -> None:
        """Log which event failed and why, never its payload. A refusal by the broker (say
        ACCESS_REFUSED: this service's account may not publish that routing key) closes the
        channel; the broker opens a new one for the next attempt, and the row stays unsent and
        holds back the later events of its aggregate until an operator looks at it."""
        reason = failure_reason(exc)
        log.warning(
            "outbox publish failed at seq %s (%s to %s): %s",
            row["seq"],
            row["event_type"],
            row["exchange"],
            reason,
        )
        FAILED.labels(self._service).inc()
        await conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE seq = $1",
            row["seq"],
            reason[:500],
        )


def failure_reason(exc: BaseException) -> str:
    """The exception's type, and for a channel the broker closed its reply text (say
    `ACCESS_REFUSED - access to topic '...' in exchange '...' refused for user '...'`), which
    names no payload; other exceptions' text could quote the message, so only their type."""
    if isinstance(exc, aiormq.exceptions.ChannelClosed):
        return f"{type(exc).__name__}: {exc}"
    return type(exc).__name__


async def purge(conn: asyncpg.Connection, *, outbox_days: int = 7, inbox_days: int = 30) -> int:
    """Forget published events and old inbox keys; the event log stream keeps the history.
    The inbox window must outlast any redelivery, so it is much longer than a broker outage."""
    published = await conn.execute(
        "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)", outbox_days
    )
    seen = await conn.execute(
        "DELETE FROM inbox WHERE processed_at < now() - make_interval(days => $1)", inbox_days
    )
    return int(published.split()[-1]) + int(seen.split()[-1])


async def lag(conn: asyncpg.Connection) -> tuple[int, float]:
    """How many events wait to be published, and the age in seconds of the oldest."""
    row = await conn.fetchrow(
        "SELECT count(*) AS waiting,"
        " coalesce(extract(epoch FROM now() - min(occurred_at)), 0)::float AS oldest"
        " FROM outbox WHERE published_at IS NULL"
    )
    assert row is not None
    return row["waiting"], row["oldest"]
