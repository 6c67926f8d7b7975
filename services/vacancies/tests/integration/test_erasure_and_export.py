"""A resident's rights over what vacancies holds: erasure on `registry.resident_erased.v1` (real
broker) and the export for the operator."""

import asyncio
import json
import logging
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx
from fastapi import FastAPI

from kerjalokal.events import registry as reg
from kerjalokal.testing.tap import EventTap
from vacancies.config import Settings

from ..conftest import OPERATOR, add_seeker, company, today, vacancy
from .test_consumers import _consumed, _letters, publish, registered, until

ERASED = "vacancies.resident_data_erased.v1"
LOOKUP = "cd" * 32


async def _history(client: httpx.AsyncClient, app: FastAPI) -> tuple[UUID, dict]:
    """A seeker with a refused application (a reason about them), a hire, and a match."""
    acme = await company(client)
    rid = await add_seeker(app, nik_lookup=LOOKUP)
    first = await vacancy(client, acme["hr"], title="Operator Produksi")
    second = await vacancy(client, acme["hr"])
    applied = []
    for target in (first, second):
        made = await client.post(
            "/applications",
            json={"vacancy_id": target["vacancy_id"], "resident_id": str(rid)},
            headers=OPERATOR,
        )
        assert made.status_code == 201, made.text
        applied.append(made.json()["application_id"])
    refused = await client.post(
        f"/applications/{applied[0]}/transitions",
        json={"status": "refused", "reason": "Tidak lulus tes buta warna", "reason_shared": True},
        headers=acme["hr"],
    )
    assert refused.status_code == 200, refused.text
    for status in ("screening", "interview"):
        moved = await client.post(
            f"/applications/{applied[1]}/transitions", json={"status": status}, headers=acme["hr"]
        )
        assert moved.status_code == 200, moved.text
    hired = await client.post(
        f"/applications/{applied[1]}/transitions",
        json={"status": "hired", "start_date": today().isoformat(), "contract_type": "pkwt"},
        headers=acme["hr"],
    )
    assert hired.status_code == 200, hired.text
    return rid, {"company": acme, "applications": applied}


async def _figures(client: httpx.AsyncClient) -> dict:
    answer = await client.get("/figures", headers=OPERATOR)
    assert answer.status_code == 200
    return answer.json()


def erased_event(rid: UUID) -> reg.ResidentErasedV1:
    return reg.ResidentErasedV1(resident_id=rid, version=9, erased_at=datetime.now(UTC))


async def test_erasure_forgets_the_resident_keeps_the_figures_and_confirms_once(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, caplog
) -> None:
    caplog.set_level(logging.INFO)
    rid, _ = await _history(client, app)
    bystander = await add_seeker(app)
    before = await _figures(client)
    assert before["hires"] == 1
    assert rid in app.state.index
    event_id = str(uuid4())
    async with EventTap(settings.amqp_url, pattern=ERASED) as tap:
        await publish(settings.amqp_url, erased_event(rid), message_id=event_id)
        await publish(settings.amqp_url, erased_event(rid), message_id=event_id)  # redelivered
        [confirmation] = await tap.wait_for(ERASED)
        await until(lambda: _consumed(app, "vacancies.resident_erased"))
        await asyncio.sleep(1.0)
        assert len(tap.of_type(ERASED)) == 1
    body = json.loads(confirmation.body)
    assert (body["resident_id"], body["erasure_event_id"]) == (str(rid), event_id)
    pool = app.state.pool
    assert await pool.fetchval("SELECT count(*) FROM seeker WHERE resident_id = $1", rid) == 0
    assert await pool.fetchval("SELECT count(*) FROM seeker WHERE nik_lookup = $1", LOOKUP) == 0
    assert rid not in app.state.index
    assert bystander in app.state.index
    reasons = await pool.fetch(
        "SELECT a.reason, t.reason AS step_reason, t.actor FROM application a"
        " JOIN application_transition t USING (application_id) WHERE a.resident_id = $1",
        rid,
    )
    assert reasons
    assert {(r["reason"], r["step_reason"]) for r in reasons} == {(None, None)}
    assert {r["actor"] for r in reasons} <= {"operator", "company", "village_admin", "service"}
    hire = await pool.fetchrow("SELECT * FROM hire WHERE resident_id = $1", rid)
    assert hire["desa_kode"] is None
    assert hire["recorded_by"] == "company"
    outbox = await pool.fetch(
        "SELECT payload FROM outbox WHERE published_at IS NOT NULL AND strpos(payload, $1) > 0"
        " AND event_type <> $2",
        str(rid),
        ERASED,
    )
    assert outbox == []
    assert await _figures(client) == before  # past months' figures unchanged

    # A late event about the erased resident does not bring the projection back.
    await publish(settings.amqp_url, registered(rid))
    await until(lambda: _consumed(app, "vacancies.registered"))
    assert await pool.fetchval("SELECT count(*) FROM seeker WHERE resident_id = $1", rid) == 0
    assert rid not in app.state.index
    identity = reg.ResidentIdentityRecordedV1(
        resident_id=rid, version=10, recorded_at=datetime.now(UTC), nik_lookup=LOOKUP,
        is_local=True,
    )  # fmt: skip
    await publish(settings.amqp_url, identity)
    await until(lambda: _consumed(app, "vacancies.identity_recorded"))
    assert await pool.fetchval("SELECT count(*) FROM seeker WHERE nik_lookup = $1", LOOKUP) == 0

    # What is left is only counts under the random id.
    export = await client.get(f"/residents/{rid}/export", params={"purpose": "cek penghapusan"},
                              headers=OPERATOR)  # fmt: skip
    assert export.status_code == 200
    data = export.json()["data"]
    assert data["projection"] is None
    assert data["matches"] == []
    assert data["erasure"]["erasure_event_id"] == event_id
    assert all(a["reason"] is None for a in data["applications"])
    assert [h["desa_kode"] for h in data["hires"]] == [None]
    # No log line carries the NIK hash or a note about the resident.
    assert caplog.records
    assert LOOKUP not in caplog.text
    assert "buta warna" not in caplog.text


