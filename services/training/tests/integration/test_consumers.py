"""Training's consumers against the real broker, with events published as their producers do,
and the reports built from them."""

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac
from kerjalokal.testing.tap import EventTap
from training import projections
from training.config import Settings

from ..conftest import (
    OPERATOR,
    new_institution,
    new_programme,
    new_session,
    ready,
    registered,
    verified_company,
)

pytestmark = pytest.mark.integration


async def publish(
    amqp_url: str, event: Event | bytes, *, routing_key: str = "", message_id: str = ""
) -> str:
    message_id = message_id or str(uuid4())
    body = event if isinstance(event, bytes) else event.model_dump_json().encode()
    key = routing_key or (event.TYPE if isinstance(event, Event) else "")
    async with await aio_pika.connect(amqp_url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("kerjalokal.events")
        await exchange.publish(
            aio_pika.Message(
                body,
                message_id=message_id,
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=key,
        )
    return message_id


async def until(check, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


def hired(rid: UUID, company_id: UUID, at: datetime | None = None) -> vac.ResidentHiredV1:
    return vac.ResidentHiredV1(
        hire_id=uuid4(),
        resident_id=rid,
        company_id=company_id,
        vacancy_id=uuid4(),
        start_date=date.today(),
        contract_type="pkwt",
        source="application",
        is_local=True,
        hired_at=at or datetime.now(UTC),
    )


async def test_registry_events_build_the_seeker_projection_in_any_order(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    rid = uuid4()
    status = reg.ResidentStatusChangedV1(
        resident_id=rid,
        version=3,
        changed_at=datetime.now(UTC),
        previous_status="active",
        status="placed",
        reason="hired",
    )
    await publish(settings.amqp_url, status)

    async def status_row():
        return await app.state.pool.fetchrow("SELECT * FROM seeker WHERE resident_id = $1", rid)

    await until(status_row)
    assert (await client.get(f"/seekers/{rid}", headers=OPERATOR)).status_code == 404
    await publish(settings.amqp_url, registered(rid, status="registered", version=1))

    async def known():
        answer = await client.get(f"/seekers/{rid}", headers=OPERATOR)
        return answer.json() if answer.status_code == 200 else None

    seeker = await until(known)
    assert seeker["status"] == "placed"
    assert seeker["birth_year"] == 2000


async def test_a_redelivered_registration_changes_nothing_and_poison_is_dead_lettered(
    app: FastAPI, settings: Settings
) -> None:
    event = registered()
    for _ in range(3):
        await publish(settings.amqp_url, event, message_id="same-registration")
    await publish(
        settings.amqp_url,
        b'{"resident_id": "not-a-uuid"}',
        routing_key=reg.ResidentRegisteredV1.TYPE,
        message_id="poison",
    )
    async with await aio_pika.connect(settings.amqp_url) as connection:
        channel = await connection.channel()
        queue = await channel.get_queue("training.dlq")

        async def dead():
            return await queue.get(no_ack=True, fail=False)

        letter = await until(dead)
    assert letter.message_id == "poison"
    assert letter.headers["x-kerjalokal-reason"] == "unreadable"
    assert letter.headers["x-kerjalokal-queue"] == "training.resident_registered"
    inbox = await app.state.pool.fetchval(
        "SELECT count(*) FROM inbox WHERE event_id = 'same-registration'"
    )
    assert inbox == 1


async def test_a_hire_withdraws_training_and_promotes_the_waiting_list(
    client: httpx.AsyncClient, app: FastAPI, seeker, settings: Settings
) -> None:
    blk = await new_institution(client)
    programme = await new_programme(client, blk["headers"])
    session = await new_session(client, blk["headers"], programme["programme_id"], capacity=1)
    first, second = await seeker(), await seeker()
    for rid in (first, second):
        await ready(client, rid)
        await client.post(
            f"/sessions/{session['session_id']}/enrollments",
            json={"resident_id": str(rid)},
            headers=OPERATOR,
        )
    hire = hired(first, uuid4())
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        for _ in range(2):
            await publish(settings.amqp_url, hire, message_id="hire-twice")
        await tap.wait_for("training.resident_enrolled.v1")
        await asyncio.sleep(0.5)
    [withdrawn] = tap.bodies("training.enrollment_withdrawn.v1")
    assert (withdrawn["resident_id"], withdrawn["reason"]) == (str(first), "hired")
    [promoted] = tap.bodies("training.resident_enrolled.v1")
    assert (promoted["resident_id"], promoted["from_waitlist"]) == (str(second), True)
    readiness = [
        b for b in tap.bodies("training.readiness_assessed.v1") if b["resident_id"] == str(first)
    ]
    assert [(r["ready"], r["reason"]) for r in readiness] == [(False, "hired")]


async def test_a_hire_by_the_host_company_completes_the_apprenticeship_as_hired(
    client: httpx.AsyncClient, apply, seeker, settings: Settings
) -> None:
    upk = await new_institution(client, type="upk")
    company = verified_company()
    await apply(projections.company_verified, company)
    programme = await new_programme(
        client,
        upk["headers"],
        kind="apprenticeship",
        title="Pemagangan Perakitan",
        skills=["perakitan elektronik"],
        apprenticeship={
            "host_company_id": str(company.company_id),
            "agreement_number": "560/PKS/003",
            "agreement_signed_on": "2026-01-05",
            "mentor": {"name": "Pak Budi"},
            "stipend_basis": "fixed",
            "stipend_amount": 2_500_000,
        },
    )
    session = await new_session(client, upk["headers"], programme["programme_id"], days=90)
    rid = await seeker()
    await ready(client, rid)
    enrolled = await client.post(
        f"/sessions/{session['session_id']}/enrollments",
        json={"resident_id": str(rid)},
        headers=upk["headers"],
    )
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        await publish(settings.amqp_url, hired(rid, company.company_id))
        [done] = await tap.wait_for("training.apprenticeship_completed.v1")
        [completed] = await tap.wait_for("training.training_completed.v1")
    assert json.loads(done.body)["outcome"] == "hired"
    assert json.loads(completed.body)["passed"] is True
    assert tap.of_type("training.enrollment_withdrawn.v1") == []
    row = (
        await client.get(f"/enrollments/{enrolled.json()['enrollment_id']}", headers=OPERATOR)
    ).json()
    assert (row["state"], row["outcome"]) == ("completed", "hired")


async def test_completion_and_placement_rates_count_hires_within_90_and_180_days(
    client: httpx.AsyncClient, app: FastAPI, apply, seeker
) -> None:
    blk = await new_institution(client)
    programme = await new_programme(client, blk["headers"])
    session = await new_session(client, blk["headers"], programme["programme_id"])
    residents = [await seeker() for _ in range(4)]
    enrollments = []
    for rid in residents:
        await ready(client, rid)
        answer = await client.post(
            f"/sessions/{session['session_id']}/enrollments",
            json={"resident_id": str(rid)},
            headers=OPERATOR,
        )
        enrollments.append(answer.json()["enrollment_id"])
    skill = {"skill": "pengelasan", "certificate_number": "C-1"}
    for eid in enrollments[:3]:
        await client.post(
            f"/enrollments/{eid}/complete",
            json={"passed": True, "certified_skills": [skill]},
            headers=OPERATOR,
        )
    await client.post(
        f"/enrollments/{enrollments[3]}/drop-out", json={"reason": "family"}, headers=OPERATOR
    )
    # The three completed 200 days ago: one hired after 30 days, one after 120, one never.
    completed_at = datetime.now(UTC) - timedelta(days=200)
    await app.state.pool.execute(
        "UPDATE enrollment SET ended_at = $1 WHERE state = 'completed'", completed_at
    )
    await apply(projections.company_verified, verified_company())
    from training import completions as use_cases

    for rid, days in ((residents[0], 30), (residents[1], 120)):
        await apply(use_cases.on_hired, hired(rid, uuid4(), completed_at + timedelta(days=days)))
    [row] = (await client.get("/reports/outcomes", headers=blk["headers"])).json()
    assert (row["completed"], row["dropped_out"], row["completion_rate"]) == (3, 1, 0.75)
    assert (row["placed_90"], row["placement_rate_90"]) == (1, 0.3333)
    assert (row["placed_180"], row["placement_rate_180"]) == (2, 0.6667)
    [by_institution] = (
        await client.get("/reports/outcomes", params={"by": "institution"}, headers=OPERATOR)
    ).json()
    assert by_institution["institution_id"] == blk["institution_id"]


async def test_skills_demand_lists_the_largest_gaps_from_open_vacancies(
    client: httpx.AsyncClient, settings: Settings, seeker
) -> None:
    base = vac.VacancyPublishedV1.example()

    def vacancy(skills, openings, kbji="7212.01") -> vac.VacancyPublishedV1:
        return base.model_copy(
            update={
                "vacancy_id": uuid4(),
                "skills": skills,
                "openings": openings,
                "kbji_code": kbji,
                "valid_until": date.today() + timedelta(days=30),
            }
        )

    welding = vacancy(("pengelasan",), 10)
    cnc = vacancy(("operator cnc",), 4, "7223.01")
    closed = vacancy(("bubut",), 50)
    for event in (welding, cnc, closed):
        await publish(settings.amqp_url, event)
    await publish(
        settings.amqp_url,
        vac.VacancyClosedV1(
            vacancy_id=closed.vacancy_id,
            company_id=closed.company_id,
            reason="filled",
            hires=50,
            closed_at=datetime.now(UTC),
        ),
    )
    welder = await seeker(skills=("pengelasan",))
    await ready(client, welder)

    async def gaps():
        rows = (await client.get("/reports/skills-demand", headers=OPERATOR)).json()
        return rows if len(rows) == 2 and rows[0]["openings"] == 10 else None

    rows = await until(gaps)
    assert [(r["skill"], r["gap"], r["ready"]) for r in rows] == [
        ("pengelasan", 9, 1),
        ("operator cnc", 4, 0),
    ]
    assert rows[0]["ready_for_vocation"] == 1
    assert all(r["skill"] != "bubut" for r in rows)
