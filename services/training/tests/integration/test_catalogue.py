"""Institutions, programmes and sessions over HTTP, with the real PostgreSQL and RabbitMQ."""

import hashlib
import json
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.testing.tap import EventTap
from training import projections
from training.config import Settings

from ..conftest import (
    OPERATOR,
    institution_payload,
    new_institution,
    new_programme,
    new_session,
    programme_payload,
    verified_company,
)

pytestmark = pytest.mark.integration
DESA = ["body", "address", "desa_kode"]


async def test_institution_types_are_reference_data_with_sources(
    client: httpx.AsyncClient,
) -> None:
    types = (await client.get("/institution-types", headers=OPERATOR)).json()
    kodes = {t["kode"] for t in types}
    assert {"blk_uptd", "blk_uptp", "lpk", "blk_komunitas", "upk"} <= kodes
    assert all(t["source"] for t in types)


async def test_an_institution_key_is_a_chassis_key_shown_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    lpk = await new_institution(client, type="lpk", accreditation="B")
    key = lpk["token"]
    assert key.startswith(f"kl_training_{lpk['key_id']}_")
    stored = await app.state.pool.fetchrow("SELECT * FROM api_key WHERE key_id = $1", lpk["key_id"])
    assert stored["role"] == "institution"
    scope = stored["scope"]  # training's connections decode jsonb
    assert (json.loads(scope) if isinstance(scope, str) else scope) == {
        "institution_id": lpk["institution_id"]
    }
    assert (
        await app.state.pool.fetchval(
            "SELECT jsonb_typeof(scope) FROM api_key WHERE key_id = $1", lpk["key_id"]
        )
        == "object"
    )
    assert bytes(stored["secret_sha256"]) == hashlib.sha256(key.split("_", 3)[3].encode()).digest()
    assert key.encode() not in repr(dict(stored)).encode()
    again = (await client.get(f"/institutions/{lpk['institution_id']}", headers=OPERATOR)).json()
    assert again["token"] is None
    mine = await client.get("/institutions", headers=lpk["headers"])
    assert [i["institution_id"] for i in mine.json()] == [lpk["institution_id"]]
    listed = (await client.get("/api-keys", headers=OPERATOR)).json()
    assert [k["key_id"] for k in listed if k["role"] == "institution"] == [lpk["key_id"]]
    assert all("key" not in k for k in listed)

    rotated = await client.post(f"/institutions/{lpk['institution_id']}/token", headers=OPERATOR)
    assert rotated.status_code == 200
    assert rotated.json()["key_id"] != lpk["key_id"]
    assert (await client.get("/institutions", headers=lpk["headers"])).status_code == 401
    fresh = {"Authorization": f"Bearer {rotated.json()['token']}"}
    assert (await client.get("/institutions", headers=fresh)).status_code == 200
    missing = await client.post(f"/institutions/{uuid4()}/token", headers=OPERATOR)
    assert missing.status_code == 404


