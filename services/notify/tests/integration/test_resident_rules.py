"""The rules around resident messages: quiet hours, the daily cap, opt-out, consent withdrawn,
provider failures, and the order events arrive in."""

import asyncio
import json
from datetime import datetime, timedelta
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.events.registry import ResidentErasedV1, ResidentStatusChangedV1
from kerjalokal.testing.tap import EventTap
from notify.config import Settings
from notify.domain.keys import opt_out_token
from notify.domain.schedule import WIB
from notify.testing import FakeGateway, Mailbox

from ..conftest import OPERATOR, OPT_OUT_KEY, Clock, contact, publish, until
from ..factories import closed, matched, published
from .test_residents import _at_least, contacts_known, count, log

pytestmark = pytest.mark.integration
QUIET = pytest.mark.parametrize("overrides", [{"NOTIFY_QUIET_HOURS": "21:00-06:00"}])


def tonight() -> datetime:
    return datetime.now(WIB).replace(hour=22, minute=0, second=0, microsecond=0)


async def statuses(client: httpx.AsyncClient, resident) -> list[tuple[str, str | None]]:
    rows = await log(client, resident_id=str(resident))
    return sorted((row["status"], row["reason"]) for row in rows)


@QUIET
async def test_phones_wait_for_the_morning_and_email_does_not(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway,
    mailbox: Mailbox, clock: Clock,
) -> None:  # fmt: skip
    clock.at = tonight()
    phone, mail, vacancy = uuid4(), uuid4(), published()
    await publish(
        settings.amqp_url, contact(phone), contact(mail, channels=("email",), email="a@b.test"),
        vacancy,
    )  # fmt: skip
    await contacts_known(app, 2)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [phone, mail]))
    await until(lambda: _mails(mailbox, 1))
    [row] = await log(client, resident_id=str(phone))
    morning = (clock.at + timedelta(days=1)).replace(hour=6)
    assert row["status"] == "pending"
    assert datetime.fromisoformat(row["not_before"]) == morning
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 2))
    assert gateway.requests == []
    clock.at = morning + timedelta(minutes=1)
    await until(lambda: _status_is(client, phone, [("sent", None)]))
    assert len(gateway.requests) == 1


async def _mails(mailbox: Mailbox, n: int) -> bool:
    return len(mailbox.messages) >= n


async def _messages(gateway: FakeGateway, n: int) -> bool:
    return len(gateway.messages) >= n


@pytest.mark.parametrize("overrides", [{"NOTIFY_DAILY_CAP": 2}])
async def test_past_the_daily_cap_a_resident_is_skipped_with_the_reason(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancies = uuid4(), [published() for _ in range(3)]
    await publish(settings.amqp_url, contact(resident), *vacancies)
    await contacts_known(app, 1)
    for vacancy in vacancies:
        await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 3))
    expected = [("sent", None), ("sent", None), ("skipped", "cap")]
    await until(lambda: _status_is(client, resident, expected))
    assert len(gateway.messages) == 2


@QUIET
async def test_opting_out_or_withdrawing_consent_cancels_what_waits_at_once(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway,
    clock: Clock,
) -> None:  # fmt: skip
    clock.at = tonight()
    leaving, withdrawing, vacancy = uuid4(), uuid4(), published()
    await publish(settings.amqp_url, contact(leaving), contact(withdrawing), vacancy)
    await contacts_known(app, 2)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [leaving, withdrawing]))
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 2))
    token = opt_out_token(OPT_OUT_KEY.encode(), leaving)
    form = await client.get(f"/berhenti/{token}")
    assert form.status_code == 200
    assert 'method="post"' in form.text
    assert await statuses(client, leaving) == [("pending", None)]  # a link preview stops nothing
    done = await client.post(f"/berhenti/{token}")
    assert done.status_code == 200
    assert "tidak akan menerima pesan lagi" in done.text
    assert await statuses(client, leaving) == [("cancelled", "opted_out")]
    assert (await client.get(f"/berhenti/{token[:-2]}xx")).status_code == 404
    withdrawn = contact(withdrawing, version=2, consent=False)
    await publish(settings.amqp_url, withdrawn)
    await until(lambda: _status_is(client, withdrawing, [("cancelled", "no_consent")]))
    later = published()
    await publish(settings.amqp_url, later)
    await publish(settings.amqp_url, matched(later.vacancy_id, [leaving]))
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 3))
    assert ("skipped", "opted_out") in await statuses(client, leaving)
    clock.at = tonight() + timedelta(hours=9)
    await publish(settings.amqp_url, contact(withdrawing, version=3))  # consents again
    assert await count(app, "SELECT count(*) FROM delivery WHERE status = 'pending'") == 0
    assert gateway.requests == []


