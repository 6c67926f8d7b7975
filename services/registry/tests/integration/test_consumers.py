"""The registry's consumers against the real broker: events published as the producers will."""

import asyncio
import json
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.events import Event
from kerjalokal.events.training import (
    CertifiedSkill,
    EnrollmentWithdrawnV1,
    ResidentEnrolledV1,
    TrainingCompletedV1,
)
from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.testing.factories import registration
from kerjalokal.testing.tap import EventTap
from registry.config import Settings

from ..conftest import OPERATOR

pytestmark = pytest.mark.integration


async def publish(
    amqp_url: str, event: Event | bytes, *, routing_key: str = "", message_id: str = ""
) -> str:
    message_id = message_id or str(uuid4())
    body = event if isinstance(event, bytes) else event.model_dump_json().encode()
    key = routing_key or (event.TYPE if isinstance(event, Event) else "")
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kerjalokal.events")
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/json",
                             headers={"ce-id": message_id, "ce-type": key},
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=key,
        )  # fmt: skip
    return message_id


async def resident(client: httpx.AsyncClient) -> dict:
    response = await client.post("/residents", json=registration(), headers=OPERATOR)
    assert response.status_code == 201
    return response.json()


async def until(check, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


async def fetch(client: httpx.AsyncClient, rid: str) -> dict:
    return (await client.get(f"/residents/{rid}", headers=OPERATOR)).json()


def hired(rid: str) -> ResidentHiredV1:
    return ResidentHiredV1(
        hire_id=uuid4(), resident_id=UUID(rid), company_id=uuid4(), vacancy_id=uuid4(),
        start_date=date.today(), contract_type="pkwt", source="application", is_local=True,
        hired_at=datetime.now(UTC),
    )  # fmt: skip


async def test_a_hire_places_the_seeker_once_however_often_it_arrives(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    rid = (await resident(client))["resident_id"]
    event = hired(rid)
    async with EventTap(settings.amqp_url, pattern="registry.resident_status_changed.v1") as tap:
        for _ in range(3):
            await publish(settings.amqp_url, event, message_id="hire-delivered-thrice")
        [changed] = await tap.wait_for("registry.resident_status_changed.v1")
        await asyncio.sleep(0.5)
        assert len(tap.messages) == 1
    assert json.loads(changed.body) | {"version": 0, "changed_at": ""} == {
        "resident_id": rid, "previous_status": "registered", "status": "placed",
        "reason": "hired", "version": 0, "changed_at": "",
    }  # fmt: skip
    assert (await fetch(client, rid))["status"] == "placed"
    placements = await app.state.pool.fetchval(
        "SELECT count(*) FROM resident_history WHERE action = 'placed' AND resident_id = $1",
        UUID(rid),
    )
    assert placements == 1


async def test_training_sets_in_training_and_completion_adds_certified_skills(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    rid = UUID((await resident(client))["resident_id"])
    ids = {"enrollment_id": uuid4(), "resident_id": rid, "session_id": uuid4()}
    enrolled = ResidentEnrolledV1(
        **ids, programme_id=uuid4(), institution_id=uuid4(), vocation="Pengelasan",
        enrolled_at=datetime.now(UTC),
    )  # fmt: skip
    completed = TrainingCompletedV1(
        **ids, passed=True, completed_at=datetime.now(UTC),
        certified_skills=(
            CertifiedSkill(skill="Las SMAW", scheme="SKKNI", certificate_number="C-1"),
        ),
    )  # fmt: skip
    async with EventTap(settings.amqp_url, pattern="registry.resident_profile_updated.v1") as tap:
        await publish(settings.amqp_url, enrolled)
        await tap.wait_for("registry.resident_profile_updated.v1")
        assert (await fetch(client, str(rid)))["in_training"] is True
        await publish(settings.amqp_url, completed)
        [_, update] = await tap.wait_for("registry.resident_profile_updated.v1", 2)
    profile = json.loads(update.body)["profile"]
    assert "las smaw" in profile["skills"]
    assert profile["in_training"] is False
    assert {"name": "Las SMAW", "scheme": "SKKNI", "issuer": "pelatihan"}.items() <= profile[
        "certificates"
    ][-1].items()
    seeker = await fetch(client, str(rid))
    assert seeker["in_training"] is False
    assert "las smaw" in seeker["skills"]
    assert seeker["certificates"][-1]["number"] == "C-1"


async def test_training_events_in_the_wrong_order_leave_the_right_state(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    rid = UUID((await resident(client))["resident_id"])
    ids = {"enrollment_id": uuid4(), "resident_id": rid, "session_id": uuid4()}
    withdrawn = EnrollmentWithdrawnV1(**ids, reason="hired", withdrawn_at=datetime.now(UTC))
    enrolled = ResidentEnrolledV1(
        **ids, programme_id=uuid4(), institution_id=uuid4(), vocation="Menjahit",
        enrolled_at=datetime.now(UTC),
    )  # fmt: skip
    async with EventTap(settings.amqp_url, pattern="registry.resident_profile_updated.v1") as tap:
        await publish(settings.amqp_url, withdrawn)
        await tap.wait_for("registry.resident_profile_updated.v1")
        await publish(settings.amqp_url, enrolled)
        await tap.wait_for("registry.resident_profile_updated.v1", 2)
    assert (await fetch(client, str(rid)))["in_training"] is False


async def dead_letters(amqp_url: str) -> list[aio_pika.abc.AbstractIncomingMessage]:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        queue = await (await connection.channel()).get_queue("registry.dlq")
        found = []
        while message := await queue.get(fail=False, no_ack=True):
            found.append(message)
        return found


async def test_poison_is_dead_lettered_with_its_reason_and_the_rest_flows(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    rid = (await resident(client))["resident_id"]
    unknown = hired(str(uuid4()))
    await publish(
        settings.amqp_url, b"{not json", routing_key=ResidentHiredV1.TYPE, message_id="p1"
    )
    await publish(
        settings.amqp_url, b'{"hire_id": "x"}', routing_key=ResidentHiredV1.TYPE, message_id="p2"
    )
    await publish(settings.amqp_url, unknown, message_id="p3")
    await publish(settings.amqp_url, hired(rid))
    await until(lambda: _status_is(client, rid, "placed"))
    letters = await until(lambda: _letters(settings.amqp_url, 3))
    reasons = {m.message_id: m.headers for m in letters}
    assert reasons["p1"]["x-kerjalokal-reason"] == "unreadable"
    assert "resident_id: Field required" in reasons["p2"]["x-kerjalokal-error"]
    assert "not registered" in reasons["p3"]["x-kerjalokal-error"]
    assert {h["x-kerjalokal-queue"] for h in reasons.values()} == {"registry.resident_hired"}


async def _status_is(client: httpx.AsyncClient, rid: str, status: str) -> bool:
    return (await fetch(client, rid))["status"] == status


async def _letters(amqp_url: str, n: int) -> list | None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        queue = await (await connection.channel()).declare_queue("registry.dlq", passive=True)
        if queue.declaration_result.message_count < n:
            return None
    return await dead_letters(amqp_url)
