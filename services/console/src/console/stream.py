"""Reading the event log stream `kerjalokal.events.log` with aio-pika.

Streams need a consumer prefetch and manual acks (acks are credit, not deletion) and take the
start as the `x-stream-offset` consumer argument: `first`, `last`, `next`, an offset, a
timestamp, or an interval such as `1h`. FastStream fixes consumer arguments when a subscriber is
declared; the projector's start moves with every restart and rebuild, so it talks to aio-pika.
"""

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aio_pika
import asyncpg
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractRobustConnection

from . import projector
from .projector import STREAM, StreamEvent

log = logging.getLogger("console.stream")
Offset = str | int | datetime
_INTERVAL = re.compile(r"^\d+[YMDhms]$")
BROKER_UNAVAILABLE: tuple[type[Exception], ...] = (aio_pika.exceptions.AMQPError, RuntimeError)
"""What a job that talks to the broker may meet while the connection is down or reconnecting:
aio-pika asks the connection for a channel and raises a plain RuntimeError ("Connection was not
opened", "<Connection ...> closed") instead of an AMQPError, so a loop that only expected the
latter died at the first network cut and never ran again."""


def parse_offset(text: str) -> Offset:
    """`first`, `last`, `next`, an offset, an interval (`30m`, `2h`, `7D`) or an ISO time."""
    if text in ("first", "last", "next") or _INTERVAL.match(text):
        return text
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            "--from: first, last, next, sebuah offset, interval (30m, 2h, 7D) atau waktu ISO /"
            " an offset, an interval or an ISO time"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_event(message: AbstractIncomingMessage) -> StreamEvent:
    headers = {
        k: v.decode() if isinstance(v, bytes) else v for k, v in (message.headers or {}).items()
    }
    offset = headers.get("x-stream-offset")
    ce_id = headers.get("ce-id")
    event_id = message.message_id or (str(ce_id) if ce_id else f"offset:{offset}")
    routing_key = message.routing_key or str(headers.get("ce-type") or "")
    return StreamEvent(
        offset=int(offset) if isinstance(offset, int | str) else -1,
        routing_key=routing_key,
        event_id=event_id,
        body=message.body,
        headers={k: v for k, v in headers.items() if k != "x-stream-offset"},
        content_type=message.content_type,
        timestamp=_time(message.timestamp, headers.get("ce-time")),
    )


def _time(timestamp: datetime | None, ce_time: Any) -> datetime | None:
    if timestamp:
        return timestamp.replace(tzinfo=UTC)
    try:
        return datetime.fromisoformat(str(ce_time)) if ce_time else None
    except ValueError:
        return None


