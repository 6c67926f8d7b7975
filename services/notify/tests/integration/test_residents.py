"""Messages to residents against the real PostgreSQL and RabbitMQ, a real SMTP server (aiosmtpd)
and a local WhatsApp/SMS gateway: who gets what, on which channel, once."""

import json
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.events.training import CertifiedSkill, ResidentEnrolledV1, TrainingCompletedV1
from kerjalokal.events.vacancies import ApplicationStatusChangedV1, ResidentHiredV1
from kerjalokal.testing.tap import EventTap
from notify.config import Settings
from notify.testing import FakeGateway, Mailbox

from ..conftest import OPERATOR, contact, publish, publish_raw, until
from ..factories import matched, published

pytestmark = pytest.mark.integration


async def count(app: FastAPI, sql: str, *args) -> int:
    return int(await app.state.pool.fetchval(sql, *args))


async def contacts_known(app: FastAPI, n: int) -> None:
    await until(lambda: _at_least(app, "SELECT count(*) FROM contact", n))


async def _at_least(app: FastAPI, sql: str, n: int) -> bool:
    return await count(app, sql) >= n


async def log(client: httpx.AsyncClient, **query) -> list[dict]:
    response = await client.get("/deliveries", params=query, headers=OPERATOR)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_a_match_reaches_each_consenting_resident_once_on_their_channel(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway,
    mailbox: Mailbox,
) -> None:  # fmt: skip
    wa, mail, refused, unknown = uuid4(), uuid4(), uuid4(), uuid4()
    vacancy = published()
    await publish(
        settings.amqp_url,
        contact(wa, channels=("whatsapp", "sms"), name="Siti Rahmawati"),
        contact(mail, channels=("email",), email="budi@example.org", name="Budi"),
        contact(refused, consent=False),
        vacancy,
    )
    await contacts_known(app, 3)
    await until(lambda: _at_least(app, "SELECT count(*) FROM vacancy", 1))
    async with EventTap(settings.amqp_url, pattern="notify.#") as tap:
        [event_id] = await publish(
            settings.amqp_url, matched(vacancy.vacancy_id, [wa, mail, refused, unknown])
        )
        await until(lambda: _gateway_and_mail(gateway, mailbox))
        sent = await tap.wait_for("notify.notification_sent.v1", 2)
    [request] = gateway.requests
    assert request.path == "/whatsapp"
    assert request.payload["to"] == f"+62812{wa.int % 10**8:08d}"
    assert request.payload["template"] == "lowongan_cocok"
    assert request.key == request.payload["idempotency_key"]
    text = request.payload["params"]["text"]
    assert text.startswith("Halo Siti,")
    assert "Rahmawati" not in text  # only the first name is kept
    assert f"http://notify.test/lowongan/{vacancy.vacancy_id}" in text
    assert "GRATIS, tanpa biaya" in text
    assert "http://notify.test/berhenti/" in text
    [email] = mailbox.messages
    assert email["To"] == "budi@example.org"
    assert email["Subject"].startswith("Lowongan kerja yang cocok")
    assert "List-Unsubscribe" in email
    rows = {UUID(row["resident_id"]): row for row in await log(client, event_id=event_id)}
    assert rows[wa]["status"] == rows[mail]["status"] == "sent"
    assert email["Message-ID"] == f"<{rows[mail]['delivery_id']}@disnaker.test>"
    assert request.key == rows[wa]["delivery_id"]
    assert rows[wa]["provider_message_id"] == gateway.message_ids[request.key]
    assert (rows[refused]["status"], rows[refused]["reason"]) == ("skipped", "no_consent")
    assert (rows[unknown]["status"], rows[unknown]["reason"]) == ("skipped", "no_contact")
    wire = b"".join(m.body for m in sent).decode()
    for secret in ("Siti", "budi@example.org", request.payload["to"]):
        assert secret not in wire
    bodies = [json.loads(m.body) for m in sent]
    assert {b["resident_id"] for b in bodies} == {str(wa), str(mail)}
    assert {b["cause_event_id"] for b in bodies} == {event_id}
    detail = await client.get(f"/deliveries/{rows[wa]['delivery_id']}", headers=OPERATOR)
    [attempt] = detail.json()["attempt_log"]
    assert attempt["outcome"] == "sent"
    assert attempt["provider_message_id"] == rows[wa]["provider_message_id"]


async def _gateway_and_mail(gateway: FakeGateway, mailbox: Mailbox) -> bool:
    return len(gateway.messages) >= 1 and len(mailbox.messages) >= 1