async def test_operators_issue_institution_keys_only_for_existing_institutions(
    client: httpx.AsyncClient,
) -> None:
    lpk = await new_institution(client, type="lpk")

    def request(institution_id: object) -> dict:
        return {
            "role": "institution",
            "label": "LPK admin desk",
            "scope": {"institution_id": str(institution_id)},
        }

    issued = await client.post("/api-keys", json=request(lpk["institution_id"]), headers=OPERATOR)
    assert issued.status_code == 201, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['key']}"}
    mine = await client.get("/institutions", headers=headers)
    assert [i["institution_id"] for i in mine.json()] == [lpk["institution_id"]]

    unknown = await client.post("/api-keys", json=request(uuid4()), headers=OPERATOR)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "scope"]
    unscoped = await client.post(
        "/api-keys", json={"role": "institution", "label": "no scope"}, headers=OPERATOR
    )
    assert unscoped.status_code == 422
    assert unscoped.json()["detail"][0]["loc"] == ["body", "scope"]
    stranger = await client.post(
        "/api-keys",
        json={"role": "company", "label": "HRD PT X", "scope": {"company_id": str(uuid4())}},
        headers=OPERATOR,
    )
    assert stranger.status_code == 422
    assert stranger.json()["detail"][0]["loc"] == ["body", "scope"]
    by_institution = await client.post(
        "/api-keys", json=request(lpk["institution_id"]), headers=lpk["headers"]
    )
    assert by_institution.status_code == 403

    revoked = await client.delete(f"/api-keys/{issued.json()['key_id']}", headers=OPERATOR)
    assert revoked.status_code == 204
    assert (await client.get("/institutions", headers=headers)).status_code == 401


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "pabrik"}, ["body", "type"]),
        ({"address": {"street": "Jl. X", "desa_kode": "32.16.99.9999"}}, DESA),
        ({"address": {"street": "Jl. X", "desa_kode": "3216"}}, DESA),
        ({"licence_status": "maybe"}, ["body", "licence_status"]),
    ],
)
async def test_a_bad_institution_gets_a_422_naming_the_field(
    client: httpx.AsyncClient, change: dict, field: list[str]
) -> None:
    response = await client.post(
        "/institutions", json=institution_payload(**change), headers=OPERATOR
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == field


async def test_only_operators_register_institutions(client: httpx.AsyncClient) -> None:
    lpk = await new_institution(client, type="lpk")
    response = await client.post(
        "/institutions", json=institution_payload(), headers=lpk["headers"]
    )
    assert response.status_code == 403
    assert (await client.get("/institutions")).status_code == 401


async def test_programmes_and_numbered_sessions_publish_their_events(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    blk = await new_institution(client)
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        programme = await new_programme(client, blk["headers"])
        first = await new_session(client, blk["headers"], programme["programme_id"])
        second = await new_session(client, blk["headers"], programme["programme_id"], starts=30)
        await tap.wait_for("training.session_opened.v1", 2)
        [opened] = tap.bodies("training.programme_opened.v1")
    assert (first["number"], second["number"]) == (1, 2)
    assert opened["institution_id"] == blk["institution_id"]
    assert opened["institution_type"] == "blk_uptd"
    assert opened["skills"] == ["pengelasan"]
    sessions = tap.bodies("training.session_opened.v1")
    assert [s["number"] for s in sessions] == [1, 2]
    assert sessions[0]["capacity"] == 20


async def test_an_institution_acts_only_on_its_own_and_foreign_looks_like_missing(
    client: httpx.AsyncClient,
) -> None:
    ours = await new_institution(client)
    theirs = await new_institution(client, type="lpk")
    programme = await new_programme(client, ours["headers"])
    session = await new_session(client, ours["headers"], programme["programme_id"])
    missing = await client.get(f"/programmes/{uuid4()}", headers=theirs["headers"])
    foreign = await client.get(
        f"/programmes/{programme['programme_id']}", headers=theirs["headers"]
    )
    assert missing.status_code == foreign.status_code == 404
    assert missing.json() == foreign.json()
    for path in (f"/sessions/{session['session_id']}", f"/institutions/{ours['institution_id']}"):
        assert (await client.get(path, headers=theirs["headers"])).status_code == 404
    opened = await client.post(
        f"/programmes/{programme['programme_id']}/sessions",
        json={"starts_on": "2030-01-01", "ends_on": "2030-01-20"},
        headers=theirs["headers"],
    )
    assert opened.status_code == 404
    stolen = await client.post(
        "/programmes",
        json=programme_payload(institution_id=ours["institution_id"]),
        headers=theirs["headers"],
    )
    assert stolen.status_code == 422
    assert stolen.json()["detail"][0]["loc"] == ["body", "institution_id"]
    listing = await client.get("/programmes", headers=theirs["headers"])
    assert listing.json()["total"] == 0


async def test_a_suspended_institution_opens_nothing_new(client: httpx.AsyncClient) -> None:
    lpk = await new_institution(client, type="lpk")
    programme = await new_programme(client, lpk["headers"])
    await client.patch(
        f"/institutions/{lpk['institution_id']}",
        json={"licence_status": "suspended"},
        headers=OPERATOR,
    )
    refused = await client.post(
        f"/programmes/{programme['programme_id']}/sessions",
        json={"starts_on": "2030-01-01", "ends_on": "2030-01-20"},
        headers=lpk["headers"],
    )
    assert refused.status_code == 409
    assert "suspended" in refused.json()["detail"]


async def test_an_apprenticeship_needs_a_verified_partner_company(
    client: httpx.AsyncClient, apply
) -> None:
    upk = await new_institution(client, type="upk")
    company = verified_company()
    payload = programme_payload(
        kind="apprenticeship",
        title="Pemagangan Operator Produksi",
        vocation="Operator Produksi",
        kbji_code="8189.00",
        skills=["operator produksi"],
        hours=480,
        apprenticeship={
            "host_company_id": str(company.company_id),
            "agreement_number": "560/PKS/001",
            "agreement_signed_on": "2026-01-05",
            "mentor": {"name": "Pak Mentor"},
            "stipend_basis": "ump_prorata",
            "stipend_amount": 3_000_000,
        },
    )
    unknown = await client.post("/programmes", json=payload, headers=upk["headers"])
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "apprenticeship", "host_company_id"]
    await apply(projections.company_verified, company)
    opened = await client.post("/programmes", json=payload, headers=upk["headers"])
    assert opened.status_code == 201, opened.text
    assert opened.json()["apprenticeship"]["host_company_id"] == str(company.company_id)
    training_with_host = programme_payload(apprenticeship=payload["apprenticeship"])
    refused = await client.post("/programmes", json=training_with_host, headers=upk["headers"])
    assert refused.status_code == 422
