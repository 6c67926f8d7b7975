"""The data subject's rights: erasure after `registry.resident_erased.v1` against the real broker,
and the export of what training holds about a resident."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.auth.principal import OPERATOR as OPERATOR_PRINCIPAL
from kerjalokal.events import registry as reg
from kerjalokal.testing.tap import EventTap
from training import completions, enrollments, erasure, projections
from training.config import Settings

from ..conftest import (
    OPERATOR,
    TODAY,
    Apply,
    new_institution,
    new_programme,
    new_session,
    ready,
    registered,
)
from .test_consumers import hired, publish, until

pytestmark = pytest.mark.integration
ERASED = reg.ResidentErasedV1.TYPE
CONFIRMED = "training.resident_data_erased.v1"
NOTE = "Pindah ke Cikarang ikut suami, Bu Siti Aminah"


async def _enroll(client: httpx.AsyncClient, session_id: str, rid: UUID) -> dict[str, Any]:
    answer = await client.post(
        f"/sessions/{session_id}/enrollments", json={"resident_id": str(rid)}, headers=OPERATOR
    )
    assert answer.status_code in (201, 202), answer.text
    return answer.json()


async def _history(client: httpx.AsyncClient, apply: Apply, seeker) -> dict[str, Any]:
    """A resident with a withdrawal (a note), a completion (certificate numbers, attendance), a
    hire, and now back in the ready pool and on a waiting list; and other residents beside."""
    blk = await new_institution(client)
    programme = await new_programme(client, blk["headers"])
    first = await new_session(
        client, blk["headers"], programme["programme_id"], starts=-30, days=40
    )
    second = await new_session(
        client, blk["headers"], programme["programme_id"], starts=-20, days=30
    )
    full = await new_session(
        client, blk["headers"], programme["programme_id"], starts=5, capacity=1
    )
    rid, other = await seeker(), await seeker()
    await ready(client, rid)
    withdrawn = await _enroll(client, first["session_id"], rid)
    answer = await client.post(
        f"/enrollments/{withdrawn['enrollment_id']}/withdraw", json={"note": NOTE}, headers=OPERATOR
    )
    assert answer.status_code == 200, answer.text
    completed = await _enroll(client, second["session_id"], rid)
    day = (TODAY - timedelta(days=19)).isoformat()
    await client.post(
        f"/enrollments/{completed['enrollment_id']}/attendance",
        json={"records": [{"day": day, "status": "sakit"}]},
        headers=OPERATOR,
    )
    answer = await client.post(
        f"/enrollments/{completed['enrollment_id']}/complete",
        json={
            "passed": True,
            "certified_skills": [{"skill": "pengelasan", "certificate_number": "LSP-0001/2026"}],
        },
        headers=OPERATOR,
    )
    assert answer.status_code == 200, answer.text
    await apply(completions.on_hired, hired(rid, uuid4()))
    await ready(client, other)
    await _enroll(client, full["session_id"], other)
    await ready(client, rid)
    waiting = await _enroll(client, full["session_id"], rid)
    assert waiting["state"] == "waitlisted"
    return {"rid": rid, "other": other, "waiting": waiting, "completed": completed}


async def _figures(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    figures = []
    for by in ("programme", "institution"):
        answer = await client.get("/reports/outcomes", params={"by": by}, headers=OPERATOR)
        figures += [{k: v for k, v in row.items() if k != "waitlisted"} for row in answer.json()]
    return figures


async def test_erasure_removes_what_names_the_resident_keeps_the_counts_and_confirms_once(
    client: httpx.AsyncClient, app: FastAPI, apply: Apply, seeker, settings: Settings
) -> None:
    story = await _history(client, apply, seeker)
    rid = story["rid"]
    before = await _figures(client)
    assert any(row["placement_rate_90"] for row in before)
    pool = app.state.pool

    async def sent() -> bool:
        return not await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")

    await until(sent)
    kept = "SELECT count(*) FROM outbox WHERE payload LIKE '%LSP-0001%'"
    assert await pool.fetchval(kept) == 1  # the completion, as it was sent
    erased = reg.ResidentErasedV1(resident_id=rid, version=9, erased_at=datetime.now(UTC))
    event_id = str(uuid4())
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        for _ in range(2):  # redelivered
            await publish(settings.amqp_url, erased, message_id=event_id)
        [confirmation] = await tap.wait_for(CONFIRMED)
        await asyncio.sleep(1.0)
    assert len(tap.of_type(CONFIRMED)) == 1
    body = confirmation.body.decode()
    assert set(tap.bodies(CONFIRMED)[0]) >= {"resident_id", "erasure_event_id", "erased_at"}
    assert tap.bodies(CONFIRMED)[0]["erasure_event_id"] == event_id
    assert tap.bodies(CONFIRMED)[0]["resident_id"] == str(rid)
    assert NOTE not in body
    assert "LSP-0001" not in body
    [left] = [b for b in tap.bodies("training.enrollment_withdrawn.v1") if b["reason"] == "erased"]
    assert (left["enrollment_id"], left["reason"]) == (story["waiting"]["enrollment_id"], "erased")
    [pool_exit] = [
        b for b in tap.bodies("training.readiness_assessed.v1") if b["reason"] == "removed"
    ]
    assert (pool_exit["resident_id"], pool_exit["ready"]) == (str(rid), False)

    assert await pool.fetchval(kept) == 0
    row = await pool.fetchrow("SELECT * FROM seeker WHERE resident_id = $1", rid)
    assert row["erased_at"] is not None
    profile = ("birth_year", "sex", "education_level", "desa_kode", "kecamatan_kode", "is_local")
    assert all(row[key] is None for key in profile)
    assert list(row["skills"]) == []
    assert await pool.fetchval("SELECT count(*) FROM readiness WHERE resident_id = $1", rid) == 0
    rows = await pool.fetch("SELECT * FROM enrollment WHERE resident_id = $1", rid)
    assert len(rows) == 3  # kept, as counts
    assert {r["state"] for r in rows} == {"withdrawn", "completed"}
    for r in rows:
        assert r["note"] is None
        assert r["certificate_number"] is None
        assert r["letter_number"] is None
        assert all("certificate_number" not in c for c in r["certified_skills"])
    assert NOTE not in str(await pool.fetch("SELECT * FROM enrollment"))
    assert await _figures(client) == before
    waiting = await client.get(
        f"/sessions/{story['waiting']['session_id']}/enrollments",
        params={"state": "waitlisted"},
        headers=OPERATOR,
    )
    assert waiting.json() == []
    assert (await client.get(f"/seekers/{rid}", headers=OPERATOR)).status_code == 404
    assert (await client.get(f"/seekers/{story['other']}", headers=OPERATOR)).status_code == 200

    # Late registry events do not bring the profile back; the pool refuses the resident.
    late = [
        registered(rid, version=10),
        reg.ResidentStatusChangedV1(
            resident_id=rid, version=11, changed_at=datetime.now(UTC),
            previous_status="active", status="active", reason="reactivated",
        ),
    ]  # fmt: skip
    ids = [await publish(settings.amqp_url, event) for event in late]

    async def handled() -> bool:
        count = await pool.fetchval("SELECT count(*) FROM inbox WHERE event_id = ANY($1)", ids)
        return count == len(ids)

    await until(handled)
    row = await pool.fetchrow("SELECT * FROM seeker WHERE resident_id = $1", rid)
    assert row["birth_year"] is None
    assert row["status"] == "erased"
    again = await client.post(
        "/ready-pool",
        json={"resident_id": str(rid), "vocation": "Pengelasan"},
        headers=OPERATOR,
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["loc"] == ["body", "resident_id"]


async def test_an_erasure_before_anything_is_known_leaves_a_tombstone(
    app: FastAPI, apply: Apply, settings: Settings
) -> None:
    rid = uuid4()
    async with EventTap(settings.amqp_url, pattern=CONFIRMED) as tap:
        event = reg.ResidentErasedV1(resident_id=rid, version=3, erased_at=datetime.now(UTC))
        await publish(settings.amqp_url, event)
        await tap.wait_for(CONFIRMED)
    await apply(projections.seeker_registered, registered(rid, version=1))
    row = await app.state.pool.fetchrow("SELECT * FROM seeker WHERE resident_id = $1", rid)
    assert row["erased_at"] is not None
    assert row["birth_year"] is None


@pytest.mark.parametrize(
    "body",
    [b'{"resident_id": "not-a-uuid", "version": 1, "erased_at": "2027-01-01T00:00:00Z"}', b"{"],
)
async def test_an_unreadable_erasure_is_dead_lettered(
    app: FastAPI, settings: Settings, body: bytes
) -> None:
    await publish(settings.amqp_url, body, routing_key=ERASED, message_id=str(uuid4()))
    async with await aio_pika.connect(settings.amqp_url) as connection:
        channel = await connection.channel()
        queue = await channel.get_queue("training.dlq")

        async def dead():
            return await queue.get(no_ack=True, fail=False)

        letter = await until(dead)
    assert letter.headers["x-kerjalokal-queue"] == "training.resident_erased"
    assert letter.headers["x-kerjalokal-reason"] == "unreadable"
    confirmations = await app.state.pool.fetchval(
        "SELECT count(*) FROM outbox WHERE event_type = $1", CONFIRMED
    )
    assert confirmations == 0


async def test_the_export_holds_what_training_knows_and_is_audited(
    client: httpx.AsyncClient, app: FastAPI, apply: Apply, seeker
) -> None:
    story = await _history(client, apply, seeker)
    rid = story["rid"]
    purpose = "Permintaan akses data warga no. 2026/17"
    answer = await client.get(
        f"/residents/{rid}/export", params={"purpose": purpose}, headers=OPERATOR
    )
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert (export["service"], export["resident_id"]) == ("training", str(rid))
    assert export["exported_at"]
    data = export["data"]
    assert data["seeker"]["birth_year"] == 2000
    assert data["readiness"]["state"] == "ready"
    assert len(data["enrollments"]) == 3
    assert NOTE in {e["note"] for e in data["enrollments"]}
    numbers = {
        c.get("certificate_number") for e in data["enrollments"] for c in e["certified_skills"]
    }
    assert "LSP-0001/2026" in numbers
    assert any(e["attendance"] for e in data["enrollments"])
    assert len(data["hires"]) == 1
    [access] = await app.state.pool.fetch(
        "SELECT * FROM personal_data_access WHERE resident_id = $1", rid
    )
    assert (access["principal"], access["purpose"]) == ("operator:disnaker", purpose)

    unknown = await client.get(
        f"/residents/{uuid4()}/export", params={"purpose": purpose}, headers=OPERATOR
    )
    assert unknown.status_code == 404
    without = await client.get(f"/residents/{rid}/export", headers=OPERATOR)
    assert without.status_code == 422
    assert without.json()["detail"][0]["loc"] == ["query", "purpose"]
    audited = await app.state.pool.fetchval(
        "SELECT count(*) FROM personal_data_access WHERE resident_id = $1", rid
    )
    assert audited == 1


async def test_an_enrollment_racing_an_erasure_finishes_first_and_is_then_withdrawn(
    client: httpx.AsyncClient, app: FastAPI, seeker
) -> None:
    blk = await new_institution(client)
    programme = await new_programme(client, blk["headers"])
    full = await new_session(client, blk["headers"], programme["programme_id"], capacity=1)
    taken, rid = await seeker(), await seeker()
    for resident in (taken, rid):
        await ready(client, resident)
    await _enroll(client, full["session_id"], taken)
    erased = reg.ResidentErasedV1(resident_id=rid, version=5, erased_at=datetime.now(UTC))
    async with app.state.pool.acquire() as first, app.state.pool.acquire() as second:
        enrolling = first.transaction()
        await enrolling.start()
        row = await enrollments.enroll(
            first, session_id=UUID(full["session_id"]), resident_id=rid, actor=OPERATOR_PRINCIPAL,
            now=datetime.now(UTC),
        )  # fmt: skip
        assert row["state"] == "waitlisted"

        async def erase() -> None:
            async with second.transaction():
                await erasure.resident_erased(
                    second, event=erased, event_id=uuid4(), now=datetime.now(UTC)
                )

        erasing = asyncio.create_task(erase())
        await asyncio.sleep(0.5)
        assert not erasing.done()  # waits for the enrollment's locks
        await enrolling.commit()
        await asyncio.wait_for(erasing, timeout=10)
    state = await app.state.pool.fetchrow(
        "SELECT state, end_reason FROM enrollment WHERE enrollment_id = $1", row["enrollment_id"]
    )
    assert tuple(state) == ("withdrawn", "erased")
    again = await client.post(
        f"/sessions/{full['session_id']}/enrollments",
        json={"resident_id": str(rid)},
        headers=OPERATOR,
    )
    assert again.status_code == 422