async def test_open_applications_of_an_erased_resident_are_withdrawn(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    acme = await company(client)
    rid = await add_seeker(app)
    public = await vacancy(client, acme["hr"])
    made = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(rid)},
        headers=OPERATOR,
    )
    async with EventTap(settings.amqp_url, pattern=ERASED) as tap:
        await publish(settings.amqp_url, erased_event(rid))
        await tap.wait_for(ERASED)
    answer = await client.get(f"/applications/{made.json()['application_id']}", headers=OPERATOR)
    assert answer.json()["status"] == "withdrawn"
    again = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(rid)},
        headers=OPERATOR,
    )
    assert again.status_code == 422  # unknown job seeker now


async def test_a_bad_erasure_message_is_dead_lettered_with_its_reason(
    app: FastAPI, settings: Settings
) -> None:
    await publish(settings.amqp_url, b'{"resident_id": "x"}',
                  routing_key=reg.ResidentErasedV1.TYPE, message_id="bad-1")  # fmt: skip
    await publish(settings.amqp_url, erased_event(uuid4()), message_id="not-a-uuid")
    letters = await until(lambda: _letters(settings.amqp_url, 2))
    reasons = {m.message_id: m.headers for m in letters}
    assert "resident_id" in reasons["bad-1"]["x-kerjalokal-error"]
    assert "UUID" in reasons["not-a-uuid"]["x-kerjalokal-error"]
    assert {h["x-kerjalokal-queue"] for h in reasons.values()} == {"vacancies.resident_erased"}


async def test_the_export_holds_what_vacancies_knows_and_is_audited(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    rid, made = await _history(client, app)
    answer = await client.get(
        f"/residents/{rid}/export", params={"purpose": "permintaan warga"}, headers=OPERATOR
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["service"], body["resident_id"]) == ("vacancies", str(rid))
    assert body["exported_at"]
    data = body["data"]
    assert data["projection"]["desa_kode"] == "32.16.09.2004"
    assert data["projection"]["identity_known"] is True
    assert LOOKUP not in answer.text  # the NIK hash is held, never handed out
    assert {a["application_id"] for a in data["applications"]} == set(made["applications"])
    refused = next(a for a in data["applications"] if a["status"] == "refused")
    assert refused["reason"] == "Tidak lulus tes buta warna"
    assert [t["to_status"] for t in refused["transitions"]] == ["submitted", "refused"]
    assert len(data["hires"]) == 1
    assert len(data["matches"]) >= 1
    audit = await app.state.pool.fetch(
        "SELECT principal, role, purpose FROM personal_data_access WHERE resident_id = $1", rid
    )
    assert [(r["principal"], r["role"], r["purpose"]) for r in audit] == [
        ("operator:disnaker", "operator", "permintaan warga")
    ]
    unknown = await client.get(
        f"/residents/{uuid4()}/export", params={"purpose": "permintaan warga"}, headers=OPERATOR
    )
    assert unknown.status_code == 404
    no_purpose = await client.get(f"/residents/{rid}/export", headers=OPERATOR)
    assert no_purpose.status_code == 422
    assert no_purpose.json()["detail"][0]["loc"] == ["query", "purpose"]
