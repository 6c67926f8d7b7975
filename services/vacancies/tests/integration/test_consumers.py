"""The seeker projection from registry and training events on the real broker, and the matches
those events cause."""

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from kerjalokal.events import Event
from kerjalokal.events import registry as reg
from kerjalokal.events import training as tr
from kerjalokal.testing.tap import EventTap
from vacancies.config import Settings
from vacancies.main import create_app

from ..conftest import company, profile, settings_for, vacancy

pytestmark = pytest.mark.integration
MATCHED = "vacancies.candidates_matched.v1"


async def publish(
    amqp_url: str, event: Event | bytes, *, routing_key: str = "", message_id: str = ""
) -> str:
    message_id = message_id or str(uuid4())
    body = event if isinstance(event, bytes) else event.model_dump_json().encode()
    key = routing_key or (event.TYPE if isinstance(event, Event) else "")
    restricted = isinstance(event, Event) and event.RESTRICTED
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(
            "kerjalokal.restricted" if restricted else "kerjalokal.events"
        )
        await exchange.publish(
            aio_pika.Message(body, message_id=message_id, content_type="application/json",
                             headers={"ce-id": message_id, "ce-type": key},
                             delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
            routing_key=key,
        )  # fmt: skip
    return message_id


async def until(check, timeout: float = 15.0):
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.05)
    return result


def registered(rid: UUID, **overrides) -> reg.ResidentRegisteredV1:
    return reg.ResidentRegisteredV1(
        resident_id=rid, version=1, registered_at=datetime.now(UTC), registered_by="operator",
        status="registered", profile=profile(**overrides),
    )  # fmt: skip


def verified(rid: UUID, version: int = 2) -> reg.ResidentVerifiedV1:
    return reg.ResidentVerifiedV1(
        resident_id=rid, version=version, verified_at=datetime.now(UTC), status="active",
        ak1_issued=True,
    )  # fmt: skip


def status(
    rid: UUID, version: int, new: str, previous: str = "active"
) -> reg.ResidentStatusChangedV1:
    return reg.ResidentStatusChangedV1(
        resident_id=rid, version=version, changed_at=datetime.now(UTC),
        previous_status=previous, status=new, reason="test",
    )  # fmt: skip


async def row(app: FastAPI, rid: UUID) -> dict | None:
    found = await app.state.pool.fetchrow("SELECT * FROM seeker WHERE resident_id = $1", rid)
    return dict(found) if found else None


async def test_events_in_any_order_leave_the_latest_profile_and_status(
    app: FastAPI, settings: Settings
) -> None:
    rid = uuid4()
    newer = reg.ResidentProfileUpdatedV1(
        resident_id=rid, version=3, updated_at=datetime.now(UTC), changed=("skills",),
        status="active", profile=profile(skills=["bubut"]),
    )  # fmt: skip
    await publish(settings.amqp_url, verified(rid))
    await publish(settings.amqp_url, newer)
    await until(lambda: _has(app, rid, "profile_version", 3))
    await publish(settings.amqp_url, registered(rid, skills=["menjahit"]))
    await publish(settings.amqp_url, status(rid, 2, "verified"))
    await until(lambda: _consumed(app, "vacancies.registered"))
    await until(lambda: _consumed(app, "vacancies.status_changed"))
    seeker = await row(app, rid)
    assert seeker is not None
    assert (seeker["skills"], seeker["status"], seeker["status_version"]) == (
        ["bubut"],
        "active",
        3,
    )
    assert rid in app.state.index


async def _has(app: FastAPI, rid: UUID, column: str, value) -> bool:
    found = await row(app, rid)
    return found is not None and found[column] == value


async def _consumed(app: FastAPI, consumer: str) -> bool:
    return bool(await app.state.pool.fetchval("SELECT 1 FROM inbox WHERE consumer = $1", consumer))