async def close_quietly(channel: AbstractChannel) -> None:
    """Close without waiting forever: a channel whose RPC was cancelled may never answer."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(channel.close(), 5)


async def _stream_channel(connection: AbstractRobustConnection, prefetch: int) -> AbstractChannel:
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=prefetch)
    return channel


async def read(
    connection: AbstractRobustConnection,
    *,
    start: Offset,
    idle: float | None = None,
    prefetch: int = 200,
    announce: bool = False,
) -> AsyncIterator[StreamEvent | None]:
    """Events from `start`; with `idle`, stop once nothing arrived for that many seconds. With
    `announce`, first yield None once the consumer is registered (nothing after it is missed).
    It ends when its channel closes (a broker restart, a network cut): the robust connection
    would reopen the channel but not this consumer, and the reader waited forever; the caller
    reads again (the live page's EventSource reconnects by itself)."""
    channel = await _stream_channel(connection, prefetch)
    gone = asyncio.Event()
    channel.close_callbacks.add(lambda *_: gone.set())
    inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
    queue = await channel.get_queue(STREAM, ensure=False)
    tag = await queue.consume(inbox.put, arguments={"x-stream-offset": start})
    try:
        if announce:
            yield None
        while True:
            try:
                next_message = _next(inbox, gone)
                message = await (asyncio.wait_for(next_message, idle) if idle else next_message)
            except TimeoutError:
                return
            except aio_pika.exceptions.ChannelInvalidStateError:
                log.info("event log reader ended: its channel closed")
                return
            await message.ack()
            yield to_event(message)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(queue.cancel(tag), 5)
        await close_quietly(channel)


async def events(
    connection: AbstractRobustConnection,
    *,
    start: Offset,
    idle: float | None = None,
    prefetch: int = 200,
) -> AsyncIterator[StreamEvent]:
    async for event in read(connection, start=start, idle=idle, prefetch=prefetch):
        if event is not None:
            yield event


async def end_offset(connection: AbstractRobustConnection, *, wait: float = 1.0) -> int:
    """The offset of the newest event (-1 for an empty stream): `last` starts at the last chunk."""
    newest = -1
    async for event in events(connection, start="last", idle=wait):
        newest = max(newest, event.offset)
    return newest


class StreamProjector:
    """Keeps the projections current: resumes after the stored offset, applies in batches, acks
    after commit, and survives broker and database outages by starting over from the stored
    offset (the ce-id check absorbs what it reads twice)."""

    def __init__(
        self, pool: asyncpg.Pool, connection: AbstractRobustConnection, *, batch: int = 500
    ):
        self._pool = pool
        self._connection = connection
        self._batch = batch
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self.last_batch_at: datetime | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="console-projector")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def rebuild(self) -> None:
        """Drop the projections and read the stream again from `first`."""
        async with self._lock:
            await self.stop()
            async with self._pool.acquire() as conn:
                await projector.reset(conn)
            self.start()

    async def _run(self) -> None:
        delay = 0.5
        while True:
            before = self.last_batch_at
            try:
                await self._consume()
            except (
                OSError,
                TimeoutError,
                asyncpg.PostgresError,
                asyncpg.InterfaceError,
                *BROKER_UNAVAILABLE,
            ) as exc:
                if self.last_batch_at != before:  # it had read on since the last interruption
                    delay = 0.5
                log.warning(
                    "projection interrupted (%s); resuming in %.1fs", type(exc).__name__, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def _consume(self) -> None:
        """Read from the stored offset until the channel goes. The robust connection reopens a
        lost channel, but does not bring back a consumer on a queue taken with `get_queue` (nor
        would it start it at the right offset): left to it, the projector waited forever on a
        consumer that no longer existed. So a closed channel ends this read, and `_run` starts a
        new one from the stored offset once the connection is back."""
        async with self._pool.acquire() as conn:
            stored = await projector.position(conn)
        last = stored["last_offset"] if stored else None
        start: Offset = "first" if last is None else last + 1
        channel = await _stream_channel(self._connection, self._batch * 2)
        gone = asyncio.Event()
        channel.close_callbacks.add(lambda *_: gone.set())
        inbox: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        queue = await channel.get_queue(STREAM, ensure=False)
        await queue.consume(inbox.put, arguments={"x-stream-offset": start})
        try:
            while True:
                messages = [await _next(inbox, gone)]
                while len(messages) < self._batch and not inbox.empty():
                    messages.append(inbox.get_nowait())
                events = [to_event(m) for m in messages]
                async with self._pool.acquire() as conn:
                    await projector.apply_batch(conn, events)
                await messages[-1].ack(multiple=True)
                self.last_batch_at = datetime.now(UTC)
        finally:
            await close_quietly(channel)


async def _next(
    inbox: asyncio.Queue[AbstractIncomingMessage], gone: asyncio.Event
) -> AbstractIncomingMessage:
    """The next message, or ChannelInvalidStateError once the channel has closed."""
    if inbox.empty() and gone.is_set():
        raise aio_pika.exceptions.ChannelInvalidStateError("the stream channel closed")
    get = asyncio.ensure_future(inbox.get())
    closed = asyncio.ensure_future(gone.wait())
    try:
        await asyncio.wait((get, closed), return_when=asyncio.FIRST_COMPLETED)
    finally:
        closed.cancel()
        if not get.done():
            get.cancel()
    if get.done() and not get.cancelled():
        return get.result()
    raise aio_pika.exceptions.ChannelInvalidStateError("the stream channel closed")


def summary(event: StreamEvent) -> dict[str, Any]:
    """One event as the live stream and `events tail` show it."""
    return {
        "offset": event.offset,
        "type": event.routing_key,
        "service": event.routing_key.split(".", 1)[0],
        "subject": str(event.headers.get("ce-subject") or ""),
        "id": event.event_id,
        "time": str(
            event.headers.get("ce-time") or (event.timestamp.isoformat() if event.timestamp else "")
        ),
        "source": str(event.headers.get("ce-source") or ""),
    }