async def test_a_redelivered_match_changes_nothing_and_a_rematch_is_not_told_twice(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancy = uuid4(), published()
    await publish(settings.amqp_url, contact(resident), vacancy)
    await contacts_known(app, 1)
    event = matched(vacancy.vacancy_id, [resident])
    for _ in range(3):
        await publish(settings.amqp_url, event, message_id="match-delivered-thrice")
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(lambda: _deliveries(app, 2))
    await until(lambda: _sent(app, 1))
    assert len(gateway.requests) == 1
    rows = await log(client, resident_id=str(resident))
    assert sorted((r["status"], r["reason"]) for r in rows) == [
        ("sent", None),
        ("skipped", "already_told"),
    ]
    assert await count(app, "SELECT count(*) FROM inbox WHERE consumer LIKE 'notify.%'") >= 3


async def _deliveries(app: FastAPI, n: int) -> bool:
    return await count(app, "SELECT count(*) FROM delivery") >= n


async def _sent(app: FastAPI, n: int) -> bool:
    return await count(app, "SELECT count(*) FROM delivery WHERE status = 'sent'") >= n


async def test_training_hire_and_application_news_reach_the_resident(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancy = uuid4(), published(company_name="PT Maju Bersama")
    now = datetime.now(UTC)
    ids = {"enrollment_id": uuid4(), "resident_id": resident, "session_id": uuid4()}
    application = {
        "application_id": uuid4(), "vacancy_id": vacancy.vacancy_id, "company_id": uuid4(),
        "resident_id": resident, "channel": "application", "changed_at": now,
    }  # fmt: skip
    await publish(settings.amqp_url, contact(resident, name="Agus Saputra"), vacancy)
    await contacts_known(app, 1)
    await until(lambda: _at_least(app, "SELECT count(*) FROM vacancy", 1))
    await publish(
        settings.amqp_url,
        ResidentEnrolledV1(
            **ids, programme_id=uuid4(), institution_id=uuid4(), vocation="Pengelasan",
            enrolled_at=now,
        ),
        TrainingCompletedV1(
            **ids, passed=True, completed_at=now,
            certified_skills=(CertifiedSkill(skill="Las SMAW"),),
        ),
        ApplicationStatusChangedV1(**application, previous_status="submitted", status="screening"),
        ApplicationStatusChangedV1(**application, previous_status="screening", status="interview"),
        ResidentHiredV1(
            hire_id=uuid4(), resident_id=resident, company_id=uuid4(),
            vacancy_id=vacancy.vacancy_id, start_date=date(2026, 12, 1), contract_type="pkwt",
            source="application", is_local=True, hired_at=now,
        ),
    )  # fmt: skip
    await until(lambda: _messages_at_least(gateway, 4))
    texts = {r.payload["template"]: r.payload["params"]["text"] for r in gateway.requests}
    assert set(texts) == {
        "pelatihan_terdaftar", "pelatihan_selesai", "status_lamaran", "diterima_kerja"
    }  # fmt: skip
    assert "pelatihan Pengelasan" in texts["pelatihan_terdaftar"]
    assert "Las SMAW" in texts["pelatihan_selesai"]
    assert "dipanggil wawancara" in texts["status_lamaran"]
    assert "PT Maju Bersama" in texts["status_lamaran"]
    assert "PT Maju Bersama" in texts["diterima_kerja"]
    assert "1 Desember 2026" in texts["diterima_kerja"]
    assert all(text.startswith("Halo Agus,") for text in texts.values())
    rows = await log(client, resident_id=str(resident))
    assert len(rows) == 4  # screening is desk work: no message


async def _messages_at_least(gateway: FakeGateway, n: int) -> bool:
    return len(gateway.messages) >= n


async def test_a_poison_message_goes_to_the_dead_letter_queue_with_its_reason(
    app: FastAPI, settings: Settings, gateway: FakeGateway
) -> None:
    await publish_raw(
        settings.amqp_url, b'{"vacancy_id": "x"}', routing_key="vacancies.candidates_matched.v1",
        message_id="poison-1",
    )  # fmt: skip
    resident, vacancy = uuid4(), published()
    await publish(settings.amqp_url, contact(resident), vacancy)
    await contacts_known(app, 1)
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(lambda: _messages_at_least(gateway, 1))

    async def letter() -> aio_pika.abc.AbstractIncomingMessage | None:
        connection = await aio_pika.connect(settings.amqp_url)
        async with connection:
            queue = await (await connection.channel()).get_queue("notify.dlq")
            return await queue.get(fail=False, no_ack=True)

    dead = await until(letter)
    assert dead.message_id == "poison-1"
    assert dead.headers["x-kerjalokal-reason"] == "unreadable"
    assert dead.headers["x-kerjalokal-queue"] == "notify.candidates_matched"
