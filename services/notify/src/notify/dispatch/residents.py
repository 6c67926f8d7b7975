"""Workers that send due resident messages: claim a batch (`FOR UPDATE SKIP LOCKED`), send it
with bounded concurrency, settle it in one statement with its events in the outbox.

Exactly-once effect: a row is claimed with a lease, sent with its key as the provider's
idempotency key, and settled only while the claim holds. A crash between the provider's answer
and the settling commit sends the row again after the lease, with the same key, which the
provider drops; nothing else can send a row twice.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from prometheus_client import Counter

from kerjalokal.events import Event
from kerjalokal.events.notify import NotificationFailedV1, NotificationSentV1
from kerjalokal.messaging import outbox

from .. import deliveries
from ..crypto import ContactCipher
from ..deliveries import Outcome
from ..domain.keys import opt_out_token
from ..domain.listing import Listing
from ..domain.schedule import QuietHours, backoff
from ..messages import render
from .providers import Mailer, PhoneProvider, Result

log = logging.getLogger("notify.residents")
SENDS = Counter(
    "kerjalokal_notify_messages", "Resident messages by outcome", ["channel", "outcome"]
)


@dataclass(frozen=True)
class Policy:
    public_url: str
    opt_out_key: bytes
    quiet: QuietHours | None
    lease: float
    max_attempts: int
    retry_base: float
    retry_cap: float


class ResidentDispatcher:
    def __init__(
        self,
        pool: asyncpg.Pool,
        *,
        policy: Policy,
        phones: Mapping[str, PhoneProvider],
        mailer: Mailer | None,
        cipher: ContactCipher,
        clock: Callable[[], datetime],
        batch: int = 200,
        workers: int = 3,
        concurrency: int = 64,
        poll_interval: float = 1.0,
    ) -> None:
        self._pool = pool
        self._policy = policy
        self._phones = phones
        self._mailer = mailer
        self._cipher = cipher
        self._clock = clock
        self._batch = batch
        self._workers = workers
        self._slots = asyncio.Semaphore(concurrency)
        self._poll = poll_interval
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self, *_: object) -> None:
        self._wake.set()

    async def run(self) -> None:
        async with self._pool.acquire() as listener:
            await listener.add_listener(deliveries.WAKE_CHANNEL, self.wake)
            try:
                await asyncio.gather(*(self._work() for _ in range(self._workers)))
            finally:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(deliveries.WAKE_CHANNEL, self.wake)

    def stop(self) -> None:
        """Finish the batches in hand, claim no more (graceful shutdown)."""
        self._stopping = True
        self._wake.set()

    async def _work(self) -> None:
        delay = 0.5
        while not self._stopping:
            try:
                # Cleared before the claim, not after: a wake-up (new rows committed) arriving
                # while this batch is claimed and sent must not be lost to a full poll's sleep.
                self._wake.clear()
                if await self.run_once() < self._batch and not self._stopping:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self._poll)
                delay = 0.5
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("dispatcher paused (%s); retrying in %.1fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
            except Exception:  # a bug must not silence every later message: log, go on
                log.exception("dispatcher batch failed; its rows are retried after the lease")
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)

    async def run_once(self) -> int:
        """Claim, send and settle one batch; return how many rows were claimed."""
        claim, now = uuid4(), self._clock()
        lease_until = now + timedelta(seconds=self._policy.lease)
        phones = self._policy.quiet is None or not self._policy.quiet.contains(now)
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await deliveries.claim_residents(
                conn, claim=claim, now=now, lease_until=lease_until, limit=self._batch,
                phones=phones,
            )  # fmt: skip
            if not rows:
                return 0
            people = await deliveries.contacts(
                conn, [row["resident_id"] for row in rows], cipher=self._cipher
            )
            jobs = await deliveries.vacancies(
                conn, [r["vacancy_id"] for r in rows if r["vacancy_id"]]
            )
        listings = {
            vacancy_id: self._vacancy_params(Listing.of(job["body"]))
            for vacancy_id, job in jobs.items()
            if job["body"] is not None
        }
        # A send starts only in the first half of the claim's lease: a batch that runs slow
        # (a slow provider, a starved process) hands its remaining rows back unsent rather than
        # send them while another worker, the lease run out, claims and sends them again.
        send_by = time.monotonic() + self._policy.lease / 2
        outcomes = await asyncio.gather(
            *(self._deliver(row, people, jobs, listings, send_by) for row in rows)
        )
        await self._settle(claim, rows, outcomes)
        if late := sum(o.status == "pending" and o.outcome is None for o in outcomes):
            log.info("%d deliveries handed back unsent: their claim's lease was half gone", late)
        return len(rows)

    async def _deliver(
        self,
        row: asyncpg.Record,
        people: Mapping[UUID, Any],
        jobs: Mapping[UUID, Any],
        listings: Mapping[UUID, dict[str, Any]],
        send_by: float,
    ) -> Outcome:
        started, now = time.monotonic(), self._clock()
        contact = people.get(row["resident_id"])
        if contact is None or not contact["consent"] or contact["opted_out_at"] is not None:
            reason = (
                "no_contact" if contact is None
                else "opted_out" if contact["opted_out_at"] is not None
                else "no_consent"
            )  # fmt: skip
            return _settled(row, "cancelled", None, now, started, reason=reason)
        params = dict(row["params"])
        job = jobs.get(row["vacancy_id"]) if row["vacancy_id"] else None
        if row["vacancy_id"] in listings:
            params |= listings[row["vacancy_id"]]
        if row["template"] == "lowongan_cocok":
            if job is not None and job["closed_at"] is not None:
                return _settled(row, "cancelled", None, now, started, reason="vacancy_closed")
            if job is None or job["body"] is None:  # claimed after an hour without it
                return _settled(row, "failed", "failed", now, started, reason="vacancy_unknown")
        async with self._slots:
            if time.monotonic() > send_by:  # pending again at once, the attempt not counted
                return _settled(row, "pending", None, self._clock(), started)
            try:
                result = await self._send(row, contact, params)
            except Exception as exc:  # a template or provider bug: fail this row, not the batch
                log.exception("could not send delivery %s", row["delivery_id"])
                result = Result(ok=False, permanent=True, error=f"internal: {type(exc).__name__}")
        return self._outcome(row, result, now, started)

    def _vacancy_params(self, listing: Listing) -> dict[str, Any]:
        return {
            "title": listing.vacancy.title,
            "company": listing.vacancy.company_name,
            "verified": listing.vacancy.company_verified,
            "place": listing.place,
            "valid_until": listing.valid_until,
            "link": f"{self._policy.public_url}/lowongan/{listing.id}",
        }

    async def _send(
        self, row: asyncpg.Record, contact: Mapping[str, Any], params: dict[str, Any]
    ) -> Result:
        key = str(row["delivery_id"])
        opt_out = (
            f"{self._policy.public_url}/berhenti/"
            f"{opt_out_token(self._policy.opt_out_key, row['resident_id'])}"
        )
        params = params | {"board": f"{self._policy.public_url}/"}
        message = render(row["template"], params, name=contact["first_name"], opt_out=opt_out)
        channel = row["channel"]
        if channel == "email":
            if self._mailer is None or not contact["email"]:
                return Result(ok=False, permanent=True, error="email not available")
            email = self._mailer.message(
                to=contact["email"], subject=message.subject, text=message.text, key=key,
                unsubscribe=opt_out,
            )  # fmt: skip
            return await self._mailer.send(email)
        provider = self._phones.get(channel)
        if provider is None or not contact["phone"]:
            return Result(ok=False, permanent=True, error=f"{channel} not available")
        return await provider.send(
            to=contact["phone"],
            template=row["template"],
            params=params | {"name": contact["first_name"] or "Warga", "text": message.text},
            key=key,
        )

    def _outcome(
        self, row: asyncpg.Record, result: Result, now: datetime, started: float
    ) -> Outcome:
        code, error = result.status_code, result.error
        if result.ok:
            return _settled(
                row, "sent", "sent", now, started, provider=result.message_id, status_code=code
            )
        if result.permanent:
            return _settled(
                row, "failed", "failed", now, started, reason="permanent", status_code=code,
                error=error,
            )  # fmt: skip
        if row["round"] >= self._policy.max_attempts:
            return _settled(
                row, "failed", "failed", now, started, reason="exhausted", status_code=code,
                error=error,
            )  # fmt: skip
        wait = backoff(row["round"], base=self._policy.retry_base, cap=self._policy.retry_cap)
        return _settled(
            row, "pending", "retry", now, started, not_before=now + timedelta(seconds=wait),
            status_code=code, error=error,
        )  # fmt: skip

    async def _settle(
        self, claim: UUID, rows: list[asyncpg.Record], outcomes: list[Outcome]
    ) -> None:
        by_id = {row["delivery_id"]: row for row in rows}
        async with self._pool.acquire() as conn, conn.transaction():
            held = await deliveries.record(conn, claim=claim, outcomes=outcomes)
            events = [
                event
                for outcome in outcomes
                if outcome.delivery_id in held
                and (event := _event(by_id[outcome.delivery_id], outcome)) is not None
            ]
            if events:
                await outbox.add_many(conn, events)
        for outcome in outcomes:
            if outcome.delivery_id in held and outcome.outcome:
                SENDS.labels(by_id[outcome.delivery_id]["channel"], outcome.outcome).inc()
        if len(held) < len(outcomes):
            log.warning(
                "%d deliveries were taken over after their lease", len(outcomes) - len(held)
            )


def _settled(
    row: asyncpg.Record,
    status: str,
    outcome: str | None,
    now: datetime,
    started: float,
    *,
    not_before: datetime | None = None,
    reason: str | None = None,
    provider: str | None = None,
    status_code: int | None = None,
    error: str | None = None,
) -> Outcome:
    return Outcome(
        delivery_id=row["delivery_id"],
        status=status,
        outcome=outcome,
        not_before=not_before or now,
        attempted_at=now,
        duration_ms=int((time.monotonic() - started) * 1000),
        reason=reason,
        provider_message_id=provider,
        status_code=status_code,
        error=error,
    )


def _event(row: asyncpg.Record, outcome: Outcome) -> Event | None:
    common = {
        "notification_id": row["delivery_id"],
        "resident_id": row["resident_id"],
        "channel": row["channel"],
        "template": row["template"],
        "cause_event_id": row["event_id"],
        "cause_event_type": row["event_type"],
        "vacancy_id": row["vacancy_id"],
        "attempts": row["attempts"],
    }
    if outcome.status == "sent":
        return NotificationSentV1(**common, sent_at=outcome.attempted_at)
    if outcome.status == "failed" and outcome.outcome == "failed":
        return NotificationFailedV1(
            **common,
            failure="permanent" if outcome.reason == "permanent" else "exhausted",
            error=outcome.error or outcome.reason or "failed",
            failed_at=outcome.attempted_at,
        )
    return None