async def _status_is(client: httpx.AsyncClient, resident, expected) -> bool:
    return await statuses(client, resident) == expected


async def test_provider_failures_are_retried_refusals_are_not_and_both_are_logged(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    flaky, refused, vacancy = uuid4(), uuid4(), published()
    refused_contact = contact(refused)
    gateway.refuse = {refused_contact.phone or ""}
    gateway.fail(2, 503)
    await publish(settings.amqp_url, contact(flaky), refused_contact, vacancy)
    await contacts_known(app, 2)
    async with EventTap(settings.amqp_url, pattern="notify.#") as tap:
        await publish(settings.amqp_url, matched(vacancy.vacancy_id, [flaky, refused]))
        [failed] = await tap.wait_for("notify.notification_failed.v1")
        await tap.wait_for("notify.notification_sent.v1")
    assert await statuses(client, flaky) == [("sent", None)]
    assert await statuses(client, refused) == [("failed", "permanent")]
    body = json.loads(failed.body)
    assert (body["resident_id"], body["failure"], body["error"]) == (
        str(refused), "permanent", "HTTP 400"
    )  # fmt: skip
    rows = {row["resident_id"]: row for row in await log(client)}
    detail = await client.get(f"/deliveries/{rows[str(flaky)]['delivery_id']}", headers=OPERATOR)
    outcomes = [a["outcome"] for a in detail.json()["attempt_log"]]
    codes = [a["status_code"] for a in detail.json()["attempt_log"]]
    assert outcomes[-1] == "sent"
    assert outcomes.count("retry") >= 1
    assert 503 in codes


async def test_a_provider_that_keeps_failing_ends_in_failed_after_the_last_try(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancy = uuid4(), published()
    gateway.failing = 502
    await publish(settings.amqp_url, contact(resident), vacancy)
    await contacts_known(app, 1)
    async with EventTap(settings.amqp_url, pattern="notify.notification_failed.v1") as tap:
        await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
        [failed] = await tap.wait_for("notify.notification_failed.v1")
    assert json.loads(failed.body)["failure"] == "exhausted"
    assert json.loads(failed.body)["attempts"] == settings.send_max_attempts
    assert len(gateway.requests) == settings.send_max_attempts
    assert await statuses(client, resident) == [("failed", "exhausted")]


async def test_a_match_that_arrives_before_its_vacancy_waits_for_it(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancy = uuid4(), published(title="Operator Forklift")
    await publish(settings.amqp_url, contact(resident))
    await contacts_known(app, 1)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 1))
    await asyncio.sleep(0.5)  # the dispatcher polls every 0.2 s
    assert gateway.requests == []
    [waiting] = await log(client, resident_id=str(resident))
    assert (waiting["status"], waiting["attempts"]) == ("pending", 0)
    await publish(settings.amqp_url, vacancy)
    await until(lambda: _status_is(client, resident, [("sent", None)]))
    [request] = gateway.requests
    assert "Operator Forklift" in request.payload["params"]["text"]
    [row] = await log(client, resident_id=str(resident))
    assert row["attempts"] == 1


@QUIET
async def test_an_alert_still_waiting_when_the_vacancy_closes_is_cancelled(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway,
    clock: Clock,
) -> None:  # fmt: skip
    clock.at = tonight()
    resident, vacancy = uuid4(), published()
    await publish(settings.amqp_url, contact(resident), vacancy)
    await contacts_known(app, 1)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 1))
    await publish(settings.amqp_url, closed(vacancy.vacancy_id, "withdrawn"))
    await until(lambda: _status_is(client, resident, [("cancelled", "vacancy_closed")]))
    assert gateway.requests == []


