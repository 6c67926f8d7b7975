"""The oracle: waits until the system is quiet, then counts what was lost, duplicated and
dead-lettered, and whether each aggregate's events arrived in order.

- Committed events are the outbox rows of every service's database (an event exists iff its
  transaction committed). Each one must have reached every queue bound to its type, witnessed by
  the inbox row of the consuming service (one per bound queue), and, for `kerjalokal.events`, the
  witness queue bound `#`. Each id the load was acknowledged (a 2xx) must have its event.
- Duplicated effects: more than one event for one business fact (one registration, publication,
  application, hire, enrollment, completion, placement or notification), more than one message
  sent to a resident for one vacancy. Repeated gateway requests for a key already sent are
  absorbed by the idempotency key and reported apart (the external-send bound), and so are
  messages the gateway sent whose delivery notify did not record as sent (P4's "sent, not yet
  recorded" window), with the status it recorded instead.
- Dead-lettered: every message in each `<service>.dlq`; it must be exactly the poison the scenario
  injected (into every queue bound to its routing key), never a committed event.
- Order: for each aggregate, the witness saw its events first in outbox order.
- The console: every committed event on `kerjalokal.events` (the log stream is bound `#` there)
  has its `applied_event` row in the console's database; its hire projection holds each
  committed hire once and no other; the tracker's hires and placed (local hires) figures, read
  through its API, equal the distinct hires vacancies committed; quiet includes its stored stream
  position having reached the stream's newest offset (so copies at the stream's end were read);
  the poison it cannot apply becomes one console dead letter each, and the dead letters it took
  off the DLQs count with what the oracle finds still there.
"""

import asyncio
import contextlib
import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
import httpx

from console.projector import HANDLERS as CONSOLE_HANDLERS
from kerjalokal.messaging.topology import EVENTS

from .load import Load
from .platform import CAMPAIGN, CONSOLE, OPERATOR, SERVICES, Platform

# event type -> the business key that must be unique among its events: the subject, or for a
# hire the resident and the vacancy (each hire is published once however it arrived)
ONCE: dict[str, str] = {
    "registry.resident_registered.v1": "subject",
    "vacancies.vacancy_published.v1": "subject",
    "vacancies.application_submitted.v1": "subject",
    "vacancies.resident_hired.v1": "resident/vacancy",
    "training.resident_enrolled.v1": "subject",
    "training.training_completed.v1": "subject",
    "notify.notification_sent.v1": "subject",
}
PLACED = "registry.resident_status_changed.v1"
HIRED = "vacancies.resident_hired.v1"
ACKNOWLEDGED = {  # load's id kind -> (event type, key of the event that proves it committed)
    "resident": ("registry.resident_registered.v1", "subject"),
    "vacancy": ("vacancies.vacancy_published.v1", "subject"),
    "application": ("vacancies.application_submitted.v1", "subject"),
    "hire": ("vacancies.resident_hired.v1", "resident_id"),
    "enrollment": ("training.resident_enrolled.v1", "subject"),
    "completion": ("training.training_completed.v1", "subject"),
}


@dataclass
class Event:
    producer: str
    seq: int
    event_id: str
    event_type: str
    exchange: str
    subject: str
    payload: dict[str, Any]
    published: bool


@dataclass
class Check:
    events: int = 0
    unsent: int = 0
    lost: int = 0
    lost_detail: Counter[str] = field(default_factory=Counter)
    duplicated: int = 0
    duplicated_detail: Counter[str] = field(default_factory=Counter)
    pending_sends: int = 0
    ready: int = 0
    out_of_order: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    unrecorded: dict[str, str] = field(default_factory=dict)  # gateway key -> delivery status
    console_behind: int = 0  # stream offsets the console has not applied yet
    error: str = ""

    @property
    def quiet(self) -> bool:
        return not self.error and not (
            self.unsent or self.lost or self.pending_sends or self.ready or self.console_behind
        )


@dataclass
class ConsoleState:
    applied: set[str]
    hires: list[tuple[str, str, str]]  # hire id, resident id, vacancy id
    position: int  # the last stream offset it applied (-1: none)
    tracker: dict[str, Any]


