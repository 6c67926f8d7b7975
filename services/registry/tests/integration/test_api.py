"""The registry over HTTP against the real PostgreSQL and RabbitMQ."""

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import date, timedelta

import httpx
import pytest
from aio_pika.abc import AbstractIncomingMessage
from fastapi import FastAPI

from kerjalokal.testing.factories import nik, registration
from kerjalokal.testing.tap import EventTap
from registry.config import Settings

from ..conftest import OPERATOR, WALUYA

pytestmark = pytest.mark.integration
REGISTERED = "registry.resident_registered.v1"


async def register(client: httpx.AsyncClient, headers=OPERATOR, **overrides) -> dict:
    response = await client.post("/residents", json=registration(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def errors_at(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


async def test_registration_publishes_an_event_without_personal_data(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    payload = registration()
    async with (
        EventTap(settings.amqp_url, pattern="registry.#") as public,
        EventTap(settings.amqp_url, exchange="kerjalokal.restricted") as restricted,
    ):
        response = await client.post("/residents", json=payload, headers=OPERATOR)
        assert response.status_code == 201, response.text
        resident = response.json()
        [message] = await public.wait_for(REGISTERED)
        [contact] = await restricted.wait_for("registry.resident_contact_changed.v1")
    assert message.headers["ce-specversion"] == "1.0"
    assert message.headers["ce-type"] == REGISTERED
    assert message.headers["ce-source"] == "/kerjalokal/registry"
    assert message.headers["ce-subject"] == resident["resident_id"]
    assert message.message_id == message.headers["ce-id"]
    assert message.content_type == "application/json"
    assert message.delivery_mode == 2
    body = json.loads(message.body)
    assert body["resident_id"] == resident["resident_id"]
    assert body["profile"]["domicile"]["is_local"] is True
    wire = message.body.decode() + json.dumps(message.headers, default=str)
    phone = resident["personal"]["phone"]
    for secret in (payload["nik"], payload["full_name"], payload["email"], phone, phone[3:],
                   payload["address"]["street"]):  # fmt: skip
        assert secret not in wire
    assert [m.routing_key for m in public.messages] == [REGISTERED]
    assert json.loads(contact.body)["phone"] == phone


async def test_registration_records_the_nik_lookup_for_vacancies_on_the_restricted_exchange(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    payload = registration()
    identity_type = "registry.resident_identity_recorded.v1"
    async with (
        EventTap(settings.amqp_url, pattern="#") as public,
        EventTap(settings.amqp_url, exchange="kerjalokal.restricted", pattern="#") as restricted,
    ):
        response = await client.post("/residents", json=payload, headers=OPERATOR)
        assert response.status_code == 201, response.text
        [identity] = await restricted.wait_for(identity_type)
        await public.wait_for(REGISTERED)
    expected = hmac.new(
        base64.b64decode(settings.nik_lookup_key.get_secret_value()),
        payload["nik"].encode(),
        hashlib.sha256,
    ).hexdigest()
    body = json.loads(identity.body)
    assert body["resident_id"] == response.json()["resident_id"]
    assert body["nik_lookup"] == expected
    assert body["is_local"] is True
    assert body["version"] == 1
    assert identity.headers["ce-subject"] == body["resident_id"]
    assert payload["nik"] not in identity.body.decode()
    assert public.of_type(identity_type) == []


async def test_operators_see_personal_data_with_a_masked_nik_unless_asked(
    client: httpx.AsyncClient,
) -> None:
    payload = registration()
    resident = await register(client, **payload)
    assert resident["personal"]["nik"] == payload["nik"][:4] + "\u2022" * 8 + payload["nik"][-4:]
    assert resident["personal"]["full_name"] == payload["full_name"]
    revealed = await client.get(
        f"/residents/{resident['resident_id']}",
        params={"reveal": "nik", "purpose": "pencocokan KTP"},
        headers=OPERATOR,
    )
    assert revealed.json()["personal"]["nik"] == payload["nik"]


async def test_a_second_registration_of_a_nik_points_to_the_first(
    client: httpx.AsyncClient,
) -> None:
    first = await register(client)
    again = registration(
        nik=(
            await client.get(
                f"/residents/{first['resident_id']}?reveal=nik&purpose=test", headers=OPERATOR
            )
        ).json()["personal"]["nik"]
    )
    response = await client.post("/residents", json=again, headers=OPERATOR)
    assert response.status_code == 409
    assert response.json()["existing_resident_id"] == first["resident_id"]
    assert response.headers["location"] == f"/residents/{first['resident_id']}"


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"nik": "32160145080100"}, ["body", "nik"]),
        ({"nik": "3216010013010001"}, ["body", "nik"]),
        ({"nik": "9916014508010003"}, ["body", "nik"]),
        ({"phone": "021-8901234"}, ["body", "phone"]),
        (
            {"address": {"street": "Jl. A", "desa_kode": "32.16.09.2999"}},
            ["body", "address", "desa_kode"],
        ),
        (
            {"address": {"street": "Jl. A", "desa_kode": "32.16.01.2007"}},
            ["body", "address", "desa_kode"],
        ),
        ({"education": {"level": 5, "band": "S1"}}, ["body", "education", "band"]),
        ({"education": {"level": 11}}, ["body", "education", "level"]),
        ({"sex": "X"}, ["body", "sex"]),
        ({"birth_date": "2030-01-01"}, ["body", "birth_date"]),
        ({"verified": True}, ["body", "verified"]),
        ({"occupation_interests": ["operator"]}, ["body", "occupation_interests", 0]),
    ],
)
async def test_bad_input_is_refused_naming_the_field(
    client: httpx.AsyncClient, overrides: dict, loc: list
) -> None:
    response = await client.post("/residents", json=registration(**overrides), headers=OPERATOR)
    assert loc in errors_at(response)
    assert response.json()["detail"][0]["msg"]


async def test_the_retired_desa_code_names_its_replacement(client: httpx.AsyncClient) -> None:
    address = {"street": "Jl. A", "desa_kode": "32.16.01.2007"}
    response = await client.post("/residents", json=registration(address=address), headers=OPERATOR)
    assert "32.16.01.1007" in response.json()["detail"][0]["msg"]


async def test_nik_mismatches_are_warnings_not_refusals(client: httpx.AsyncClient) -> None:
    resident = await register(
        client, nik=nik(sex="L", birth_date=date(1999, 3, 9)), sex="P", birth_date="1999-03-10"
    )
    assert len(resident["warnings"]) == 2
    assert resident["status"] == "registered"


async def test_locality_comes_from_the_ktp_address_not_the_nik(client: httpx.AsyncClient) -> None:
    garut_nik_in_cikarang = await register(
        client, nik=nik(region="320501"), address={"street": "Jl. B", "desa_kode": "32.16.09.2004"}
    )
    bekasi_nik_in_kota_bekasi = await register(
        client, nik=nik(region="321609"), address={"street": "Jl. C", "desa_kode": "32.75.01.1001"}
    )
    assert garut_nik_in_cikarang["domicile"]["is_local"] is True
    assert bekasi_nik_in_kota_bekasi["domicile"]["is_local"] is False
    assert bekasi_nik_in_kota_bekasi["domicile"]["kabkota_kode"] == "32.75"


async def test_a_village_admin_registers_and_sees_only_their_own_residents(
    client: httpx.AsyncClient, waluya_admin: dict[str, str]
) -> None:
    own = await register(
        client, headers=waluya_admin, address={"street": "Jl. D", "desa_kode": WALUYA}
    )
    assert own["registered_by_kind"] == "village_admin"
    assert own["personal"]["nik"].count("\u2022") == 8  # their own resident, NIK masked
    assert own["disability"] is None
    other_village = registration(address={"street": "Jl. E", "desa_kode": "32.16.19.2004"})
    response = await client.post("/residents", json=other_village, headers=waluya_admin)
    assert ["body", "address", "desa_kode"] in errors_at(response)
    foreign = await register(client, address={"street": "Jl. F", "desa_kode": "32.16.19.2004"})
    hidden = await client.get(f"/residents/{foreign['resident_id']}", headers=waluya_admin)
    missing = await client.get(
        "/residents/00000000-0000-4000-8000-000000000000", headers=waluya_admin
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    listing = (await client.get("/residents", headers=waluya_admin)).json()
    assert {item["domicile"]["desa_kode"] for item in listing["items"]} == {WALUYA}


async def test_writes_need_a_token_and_verification_needs_an_operator(
    client: httpx.AsyncClient, waluya_admin: dict[str, str]
) -> None:
    assert (await client.post("/residents", json=registration())).status_code == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.post("/residents", json=registration(), headers=wrong)).status_code == 401
    resident = await register(
        client, headers=waluya_admin, address={"street": "x", "desa_kode": WALUYA}
    )
    response = await client.post(
        f"/residents/{resident['resident_id']}/verify", json={"officer": "A"}, headers=waluya_admin
    )
    assert response.status_code == 403


async def test_verification_issues_the_ak1_card_to_adults(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    resident = await register(client, birth_date="1998-01-01")
    async with EventTap(settings.amqp_url, pattern="registry.#") as tap:
        response = await client.post(
            f"/residents/{resident['resident_id']}/verify",
            json={"officer": "Budi Santoso"},
            headers=OPERATOR,
        )
        [verified] = await tap.wait_for("registry.resident_verified.v1")
        [changed] = await tap.wait_for("registry.resident_status_changed.v1")
    card = response.json()["ak1"]
    assert response.json()["status"] == "active"
    assert card["number"].startswith("AK1-3216-")
    today = date.today()
    assert card["valid_until"] == today.replace(year=today.year + 2).isoformat()
    assert json.loads(verified.body)["ak1_issued"] is True
    assert json.loads(changed.body)["status"] == "active"
    page = await client.get(f"/residents/{resident['resident_id']}/ak1", headers=OPERATOR)
    assert page.status_code == 200
    assert card["number"] in page.text
    assert "Budi Santoso" in page.text
    again = await client.post(
        f"/residents/{resident['resident_id']}/verify", json={"officer": "B"}, headers=OPERATOR
    )
    assert again.status_code == 409


async def test_a_seeker_under_18_is_verified_but_refused_the_card_with_the_reason(
    client: httpx.AsyncClient,
) -> None:
    today = date.today()
    born = today.replace(year=today.year - 17)
    resident = await register(client, birth_date=born.isoformat(), nik=nik(birth_date=born))
    verified = await client.post(
        f"/residents/{resident['resident_id']}/verify", json={"officer": "A"}, headers=OPERATOR
    )
    assert verified.json()["status"] == "verified"
    assert verified.json()["ak1"]["number"] is None
    assert "18" in verified.json()["ak1"]["refusal_reason"]
    card = await client.post(f"/residents/{resident['resident_id']}/ak1", headers=OPERATOR)
    assert card.status_code == 409
    assert "18" in card.json()["detail"]
    assert (
        await client.get(f"/residents/{resident['resident_id']}/ak1", headers=OPERATOR)
    ).status_code == 409


async def test_a_missed_report_lapses_the_seeker_and_reporting_in_reactivates(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    from registry import services

    resident = await register(client)
    rid = resident["resident_id"]
    await client.post(f"/residents/{rid}/verify", json={"officer": "A"}, headers=OPERATOR)
    await app.state.pool.execute(
        "UPDATE resident SET ak1_next_report_due = $2 WHERE resident_id = $1",
        __import__("uuid").UUID(rid), date.today() - timedelta(days=1),
    )  # fmt: skip
    async with EventTap(settings.amqp_url, pattern="registry.resident_status_changed.v1") as tap:
        async with app.state.pool.acquire() as conn:
            moved = await services.sweep(
                conn, now=__import__("datetime").datetime.now(__import__("datetime").UTC)
            )
            assert moved >= 1  # other tests' residents may share the database
        assert (await client.get(f"/residents/{rid}", headers=OPERATOR)).json()[
            "status"
        ] == "lapsed"
        reported = await client.post(f"/residents/{rid}/report-in", headers=OPERATOR)

        def reasons() -> list[str]:  # the verification's own event may arrive in the tap too
            return [
                body["reason"]
                for body in tap.bodies("registry.resident_status_changed.v1")
                if body["resident_id"] == rid and body["reason"] != "verified"
            ]

        async with asyncio.timeout(15):
            while len(reasons()) < 2:
                await asyncio.sleep(0.1)
    assert reported.json()["status"] == "active"
    assert reported.json()["ak1"]["next_report_due"] > date.today().isoformat()
    assert reasons() == ["report_overdue", "reported_in"]


async def test_search_filters_and_pages(client: httpx.AsyncClient) -> None:
    for _ in range(3):
        await register(
            client, skills=["menjahit"], address={"street": "x", "desa_kode": "32.16.20.2001"}
        )
    await register(
        client,
        skills=["pengelasan"],
        education={"level": 8, "major": "Teknik Industri"},
        address={"street": "y", "desa_kode": "32.16.09.2004"},
    )
    page = (await client.get("/residents?skill=menjahit&limit=2", headers=OPERATOR)).json()
    assert page["total"] == 3
    assert len(page["items"]) == 2
    rest = (await client.get("/residents?skill=menjahit&limit=2&offset=2", headers=OPERATOR)).json()
    assert len(rest["items"]) == 1
    by_kecamatan = (await client.get("/residents?kecamatan=32.16.20", headers=OPERATOR)).json()
    assert by_kecamatan["total"] == 3
    assert (await client.get("/residents?min_education=8", headers=OPERATOR)).json()["total"] == 1
    assert (await client.get("/residents?status=registered&local=true", headers=OPERATOR)).json()[
        "total"
    ] == 4
    assert (await client.get("/residents?status=nonsense", headers=OPERATOR)).status_code == 422


async def test_profile_and_domicile_changes_publish_events(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    resident = await register(client)
    rid = resident["resident_id"]
    async with (
        EventTap(settings.amqp_url, pattern="registry.resident_profile_updated.v1") as tap,
        EventTap(settings.amqp_url, exchange="kerjalokal.restricted") as restricted,
    ):
        updated = await client.patch(
            f"/residents/{rid}",
            json={"skills": ["Las Listrik", "bubut"], "phone": "0813 1111 2222"},
            headers=OPERATOR,
        )
        assert updated.status_code == 200, updated.text
        moved = await client.post(
            f"/residents/{rid}/domicile",
            json={"address": {"street": "Jl. Baru", "desa_kode": "32.75.01.1001"},
                  "evidence": "ktp", "effective_on": date.today().isoformat()},
            headers=OPERATOR,
        )  # fmt: skip
        messages = await tap.wait_for("registry.resident_profile_updated.v1", 2)
        # the registration's own contact event may still be on its way: wait for the new one
        async with asyncio.timeout(15):
            while _with_phone(restricted, "+6281311112222") is None:
                await asyncio.sleep(0.1)
    assert updated.json()["skills"] == ["bubut", "las listrik"]
    assert moved.json()["domicile"]["is_local"] is False
    bodies = [json.loads(m.body) for m in messages]
    assert bodies[0]["changed"] == ["skills"]
    assert bodies[0]["profile"]["skills"] == [
        "bubut",
        "las listrik",
    ]
    assert bodies[1]["changed"] == ["domicile"]
    assert bodies[1]["profile"]["domicile"]["is_local"] is False
    assert bodies[1]["version"] > bodies[0]["version"]
    assert (
        await client.patch(f"/residents/{rid}", json={"status": "placed"}, headers=OPERATOR)
    ).status_code == 422


def _with_phone(tap: EventTap, phone: str) -> AbstractIncomingMessage | None:
    return next(
        (
            m
            for m in tap.of_type("registry.resident_contact_changed.v1")
            if json.loads(m.body)["phone"] == phone
        ),
        None,
    )


async def test_the_nik_is_encrypted_and_found_by_a_keyed_hmac(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    payload = registration()
    await register(client, **payload)
    row = await app.state.pool.fetchrow("SELECT nik_hmac, personal FROM resident")
    assert payload["nik"].encode() not in row["personal"]
    assert payload["full_name"].encode() not in row["personal"]
    assert row["nik_hmac"] != hashlib.sha256(payload["nik"].encode()).digest()
    dump = json.dumps(
        [dict(r) for r in await app.state.pool.fetch("SELECT * FROM resident")], default=str
    )
    assert payload["nik"] not in dump
    assert payload["full_name"] not in dump


async def test_operations_endpoints(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health")).json() == {"status": "ok"}
    assert (await client.get("/ready")).json() == {"database": "ok", "broker": "ok"}
    metrics = await client.get("/metrics")
    assert "http_request" in metrics.text
    assert "kerjalokal_outbox_published_total" in metrics.text
    assert "faststream_received_messages" in metrics.text
    asyncapi = (await client.get("/asyncapi.json")).json()
    assert any("resident_hired" in name for name in asyncapi["channels"])
    assert "registry.resident_registered.v1" in asyncapi["channels"]
    assert (await client.get("/asyncapi/")).status_code == 200
    assert (await client.post("/asyncapi/try", json={})).status_code in (404, 405)
    openapi = (await client.get("/openapi.json")).json()
    assert "/residents" in openapi["paths"]


async def test_erasure_removes_personal_data_tells_every_service_and_frees_the_nik(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, waluya_admin: dict[str, str]
) -> None:
    payload = registration(
        birth_date="1998-05-17", address={"street": "Jl. Kenanga 3", "desa_kode": WALUYA}
    )
    rid = (await register(client, **payload))["resident_id"]
    verify = await client.post(f"/residents/{rid}/verify", json={"officer": "A"}, headers=OPERATOR)
    card = verify.json()["ak1"]["number"]
    nik_hmac = app.state.cipher.nik_lookup(payload["nik"])
    partner_hash = app.state.cipher.partner_lookup(payload["nik"])
    await _published(app)
    url = f"/residents/{rid}/erasure"
    assert ["body", "reason"] in errors_at(await client.post(url, json={}, headers=OPERATOR))
    assert (await client.post(url, json={"reason": "surat 1"})).status_code == 401
    refused = await client.post(url, json={"reason": "surat 1"}, headers=waluya_admin)
    assert refused.status_code == 403
    async with EventTap(settings.amqp_url, pattern="registry.resident_erased.v1") as tap:
        erased = await client.post(url, json={"reason": "surat 12/2027"}, headers=OPERATOR)
        assert erased.status_code == 200, erased.text
        [event] = await tap.wait_for("registry.resident_erased.v1")
        again = await client.post(url, json={"reason": "surat 12/2027"}, headers=OPERATOR)
        await asyncio.sleep(1.0)
    assert again.status_code == 200
    assert again.json()["erased_at"] == erased.json()["erased_at"]
    assert len(tap.of_type("registry.resident_erased.v1")) == 1  # the second changed nothing
    assert event.routing_key == "registry.resident_erased.v1"
    body = json.loads(event.body)
    assert body["resident_id"] == rid
    assert set(body) == {"resident_id", "version", "erased_at"}
    assert await app.state.pool.fetchval(
        "SELECT count(*) FROM resident_history WHERE action = 'erased'"
    ) == 1  # fmt: skip

    pool = app.state.pool
    row = await pool.fetchrow("SELECT * FROM resident WHERE resident_id = $1::uuid", rid)
    assert (row["nik_hmac"], row["personal"], row["ak1_number"]) == (None, None, None)
    assert row["birth_date"] == date(1998, 1, 1)
    assert (row["desa_kode"], row["sex"], row["status"]) == (WALUYA, payload["sex"], "active")
    assert await pool.fetchval("SELECT count(*) FROM resident WHERE nik_hmac = $1", nik_hmac) == 0
    phone_in_outbox = "SELECT count(*) FROM outbox WHERE payload LIKE '%' || $1 || '%'"
    for secret in (payload["phone"], partner_hash, payload["full_name"]):
        assert await pool.fetchval(phone_in_outbox, secret) == 0
    dump = json.dumps(
        [dict(r) for table in ("resident", "resident_history", "outbox", "import_job")
         for r in await pool.fetch(f"SELECT * FROM {table}")],
        default=str,
    )  # fmt: skip
    for secret in (payload["nik"], payload["full_name"], payload["phone"], "Kenanga", card):
        assert secret not in dump
    actions = await pool.fetch(
        "SELECT action FROM resident_history WHERE resident_id = $1::uuid ORDER BY id", rid
    )
    assert [a["action"] for a in actions] == ["registered", "verified", "erased"]
    assert (await client.get(f"/residents/{rid}", headers=OPERATOR)).status_code == 404
    listed = (await client.get(f"/residents?desa={WALUYA}&limit=100", headers=OPERATOR)).json()
    assert rid not in {item["resident_id"] for item in listed["items"]}
    unknown = await client.post(
        "/residents/00000000-0000-4000-8000-000000000000/erasure",
        json={"reason": "x"}, headers=OPERATOR,
    )  # fmt: skip
    assert unknown.status_code == 404
    assert (await client.post("/residents", json=payload, headers=OPERATOR)).status_code == 201


async def _published(app: FastAPI) -> None:
    """Wait until the relay sent what is staged, so erasure must reach sent rows too."""
    async with asyncio.timeout(15):
        while await app.state.pool.fetchval(
            "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        ):
            await asyncio.sleep(0.1)