async def test_a_seeker_who_becomes_active_is_matched_once_to_open_vacancies(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    hr = (await company(client))["hr"]
    public = await vacancy(client, hr)
    other = await vacancy(client, hr, education={"minimum": 8})
    rid = uuid4()
    async with EventTap(settings.amqp_url, pattern=MATCHED) as tap:
        await publish(settings.amqp_url, registered(rid))
        await until(lambda: _has(app, rid, "profile_version", 1))
        assert tap.of_type(MATCHED) == []
        await publish(settings.amqp_url, verified(rid), message_id="verified-twice")
        await publish(settings.amqp_url, verified(rid), message_id="verified-twice")
        [match] = await tap.wait_for(MATCHED)
        update = reg.ResidentProfileUpdatedV1(
            resident_id=rid, version=3, updated_at=datetime.now(UTC), changed=("skills",),
            status="active", profile=profile(skills=["pengelasan", "bubut"]),
        )  # fmt: skip
        await publish(settings.amqp_url, update)
        await until(lambda: _has(app, rid, "profile_version", 3))
        await asyncio.sleep(1.0)
    body = json.loads(match.body)
    assert (body["vacancy_id"], body["trigger"]) == (public["vacancy_id"], "status_changed")
    assert [c["resident_id"] for c in body["candidates"]] == [str(rid)]
    assert body["eligible"] == 1
    assert len(tap.of_type(MATCHED)) == 1  # already announced: not again after the update
    assert other["matched"]["eligible"] == 0


@pytest.fixture
async def capped(fresh_database, vhost_url) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    """The service announcing one candidate per vacancy at publication."""
    application = create_app(settings_for(await fresh_database(), vhost_url, VACANCIES_MATCH_CAP=1))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://v") as http:
            yield application, http


async def test_certified_training_announces_a_seeker_the_cap_had_left_out(capped) -> None:
    app, client = capped
    settings = app.state.settings
    hr = (await company(client))["hr"]
    best, trainee = uuid4(), uuid4()
    for rid, desa in ((best, "32.16.09.2004"), (trainee, "32.16.19.2004")):
        await publish(settings.amqp_url, registered(rid, desa_kode=desa, skills=[]))
        await publish(settings.amqp_url, verified(rid))
        await until(lambda rid=rid: _has(app, rid, "status", "active"))
    forklift = await vacancy(client, hr, skills=["forklift"], title="Operator Forklift")
    welder = await vacancy(client, hr, skills=["pengelasan"])
    assert welder["matched"] == forklift["matched"] == {"eligible": 2, "announced": 1}
    ids = {"enrollment_id": uuid4(), "resident_id": trainee, "session_id": uuid4()}
    enrolled = tr.ResidentEnrolledV1(
        **ids, programme_id=uuid4(), institution_id=uuid4(), vocation="Pengelasan",
        enrolled_at=datetime.now(UTC),
    )  # fmt: skip
    done = tr.TrainingCompletedV1(
        **ids, passed=True, completed_at=datetime.now(UTC),
        certified_skills=(tr.CertifiedSkill(skill="Pengelasan", scheme="SKKNI SMAW"),),
    )  # fmt: skip
    async with EventTap(settings.amqp_url, pattern=MATCHED) as tap:
        await publish(settings.amqp_url, enrolled)
        await until(lambda: _consumed(app, "vacancies.enrolled"))
        assert tap.of_type(MATCHED) == []  # enrolling changes nothing matching reads
        await publish(settings.amqp_url, done)
        await publish(settings.amqp_url, done)  # another delivery of the same fact, new id
        await tap.wait_for(MATCHED, 2)
        await asyncio.sleep(1.0)
    bodies = [json.loads(m.body) for m in tap.of_type(MATCHED)]
    assert {b["vacancy_id"] for b in bodies} == {welder["vacancy_id"], forklift["vacancy_id"]}
    assert {b["trigger"] for b in bodies} == {"training_completed"}
    [for_welder] = [b for b in bodies if b["vacancy_id"] == welder["vacancy_id"]]
    [candidate] = for_welder["candidates"]
    assert candidate["resident_id"] == str(trainee)
    assert candidate["certified"] is True
    assert candidate["reasons"][0] == "sertifikat:pengelasan"
    assert for_welder["eligible"] == 2
    assert len(bodies) == 2  # each vacancy announced the trainee once


async def test_the_identity_comes_from_the_restricted_exchange(
    app: FastAPI, settings: Settings
) -> None:
    rid = uuid4()
    identity = reg.ResidentIdentityRecordedV1(
        resident_id=rid, version=1, recorded_at=datetime.now(UTC), nik_lookup="ab" * 32,
        is_local=True,
    )  # fmt: skip
    await publish(settings.amqp_url, identity)
    await until(lambda: _has(app, rid, "nik_lookup", "ab" * 32))
    assert (await row(app, rid))["is_local"] is True


async def test_poison_is_dead_lettered_with_its_reason_and_the_rest_flows(
    app: FastAPI, settings: Settings
) -> None:
    rid = uuid4()
    await publish(settings.amqp_url, b"{not json", routing_key=reg.ResidentVerifiedV1.TYPE,
                  message_id="p1")  # fmt: skip
    await publish(settings.amqp_url, b'{"resident_id": "x"}',
                  routing_key=reg.ResidentVerifiedV1.TYPE, message_id="p2")  # fmt: skip
    await publish(settings.amqp_url, registered(rid))
    await until(lambda: _has(app, rid, "profile_version", 1))
    letters = await until(lambda: _letters(settings.amqp_url, 2))
    reasons = {m.message_id: m.headers for m in letters}
    assert reasons["p1"]["x-kerjalokal-reason"] == "unreadable"
    assert "resident_id" in reasons["p2"]["x-kerjalokal-error"]
    assert {h["x-kerjalokal-queue"] for h in reasons.values()} == {"vacancies.resident_verified"}


async def _letters(amqp_url: str, n: int) -> list | None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue("vacancies.dlq", passive=True)
        if queue.declaration_result.message_count < n:
            return None
        found = []
        while message := await queue.get(fail=False, no_ack=True):
            found.append(message)
        return found