@dataclass
class Result:
    scenario: str
    events: int
    lost: int
    duplicated: int
    dead_lettered: int
    recovery_s: float | None
    external_repeats: int = 0
    unrecorded_sends: int = 0  # the gateway sent it; notify's record says otherwise
    healthy_dead_lettered: int = 0
    poison_missing: int = 0
    order_violations: int = 0
    requests_failed: int = 0
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.recovery_s is not None
            and not self.lost
            and not self.duplicated
            and not self.healthy_dead_lettered
            and not self.poison_missing
            and not self.order_violations
        )


class Oracle:
    def __init__(self, platform: Platform, load: Load) -> None:
        self.platform = platform
        self.load = load
        self.poison: Counter[tuple[str, str]] = Counter()  # (dlq, message id) expected
        self._events_before = 0
        self._gateway_before = 0
        self._hooks_before = 0
        self._failures_before = 0
        self._dead_letter_mark = 0  # the console's dead letters up to this id were counted

    def expect_poison(self, message_id: str, routing_key: str) -> None:
        """Poison published on `kerjalokal.events`: one dead letter per bound queue, and one
        console dead letter when the console has a projection for its type."""
        for queue in self.platform.bindings.get(routing_key, []):
            self.poison[(f"{queue.split('.')[0]}.dlq", message_id)] += 1
        if routing_key in CONSOLE_HANDLERS:
            self.poison[(CONSOLE, message_id)] += 1

    async def begin(self) -> None:
        self.poison.clear()
        self._events_before = len(await self.events())
        self._gateway_before = self.platform.gateway.duplicates
        self._hooks_before = self._replayed_hooks()
        self._failures_before = Counter(self.load.failures)
        self._dead_letter_mark = await self._console_dead_letter_mark()
        before = await self.check()
        self._out_of_order_before = set(before.out_of_order)
        self._unrecorded_before = set(before.unrecorded)

    async def events(self) -> list[Event]:
        found = []
        for name in SERVICES:  # the console has no outbox
            conn = await asyncpg.connect(self.platform.services[name].database, timeout=10)
            try:
                rows = await conn.fetch(  # payloads only where the oracle reads them
                    "SELECT seq, event_id, event_type, exchange, subject,"
                    " CASE WHEN event_type = ANY($1::text[]) THEN payload ELSE '{}' END"
                    " AS payload, published_at IS NOT NULL AS published FROM outbox ORDER BY seq",
                    [PLACED, HIRED],
                )
            finally:
                await conn.close()
            found += [
                Event(name, r["seq"], str(r["event_id"]), r["event_type"], r["exchange"],
                      r["subject"] or "", json.loads(r["payload"]), r["published"])
                for r in rows
            ]  # fmt: skip
        return found

    async def check(self) -> Check:
        check = Check()
        try:
            events = await self.events()
            inboxes, sends, dup_sends = await self._consumers()
            check.ready = await self._ready()
            console = await self._console()
        except (
            OSError,
            asyncpg.PostgresError,
            asyncpg.InterfaceError,
            TimeoutError,
            httpx.HTTPError,
        ) as exc:
            check.error = type(exc).__name__
            return check
        except aio_pika.exceptions.AMQPError as exc:
            check.error = type(exc).__name__
            return check
        check.events = len(events)
        check.unsent = sum(not e.published for e in events)
        witnessed = {m.event_id for m in self.platform.witness.messages}
        for e in events:
            needed = Counter(q.split(".")[0] for q in self.platform.bindings.get(e.event_type, []))
            for service, n in needed.items():
                if (missing := n - inboxes[service].get(e.event_id, 0)) > 0:
                    check.lost += missing
                    check.lost_detail[f"{e.event_type} -> {service}"] += missing
            if e.exchange == EVENTS.name and e.event_id not in witnessed:
                check.lost += 1
                check.lost_detail[f"{e.event_type} -> witness"] += 1
            if e.exchange == EVENTS.name and e.event_id not in console.applied:
                check.lost += 1
                check.lost_detail[f"{e.event_type} -> console"] += 1
        check.console_behind = max(self.platform.stream.newest - console.position, 0)
        self._console_figures(events, console, check)
        self._acknowledged(events, check)
        self._duplicates(events, check)
        check.duplicated += dup_sends
        if dup_sends:
            check.duplicated_detail["notify: 2 messages, 1 resident and vacancy"] += dup_sends
        check.pending_sends, statuses = sends
        check.unrecorded = {
            key: statuses.get(key, "none")
            for key in self.platform.gateway.messages
            if statuses.get(key) != "sent"
        }
        check.out_of_order = self._order(events)
        self._webhooks(events, check)
        return check

    @staticmethod
    def _console_figures(events: list[Event], console: ConsoleState, check: Check) -> None:
        """The console's hire projection holds each hire vacancies committed once (by hire id;
        one resident and vacancy twice is a duplicate, a hire nobody committed too), and the
        tracker counts exactly those: its hires and placed (local hires) figures."""
        committed = {e.subject: e.payload for e in events if e.event_type == HIRED}
        rows = Counter(hire_id for hire_id, _, _ in console.hires)
        if missing := len(committed.keys() - rows.keys()):
            check.lost += missing
            check.lost_detail["resident_hired -> console hire"] += missing
        per_fact = Counter((resident, vacancy) for _, resident, vacancy in console.hires)
        if extra := sum(n - 1 for n in per_fact.values() if n > 1):
            check.duplicated += extra
            check.duplicated_detail["console: a hire twice"] += extra
        if phantom := sum(n for hire_id, n in rows.items() if hire_id not in committed):
            check.duplicated += phantom
            check.duplicated_detail["console: a hire nobody committed"] += phantom
        placed = sum(bool(p.get("is_local")) for p in committed.values())
        for figure, expected in (("hires", len(committed)), ("placed", placed)):
            counted = int(console.tracker[figure])
            if counted < expected:
                check.lost += expected - counted
                check.lost_detail[f"console tracker: {figure} not counted"] += expected - counted
            elif counted > expected:
                check.duplicated += counted - expected
                check.duplicated_detail[f"console tracker: {figure} counted twice"] += (
                    counted - expected
                )

    def _replayed_hooks(self) -> int:
        return sum(r == "replayed webhook-id" for r in self.platform.receiver.refused)

    def _webhooks(self, events: list[Event], check: Check) -> None:
        """Every published vacancy reached the agency's webhook receiver once (by vacancy id);
        a redelivered webhook-id is refused by the receiver and counted as an external repeat."""
        hooks = Counter(
            hook.payload["data"]["vacancy_id"]
            for hook in self.platform.receiver.received
            if hook.payload.get("type") == "vacancies.vacancy_published.v1"
        )
        for e in events:
            if e.event_type != "vacancies.vacancy_published.v1" or not e.published:
                continue
            if hooks[e.subject] == 0:
                check.lost += 1
                check.lost_detail["vacancy_published -> agency webhook"] += 1
            elif hooks[e.subject] > 1:
                check.duplicated += hooks[e.subject] - 1
                check.duplicated_detail["agency webhook: 2 for 1 vacancy"] += hooks[e.subject] - 1

    def _acknowledged(self, events: list[Event], check: Check) -> None:
        for kind, (event_type, key) in ACKNOWLEDGED.items():
            keys = {
                e.subject if key == "subject" else str(e.payload.get(key))
                for e in events
                if e.event_type == event_type
            }
            if missing := self.load.ids.get(kind, set()) - keys:
                check.lost += len(missing)
                check.lost_detail[f"acknowledged {kind} without its event"] += len(missing)

    def _duplicates(self, events: list[Event], check: Check) -> None:
        for event_type, key in ONCE.items():
            counts = Counter(
                e.subject
                if key == "subject"
                else f"{e.payload.get('resident_id')}/{e.payload.get('vacancy_id')}"
                for e in events
                if e.event_type == event_type
            )
            if extra := sum(n - 1 for n in counts.values() if n > 1):
                check.duplicated += extra
                check.duplicated_detail[event_type] += extra
        placed = Counter(
            e.subject
            for e in events
            if e.event_type == PLACED and e.payload.get("status") == "placed"
        )
        if extra := sum(n - 1 for n in placed.values() if n > 1):
            check.duplicated += extra
            check.duplicated_detail["registry: placed twice"] += extra

    def _order(self, events: list[Event]) -> dict[tuple[str, str], list[Any]]:
        first: dict[str, int] = {}
        requeued: set[str] = set()
        for i, m in enumerate(self.platform.witness.messages):
            if m.event_id not in first:
                first[m.event_id] = i
                if m.redelivered:
                    requeued.add(m.event_id)
        # A message the witness sees first as *redelivered* had been delivered to it before its
        # connection dropped (a broker restart), unread, and came back after later ones: its
        # place in the witness's order is unknown, so it is left out of the order check.
        by_aggregate: dict[tuple[str, str], list[Event]] = defaultdict(list)
        for e in events:
            if e.event_id in first and e.event_id not in requeued and e.subject:
                by_aggregate[(e.producer, e.subject)].append(e)
        violations = {}
        for aggregate, seen in by_aggregate.items():
            in_order = sorted(seen, key=lambda e: e.seq)
            arrival = [first[e.event_id] for e in in_order]
            if arrival != sorted(arrival):
                violations[aggregate] = [(e.seq, e.event_type, first[e.event_id]) for e in in_order]
        return violations

    async def _consumers(
        self,
    ) -> tuple[dict[str, dict[str, int]], tuple[int, dict[str, str]], int]:
        inboxes: dict[str, dict[str, int]] = {}
        pending, statuses, dup_sends = 0, {}, 0
        for name in SERVICES:
            conn = await asyncpg.connect(self.platform.services[name].database, timeout=10)
            try:
                rows = await conn.fetch("SELECT event_id, count(*) AS n FROM inbox GROUP BY 1")
                inboxes[name] = {r["event_id"]: r["n"] for r in rows}
                if name == "notify":
                    pending = await conn.fetchval(
                        "SELECT count(*) FROM delivery WHERE status IN ('pending', 'sending')"
                    )
                    rows = await conn.fetch(
                        "SELECT delivery_id, status FROM delivery WHERE channel = 'whatsapp'"
                    )
                    statuses = {str(r["delivery_id"]): r["status"] for r in rows}
                    dup_sends = await conn.fetchval(
                        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM delivery"
                        " WHERE kind = 'resident' AND status = 'sent'"
                        " GROUP BY resident_id, vacancy_id, template) AS per_fact"
                    )
            finally:
                await conn.close()
        return inboxes, (pending, statuses), int(dup_sends)

    async def _console(self) -> ConsoleState:
        conn = await asyncpg.connect(self.platform.console.database, timeout=10)
        try:
            applied = {r[0] for r in await conn.fetch("SELECT event_id FROM applied_event")}
            rows = await conn.fetch("SELECT hire_id, resident_id, vacancy_id FROM hire")
            position = await conn.fetchval(
                "SELECT last_offset FROM stream_position WHERE stream = 'kerjalokal.events.log'"
            )
        finally:
            await conn.close()
        async with httpx.AsyncClient(
            base_url=self.platform.console.url, headers=OPERATOR, timeout=10
        ) as http:
            answer = await http.get("/api/tracker", params={"campaign": CAMPAIGN})
            answer.raise_for_status()
        return ConsoleState(
            applied=applied,
            hires=[(str(r["hire_id"]), str(r["resident_id"]), str(r["vacancy_id"])) for r in rows],
            position=-1 if position is None else position,
            tracker=answer.json(),
        )

    async def _console_dead_letter_mark(self) -> int:
        conn = await asyncpg.connect(self.platform.console.database, timeout=10)
        try:
            newest = await conn.fetchval("SELECT coalesce(max(dead_letter_id), 0) FROM dead_letter")
            return int(newest)
        finally:
            await conn.close()

    async def _console_dead_letters(self) -> Counter[tuple[str, str]]:
        """What the console took off the DLQs (as `<service>.dlq`) and what it could not apply
        itself (as `console`) since the scenario began."""
        conn = await asyncpg.connect(self.platform.console.database, timeout=10)
        try:
            rows = await conn.fetch(
                "SELECT service, message_id FROM dead_letter WHERE dead_letter_id > $1",
                self._dead_letter_mark,
            )
        finally:
            await conn.close()
        return Counter(
            (CONSOLE if r["service"] == CONSOLE else f"{r['service']}.dlq", r["message_id"] or "")
            for r in rows
        )

    async def _ready(self) -> int:
        connection = await aio_pika.connect(self.platform.servers.rabbit.url, timeout=10)
        async with connection:
            channel = await connection.channel()
            total = 0
            for queue in self.platform.consumer_queues:
                declared = await channel.declare_queue(queue, passive=True)
                total += declared.declaration_result.message_count or 0
            return total

    async def _dead_letter_depth(self) -> int:
        """How many messages the DLQs hold, without taking them, and the console's dead letters
        (it drains the DLQs too) since the scenario began."""
        connection = await aio_pika.connect(self.platform.servers.rabbit.url, timeout=10)
        async with connection:
            channel = await connection.channel()
            total = 0
            for name in SERVICES:
                declared = await channel.declare_queue(f"{name}.dlq", passive=True)
                total += declared.declaration_result.message_count or 0
        return total + sum((await self._console_dead_letters()).values())

    async def drain_dead_letters(self) -> Counter[tuple[str, str]]:
        found: Counter[tuple[str, str]] = Counter()
        connection = await aio_pika.connect(self.platform.servers.rabbit.url, timeout=10)
        async with connection:
            channel = await connection.channel()
            for name in SERVICES:
                queue = await channel.declare_queue(f"{name}.dlq", passive=True)
                while (message := await queue.get(no_ack=True, fail=False)) is not None:
                    found[(f"{name}.dlq", message.message_id or "")] += 1
        return found + await self._console_dead_letters()

    async def settle(self, scenario: str, fault_end: float, timeout: float) -> Result:
        """Wait until quiet (two checks in a row, a second apart), then count."""
        check, quiet_since, recovered = Check(), None, None
        deadline = fault_end + timeout
        while time.monotonic() < deadline:
            check = await self.check()
            # A poison message that always fails is retried with backoff before it is
            # dead-lettered: not quiet until every expected poison message is in a DLQ.
            poisoned = not self.poison or (
                await self._dead_letter_depth() >= sum(self.poison.values())
            )
            if check.quiet and not check.lost and poisoned:
                if quiet_since is None:
                    quiet_since = time.monotonic()
                elif time.monotonic() - quiet_since >= 1.0:
                    recovered = quiet_since - fault_end
                    break
            else:
                quiet_since = None
            await asyncio.sleep(1.0)
        events = check.events - self._events_before
        unrecorded = {k: v for k, v in check.unrecorded.items() if k not in self._unrecorded_before}
        new_disorder = {
            f"{k[0]} {k[1]}": v
            for k, v in check.out_of_order.items()
            if k not in self._out_of_order_before
        }
        dead = await self._dead_letters_safely()
        outbox_ids = {e.event_id for e in await self._events_safely()}
        healthy = sum(n for (_, mid), n in dead.items() if mid in outbox_ids)
        missing = sum((self.poison - dead).values())
        return Result(
            scenario=scenario,
            events=events,
            lost=check.lost,
            duplicated=check.duplicated,
            dead_lettered=sum(dead.values()),
            recovery_s=None if recovered is None else round(max(recovered, 0.0), 1),
            external_repeats=self.platform.gateway.duplicates
            - self._gateway_before
            + self._replayed_hooks()
            - self._hooks_before,
            unrecorded_sends=len(unrecorded),
            healthy_dead_lettered=healthy,
            poison_missing=missing,
            order_violations=len(new_disorder),
            requests_failed=sum((self.load.failures - self._failures_before).values()),
            detail={
                "lost": dict(check.lost_detail),
                "duplicated": dict(check.duplicated_detail),
                "unsent": check.unsent,
                "pending_sends": check.pending_sends,
                "ready": check.ready,
                "console_behind": check.console_behind,
                "error": check.error,
                "dead_letters": {f"{q} {m}": n for (q, m), n in dead.items()},
                "poison_expected": {f"{q} {m}": n for (q, m), n in self.poison.items()},
                "requests_failed": dict(self.load.failures - self._failures_before),
                "gateway sends not recorded as sent (status)": dict(Counter(unrecorded.values())),
                "out_of_order (seq, type, witness arrival)": dict(list(new_disorder.items())[:3]),
            },
        )

    async def _dead_letters_safely(self) -> Counter[tuple[str, str]]:
        with contextlib.suppress(Exception):
            return await self.drain_dead_letters()
        return Counter()

    async def _events_safely(self) -> list[Event]:
        with contextlib.suppress(Exception):
            return await self.events()
        return []
