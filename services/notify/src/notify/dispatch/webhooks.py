"""Deliveries to agencies' webhook channels, signed the Standard Webhooks way.

Each delivery is a POST of the stored JSON body with `webhook-id` (the delivery key: the same on
every try), `webhook-timestamp` (this try) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of
`id.timestamp.body` under the channel's `whsec_` secret); receivers refuse timestamps more than
five minutes off and ids they have seen. Any answer but 2xx is retried with capped exponential
backoff and full jitter; after the last try the delivery is parked for an operator. A channel
that fails `pause_after` times in a row is paused. A channel never slows the others: each has
its own in-flight limit, every request a timeout, and the loop never waits for a send.
"""

import asyncio
import contextlib
import functools
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID, uuid4

import asyncpg
import httpx
from prometheus_client import Counter
from standardwebhooks import Webhook

from .. import deliveries
from ..deliveries import Outcome
from ..domain.schedule import backoff

log = logging.getLogger("notify.webhooks")
WEBHOOKS = Counter("kerjalokal_notify_webhooks", "Webhook deliveries by outcome", ["outcome"])
USER_AGENT = "KerjaLokal-Notify/1.0 (+Disnaker Kabupaten Bekasi)"


@dataclass(frozen=True)
class WebhookPolicy:
    timeout: float
    max_attempts: int
    retry_base: float
    retry_cap: float
    pause_after: int
    allow_private: bool


def signed_headers(*, secret: str, key: str, body: str, at: datetime) -> dict[str, str]:
    signature = Webhook(secret).sign(msg_id=key, timestamp=at.astimezone(UTC), data=body)
    return {
        "webhook-id": key,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


def _forbidden(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


async def refused_address(url: str) -> str | None:
    """Why this URL may not be called (an address inside our network), or None. Checked at every
    send, not only at registration, since a name can be pointed elsewhere later."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        return "only https URLs"
    host = parts.hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443)
    except OSError:
        return "host does not resolve"
    if any(_forbidden(str(info[4][0])) for info in infos):
        return "address inside a private network"
    return None


class WebhookDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        client: httpx.AsyncClient,
        policy: WebhookPolicy,
        clock: Callable[[], datetime],
        lease: float,
        poll_interval: float = 1.0,
    ) -> None:
        self._pool = pool
        self._client = client
        self._policy = policy
        self._clock = clock
        self._lease = lease
        self._poll = poll_interval
        self._wake = asyncio.Event()
        self._in_flight: dict[UUID, set[asyncio.Task[None]]] = {}
        self._stopping = False

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            async with self._pool.acquire() as listener:
                await listener.add_listener(deliveries.WAKE_CHANNEL, self.wake)
                try:
                    await self._loop()
                finally:
                    with contextlib.suppress(Exception):
                        await listener.remove_listener(deliveries.WAKE_CHANNEL, self.wake)
        finally:
            await self.drain()

    def stop(self) -> None:
        """Claim no more; what is in flight finishes (graceful shutdown)."""
        self._stopping = True
        self._wake.set()

    async def _loop(self) -> None:
        delay = 0.5
        while not self._stopping:
            try:
                self._wake.clear()
                await self.run_once()
                delay = 0.5
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("webhooks paused (%s)", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
            except Exception:
                log.exception("webhook claim failed")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
            if not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll)

    async def run_once(self) -> int:
        """Claim what is due for channels with room and start sending it; do not wait."""
        claim, now = uuid4(), self._clock()
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await deliveries.claim_webhooks(
                conn,
                claim=claim,
                now=now,
                lease_until=now + timedelta(seconds=self._lease),
                busy=[channel for channel, tasks in self._in_flight.items() if tasks],
                limit=100,
            )
        for row in rows:
            task = asyncio.create_task(self._deliver(claim, row))
            tasks = self._in_flight.setdefault(row["channel_id"], set())
            tasks.add(task)
            task.add_done_callback(functools.partial(self._finished, tasks))
        return len(rows)

    def _finished(self, tasks: set[asyncio.Task[None]], task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        self._wake.set()  # the channel has room again
        if not task.cancelled() and task.exception() is not None:
            log.warning("webhook delivery crashed: %r", task.exception())

    async def drain(self) -> None:
        """Wait for sends in flight (tests, shutdown)."""
        pending = [task for tasks in self._in_flight.values() for task in tasks]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _deliver(self, claim: UUID, row: asyncpg.Record) -> None:
        started, now = time.monotonic(), self._clock()
        code, error = await self._post(row)
        common = {
            "delivery_id": row["delivery_id"],
            "attempted_at": now,
            "status_code": code,
            "error": error,
            "duration_ms": int((time.monotonic() - started) * 1000),
        }
        if error is None:
            outcome = Outcome(status="sent", outcome="sent", not_before=now, **common)
        elif row["round"] >= self._policy.max_attempts:
            outcome = Outcome(
                status="parked", outcome="parked", not_before=now, reason="exhausted", **common
            )
        else:
            wait = backoff(row["round"], base=self._policy.retry_base, cap=self._policy.retry_cap)
            later = now + timedelta(seconds=wait)
            outcome = Outcome(status="pending", outcome="retry", not_before=later, **common)
        async with self._pool.acquire() as conn, conn.transaction():
            if not await deliveries.record(conn, claim=claim, outcomes=[outcome]):
                return
            if error is None:
                await deliveries.channel_succeeded(conn, channel_id=row["channel_id"])
            elif await deliveries.channel_failed(
                conn, channel_id=row["channel_id"], pause_after=self._policy.pause_after, now=now
            ):
                log.warning("webhook channel %s paused after repeated failures", row["channel_id"])
        WEBHOOKS.labels(outcome.outcome).inc()

    async def _post(self, row: asyncpg.Record) -> tuple[int | None, str | None]:
        if not self._policy.allow_private and (refusal := await refused_address(row["url"])):
            return None, refusal
        headers = signed_headers(
            secret=row["secret"], key=str(row["delivery_id"]), body=row["body"],
            at=datetime.now(UTC),
        )  # fmt: skip
        try:
            response = await self._client.post(
                row["url"], content=row["body"].encode(), headers=headers,
                timeout=self._policy.timeout,
            )  # fmt: skip
        except httpx.TimeoutException:
            return None, "timeout"
        except httpx.HTTPError as exc:
            return None, f"network: {type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"
