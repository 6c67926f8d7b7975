"""One vacancy matched to 10,000 residents: exactly 10,000 messages, with notify killed (SIGKILL)
midway and started again. Notify runs as a real process; the WhatsApp gateway is a local one in
this test that answers a repeated idempotency key with the first message id and sends nothing."""

import asyncio
import base64
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import asyncpg
import httpx
import pytest

from kerjalokal.events import Event
from kerjalokal.events.registry import ResidentContactChangedV1
from kerjalokal.events.vacancies import CandidatesMatchedV1, VacancyPublishedV1
from kerjalokal.testing.proxy import free_port
from kerjalokal.testing.tap import EventTap
from notify.testing import FakeGateway

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
RESIDENTS = 10_000
BATCH, WORKERS = 200, 3  # notify's claim size and workers: at most this many in flight at a kill


class Notify:
    """`python -m notify.cli serve` on a free port, logging into a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "notify.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=self.env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        async with httpx.AsyncClient(base_url=self.url) as http, asyncio.timeout(60):
            while True:
                assert self.process.poll() is None, self.log.read_text()
                try:
                    if (await http.get("/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.fixture
async def gateway() -> AsyncIterator[FakeGateway]:
    server = FakeGateway()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def notify(fresh_database, vhost_url, gateway, tmp_path: Path) -> AsyncIterator[Notify]:
    env = os.environ | {
        "NOTIFY_DATABASE_URL": await fresh_database(),
        "AMQP_URL": vhost_url,
        "OPERATOR_TOKEN": "e2e-operator",
        "NOTIFY_OPT_OUT_KEY": "e2e-opt-out-key",
        "NOTIFY_DATA_KEY": base64.b64encode(os.urandom(32)).decode(),
        "NOTIFY_PUBLIC_URL": "https://lowongan.test",
        "WHATSAPP_GATEWAY_URL": f"{gateway.url}/whatsapp",
        "NOTIFY_QUIET_HOURS": "",  # the test must not wait for the morning
        "NOTIFY_SEND_LEASE": "3",
        "NOTIFY_SEND_BATCH": str(BATCH),
        "NOTIFY_SEND_WORKERS": str(WORKERS),
        "NOTIFY_PREFETCH": "64",
    }
    service = Notify(env, tmp_path / "notify.log")
    await service.start()
    yield service
    service.stop()


async def publish_all(amqp_url: str, events: list[Event]) -> None:
    """Publish with confirms, a window of them in flight, as an outbox relay does."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchanges = {
            name: await channel.get_exchange(name)
            for name in ("kerjalokal.events", "kerjalokal.restricted")
        }
        for start in range(0, len(events), 500):
            await asyncio.gather(
                *(
                    exchanges[
                        "kerjalokal.restricted" if e.RESTRICTED else "kerjalokal.events"
                    ].publish(_message(e), routing_key=e.TYPE)
                    for e in events[start : start + 500]
                )
            )


def _message(event: Event) -> aio_pika.Message:
    event_id = str(uuid4())
    return aio_pika.Message(
        event.model_dump_json().encode(), message_id=event_id, type=event.TYPE,
        content_type="application/json", headers={"ce-id": event_id, "ce-type": event.TYPE},
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )  # fmt: skip


def residents(n: int) -> list[ResidentContactChangedV1]:
    now = datetime.now(UTC)
    return [
        ResidentContactChangedV1(
            resident_id=uuid4(),
            version=1,
            changed_at=now,
            full_name=f"Warga {i}",
            phone=f"+62812{i:08d}",
            consent=True,
            channels=("whatsapp",),
        )
        for i in range(n)
    ]


def match(vacancy: VacancyPublishedV1, ids: list[UUID]) -> CandidatesMatchedV1:
    return CandidatesMatchedV1(
        match_id=uuid4(), vacancy_id=vacancy.vacancy_id, company_id=vacancy.company_id,
        trigger="vacancy_published", matched_at=datetime.now(UTC), eligible=len(ids),
        candidates=[{"resident_id": r, "score": 0.5, "certified": False} for r in ids],
    )  # fmt: skip


async def until(check: Any, *, timeout: float, every: float = 0.2) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(every)
    return result


async def test_ten_thousand_residents_get_exactly_one_message_each_across_a_kill(
    notify: Notify, gateway: FakeGateway, vhost_url: str
) -> None:
    contacts = residents(RESIDENTS)
    vacancy = VacancyPublishedV1.model_validate(
        VacancyPublishedV1.example().model_dump() | {"vacancy_id": uuid4()}
    )
    database = await asyncpg.connect(notify.env["NOTIFY_DATABASE_URL"])
    try:
        await publish_all(vhost_url, [*contacts, vacancy])

        async def known() -> bool:
            return await database.fetchval("SELECT count(*) FROM contact") == RESIDENTS

        await until(known, timeout=90)
        async with EventTap(vhost_url, pattern="notify.notification_sent.v1") as tap:
            await publish_all(vhost_url, [match(vacancy, [c.resident_id for c in contacts])])
            await until(
                lambda: _sent_at_least(gateway, RESIDENTS * 3 // 10), timeout=60, every=0.01
            )
            notify.kill()
            at_kill = (len(gateway.messages), gateway.sends)
            await notify.start()

            async def all_sent() -> bool:
                sql = "SELECT count(*) FROM delivery WHERE status = 'sent'"
                return await database.fetchval(sql) == RESIDENTS

            started = time.monotonic()
            await until(all_sent, timeout=120)
            after_restart = time.monotonic() - started
            await until(lambda: _events(tap, RESIDENTS), timeout=60)
        rows = await database.fetch("SELECT delivery_id, status, attempts FROM delivery")
        logged = await database.fetchval(
            "SELECT count(*) FROM delivery_attempt WHERE outcome = 'sent'"
        )
    finally:
        await database.close()
    keys = {str(row["delivery_id"]) for row in rows}
    report = {
        "residents": RESIDENTS,
        "sent_before_kill": at_kill[0],
        "requests_before_kill": at_kill[1],
        "distinct_keys_at_gateway": len(gateway.messages),
        "requests_at_gateway": gateway.sends,
        "duplicates_dropped_by_gateway": gateway.duplicates,
        "answers": dict(Counter(r.status for r in gateway.requests)),
        "seconds_after_restart": round(after_restart, 1),
    }
    print("\nfan-out across a SIGKILL:", json.dumps(report))
    assert len(rows) == RESIDENTS
    assert {row["status"] for row in rows} == {"sent"}
    assert set(gateway.messages) == keys  # exactly one message per resident, by its key
    assert logged == RESIDENTS  # every row recorded as sent exactly once
    assert gateway.sends == RESIDENTS + gateway.duplicates
    assert gateway.duplicates <= BATCH * WORKERS  # only what was in flight at the kill
    assert _notification_ids(tap) == keys  # one notification_sent each, duplicates aside


async def _sent_at_least(gateway: FakeGateway, n: int) -> bool:
    return len(gateway.messages) >= n


async def _events(tap: EventTap, n: int) -> bool:
    return len(_notification_ids(tap)) >= n


def _notification_ids(tap: EventTap) -> set[str]:
    return {
        json.loads(m.body)["notification_id"] for m in tap.of_type("notify.notification_sent.v1")
    }