async def test_a_resident_placed_meanwhile_gets_no_job_alert(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancy = uuid4(), published()
    placed = ResidentStatusChangedV1(
        resident_id=resident, version=5, changed_at=datetime.now(WIB),
        previous_status="active", status="placed", reason="hired",
    )  # fmt: skip
    await publish(settings.amqp_url, contact(resident), placed, vacancy)
    await contacts_known(app, 1)
    await until(lambda: _at_least(app, "SELECT count(*) FROM resident_state", 1))
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(lambda: _status_is(client, resident, [("skipped", "resident_placed")]))
    assert gateway.requests == []


@QUIET
async def test_an_erased_resident_leaves_no_contact_and_nothing_waits_for_them(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway,
    clock: Clock,
) -> None:  # fmt: skip
    clock.at = tonight()
    erased, kept, vacancy = uuid4(), uuid4(), published()
    gone = contact(
        erased, email="wulan@example.org", name="Wulan Lestari", channels=("whatsapp", "email")
    )
    await publish(settings.amqp_url, gone, contact(kept), vacancy)
    await contacts_known(app, 2)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [erased, kept]))
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery", 2))
    event = ResidentErasedV1(resident_id=erased, version=5, erased_at=datetime.now(WIB))
    confirmation = "notify.resident_data_erased.v1"
    async with EventTap(settings.amqp_url, pattern=confirmation) as tap:
        [event_id] = await publish(settings.amqp_url, event)
        await until(lambda: _status_is(client, erased, [("cancelled", "erased")]))
        [confirmed] = await tap.wait_for(confirmation)
        await publish(settings.amqp_url, event, message_id=event_id)  # redelivered
        await publish(settings.amqp_url, gone)  # a late contact event cannot bring it back
        await asyncio.sleep(1.5)
        assert len(tap.of_type(confirmation)) == 1  # confirmed once, not once per delivery
    body = json.loads(confirmed.body)
    assert body["resident_id"] == str(erased)
    assert body["erasure_event_id"] == event_id
    assert set(body) == {"resident_id", "erasure_event_id", "erased_at"}  # nothing personal
    row = await app.state.pool.fetchrow("SELECT * FROM contact WHERE resident_id = $1", erased)
    assert (
        row["first_name_sealed"], row["phone_sealed"], row["email_sealed"], row["consent"]
    ) == (None, None, None, False)  # fmt: skip
    dump = json.dumps(
        [dict(r) for r in await app.state.pool.fetch("SELECT * FROM contact")]
        + [dict(r) for r in await app.state.pool.fetch("SELECT * FROM delivery")],
        default=str,
    )
    for secret in (gone.phone, "wulan@example.org", "Wulan"):
        assert secret not in dump
    assert await statuses(client, erased) == [("cancelled", "erased")]
    waiting = "SELECT count(*) FROM delivery WHERE resident_id = $1 AND status = 'pending'"
    assert await app.state.pool.fetchval(waiting, erased) == 0
    handled = "SELECT count(*) FROM inbox WHERE consumer = 'notify.resident_erased'"
    assert await app.state.pool.fetchval(handled) == 1  # the redelivery was recognised
    assert await statuses(client, kept) == [("pending", None)]
    assert gateway.requests == []


@pytest.mark.parametrize(
    "overrides",
    [{"NOTIFY_SEND_LEASE": 1.0, "NOTIFY_SEND_CONCURRENCY": 1, "NOTIFY_SEND_WORKERS": 3}],
)
async def test_a_batch_slower_than_its_lease_hands_rows_back_instead_of_sending_them_twice(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    """Six messages at 0.4 s each through one slot take 2.4 s, more than the 1 s lease: without
    the hand-back another worker claims the rest when the lease runs out and sends them again."""
    residents, vacancy = [uuid4() for _ in range(6)], published()
    gateway.delay = 0.4
    await publish(settings.amqp_url, *(contact(r) for r in residents), vacancy)
    await contacts_known(app, 6)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, residents))
    await until(lambda: _messages(gateway, 6), timeout=30)
    await until(lambda: _at_least(app, "SELECT count(*) FROM delivery WHERE status = 'sent'", 6))
    assert gateway.duplicates == 0
    assert len(gateway.requests) == 6
    for resident in residents:
        [row] = await log(client, resident_id=str(resident))
        assert (row["status"], row["attempts"]) == ("sent", 1)
