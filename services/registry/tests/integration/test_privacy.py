"""Personal data over HTTP: the NIK masked unless asked for with a purpose, each read in clear and
each export in the audit log, API keys issued, listed, revoked and expiring, fields a role may not
set refused by name, security headers on the AK/1 page, and no personal data in any log record."""

import logging
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.testing.factories import registration

from ..conftest import CIKARANG_UTARA, OPERATOR, SUKADAMI, WALUYA, issue_key

pytestmark = pytest.mark.integration
BULLET = "\u2022"


async def register(client: httpx.AsyncClient, headers=OPERATOR, **overrides) -> dict:
    response = await client.post("/residents", json=registration(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def locs(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


async def accesses(app: FastAPI, resident_id: str) -> list[dict]:
    async with app.state.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT principal, role, resident_id::text, fields, purpose FROM personal_data_access"
            " WHERE resident_id = $1::uuid ORDER BY access_id",
            resident_id,
        )
    return [dict(row) for row in rows]


async def test_the_nik_is_masked_in_every_answer(
    client: httpx.AsyncClient, waluya_admin: dict[str, str]
) -> None:
    payload = registration(address={"street": "Jl. Melati 2", "desa_kode": WALUYA})
    masked = payload["nik"][:4] + BULLET * 8 + payload["nik"][-4:]
    created = await client.post("/residents", json=payload, headers=OPERATOR)
    rid = created.json()["resident_id"]
    answers = [
        created,
        await client.get(f"/residents/{rid}", headers=OPERATOR),
        await client.get(f"/residents/{rid}", headers=waluya_admin),
        await client.get(f"/residents?desa={WALUYA}", headers=OPERATOR),
        await client.get("/residents", headers=waluya_admin),
        await client.patch(f"/residents/{rid}", json={"skills": ["las"]}, headers=waluya_admin),
        await client.post(f"/residents/{rid}/verify", json={"officer": "A"}, headers=OPERATOR),
        await client.post(f"/residents/{rid}/report-in", headers=waluya_admin),
        await client.get(f"/residents/{rid}/history", headers=OPERATOR),
    ]
    for answer in answers:
        assert answer.status_code in (200, 201), answer.text
        assert payload["nik"] not in answer.text
    assert created.json()["personal"]["nik"] == masked
    assert answers[2].json()["personal"]["nik"] == masked
    assert answers[2].json()["personal"]["phone"]  # the own admin reads the contact details


async def test_revealing_the_nik_needs_a_purpose_and_is_audited(
    client: httpx.AsyncClient, app: FastAPI, waluya_admin: dict[str, str]
) -> None:
    payload = registration(address={"street": "Jl. Mawar 1", "desa_kode": WALUYA})
    rid = (await client.post("/residents", json=payload, headers=OPERATOR)).json()["resident_id"]
    url = f"/residents/{rid}"
    assert ["query", "purpose"] in locs(await client.get(f"{url}?reveal=nik", headers=OPERATOR))
    assert ["query", "reveal"] in locs(
        await client.get(f"{url}?reveal=phone&purpose=x12", headers=OPERATOR)
    )
    assert ["query", "reveal_nik"] in locs(
        await client.get(f"{url}?reveal_nik=true", headers=OPERATOR)
    )
    assert await accesses(app, rid) == []  # refused reads leave no row, and reveal nothing
    revealed = await client.get(
        url, params={"reveal": "nik", "purpose": "pencocokan KTP di loket"}, headers=OPERATOR
    )
    assert revealed.json()["personal"]["nik"] == payload["nik"]
    by_admin = await client.get(
        url, params={"reveal": "nik", "purpose": "surat pengantar desa"}, headers=waluya_admin
    )
    assert by_admin.json()["personal"]["nik"] == payload["nik"]
    [first, second] = await accesses(app, rid)
    assert first == {
        "principal": "operator:disnaker",
        "role": "operator",
        "resident_id": rid,
        "fields": ["nik"],
        "purpose": "pencocokan KTP di loket",
    }
    assert second["role"] == "village_admin"
    assert re.fullmatch(r"village_admin:Admin Desa Waluya\[[0-9a-f]{8}\]", second["principal"])
    log = await client.get(f"/residents/{rid}/access-log", headers=OPERATOR)
    assert [entry["purpose"] for entry in log.json()] == [
        "pencocokan KTP di loket",
        "surat pengantar desa",
    ]
    assert (await client.get(f"/residents/{rid}/access-log", headers=waluya_admin)).status_code == (
        403
    )


async def test_a_foreign_admin_reveals_nothing_and_leaves_no_audit_row(
    client: httpx.AsyncClient, app: FastAPI, waluya_admin: dict[str, str]
) -> None:
    foreign = await register(client, address={"street": "Jl. Jauh 9", "desa_kode": SUKADAMI})
    rid = foreign["resident_id"]
    params = {"reveal": "nik", "purpose": "ingin tahu"}
    hidden = await client.get(f"/residents/{rid}", params=params, headers=waluya_admin)
    missing = await client.get(
        "/residents/00000000-0000-4000-8000-000000000000", params=params, headers=waluya_admin
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
    exported = await client.get(f"/residents/{rid}/export", params=params, headers=waluya_admin)
    assert exported.status_code == 404
    assert await accesses(app, rid) == []


async def test_the_export_holds_everything_about_the_resident_and_is_audited(
    client: httpx.AsyncClient, app: FastAPI, waluya_admin: dict[str, str]
) -> None:
    payload = registration(
        address={"street": "Jl. Kenari 4", "rt": "002", "desa_kode": WALUYA},
        disability={"categories": ["fisik"]},
    )
    rid = (await client.post("/residents", json=payload, headers=OPERATOR)).json()["resident_id"]
    verified = await client.post(
        f"/residents/{rid}/verify", json={"officer": "B"}, headers=OPERATOR
    )
    card = verified.json()["ak1"]["number"]
    url = f"/residents/{rid}/export"
    assert ["query", "purpose"] in locs(await client.get(url, headers=OPERATOR))
    answer = await client.get(url, params={"purpose": "permintaan warga 3/2026"}, headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    export = answer.json()
    assert set(export) == {"service", "resident_id", "exported_at", "data"}
    assert (export["service"], export["resident_id"]) == ("registry", rid)
    datetime.fromisoformat(export["exported_at"])
    data = export["data"]
    assert data["nik"] == payload["nik"]
    assert data["contact"]["full_name"] == payload["full_name"]
    assert data["contact"]["email"] == payload["email"]
    assert data["contact"]["phone"].endswith(payload["phone"][1:])
    assert data["contact"]["address"]["street"] == "Jl. Kenari 4"
    assert data["consent"] == {"contact": True, "channels": ["whatsapp"]}
    assert data["ak1"]["number"] == card
    assert [h["action"] for h in data["status_history"]] == ["registered", "verified"]
    assert data["profile"]["status"] == "active"
    assert data["profile"]["disability"] == {"categories": ["fisik"], "accommodation": None}
    assert data["withheld"] == []
    [row] = await accesses(app, rid)
    assert row["purpose"] == "permintaan warga 3/2026"
    assert "nik" in row["fields"]
    assert "phone" in row["fields"]
    assert data["personal_data_access"][0]["purpose"] == "permintaan warga 3/2026"
    by_admin = await client.get(url, params={"purpose": "warga datang"}, headers=waluya_admin)
    assert by_admin.status_code == 200
    assert by_admin.json()["data"]["nik"] == payload["nik"]
    assert by_admin.json()["data"]["profile"]["disability"] is None
    assert by_admin.json()["data"]["withheld"] == ["disability"]
    assert len(await accesses(app, rid)) == 2


async def test_api_keys_are_issued_listed_revoked_and_expire_over_http(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    body = {"role": "village_admin", "label": "Admin Desa Waluya", "scope": {"desa_kode": WALUYA}}
    issued = await client.post("/api-keys", json=body, headers=OPERATOR)
    assert issued.status_code == 201, issued.text
    key, key_id = issued.json()["key"], issued.json()["key_id"]
    assert re.fullmatch(rf"kl_registry_{key_id}_[A-Za-z0-9_-]{{43}}", key)
    headers = {"Authorization": f"Bearer {key}"}
    listed = await client.get("/api-keys", headers=OPERATOR)
    assert key_id in [k["key_id"] for k in listed.json()]
    assert key.split("_")[-1] not in listed.text
    assert (await client.get("/residents", headers=headers)).status_code == 200
    assert (await client.get("/api-keys", headers=headers)).status_code == 403
    assert (await client.post("/api-keys", json=body, headers=headers)).status_code == 403
    assert (await client.delete(f"/api-keys/{key_id}", headers=OPERATOR)).status_code == 204
    assert (await client.get("/residents", headers=headers)).status_code == 401
    assert key_id not in [
        k["key_id"] for k in (await client.get("/api-keys", headers=OPERATOR)).json()
    ]
    ended = (await client.get("/api-keys?include_ended=true", headers=OPERATOR)).json()
    assert [k["revoked_at"] is not None for k in ended if k["key_id"] == key_id] == [True]
    assert (await client.delete("/api-keys/0badc0de", headers=OPERATOR)).status_code == 404

    short = await client.post("/api-keys", json=body | {"expires_in_days": 1}, headers=OPERATOR)
    short_headers = {"Authorization": f"Bearer {short.json()['key']}"}
    assert (await client.get("/residents", headers=short_headers)).status_code == 200
    async with app.state.pool.acquire() as conn:  # two days later
        await conn.execute(
            "UPDATE api_key SET expires_at = $2 WHERE key_id = $1",
            short.json()["key_id"],
            datetime.now(UTC) - timedelta(seconds=1),
        )
    assert (await client.get("/residents", headers=short_headers)).status_code == 401

    def refused(response: httpx.Response) -> list:
        return locs(response)

    assert ["body", "role"] in refused(
        await client.post("/api-keys", json=body | {"role": "company"}, headers=OPERATOR)
    )
    assert ["body", "scope"] in refused(
        await client.post("/api-keys", json=body | {"scope": {}}, headers=OPERATOR)
    )
    assert ["body", "scope"] in refused(
        await client.post(
            "/api-keys", json=body | {"scope": {"desa_kode": "32.16.99.9999"}}, headers=OPERATOR
        )
    )
    assert ["body", "expires_in_days"] in refused(
        await client.post("/api-keys", json=body | {"expires_in_days": 0}, headers=OPERATOR)
    )
    other_service = "kl_vacancies_" + key.split("_", 2)[2]
    assert (
        await client.get("/residents", headers={"Authorization": f"Bearer {other_service}"})
    ).status_code == 401


async def test_fields_a_role_may_not_set_are_refused_by_name(
    client: httpx.AsyncClient, waluya_admin: dict[str, str]
) -> None:
    district = await issue_key(
        client, "village_admin", "Kec. Cikarang Utara", kecamatan_kode=CIKARANG_UTARA
    )
    outside = registration(address={"street": "Jl. X", "desa_kode": SUKADAMI})
    for admin in (waluya_admin, district):
        response = await client.post("/residents", json=outside, headers=admin)
        assert ["body", "address", "desa_kode"] in locs(response)
    neighbour = registration(address={"street": "Jl. Y", "desa_kode": "32.16.09.2001"})
    assert ["body", "address", "desa_kode"] in locs(
        await client.post("/residents", json=neighbour, headers=waluya_admin)
    )
    assert (await client.post("/residents", json=neighbour, headers=district)).status_code == 201
    own = await register(
        client, headers=waluya_admin, address={"street": "Jl. Z", "desa_kode": WALUYA}
    )
    rid = own["resident_id"]
    move = {
        "address": {"street": "Jl. Pindah", "desa_kode": SUKADAMI},
        "evidence": "surat_pindah",
        "effective_on": "2026-02-01",
    }
    assert ["body", "address", "desa_kode"] in locs(
        await client.post(f"/residents/{rid}/domicile", json=move, headers=waluya_admin)
    )
    assert (
        await client.post(f"/residents/{rid}/domicile", json=move, headers=OPERATOR)
    ).status_code == 200
    assert ["body", "status"] in locs(
        await client.patch(f"/residents/{rid}", json={"status": "placed"}, headers=OPERATOR)
    )
    assert ["body", "status"] in locs(
        await client.post("/residents", json=registration(status="active"), headers=waluya_admin)
    )
    assert ["query", "desa"] in locs(
        await client.get(f"/residents?desa={SUKADAMI}", headers=waluya_admin)
    )
    assert ["query", "kecamatan"] in locs(
        await client.get("/residents?kecamatan=32.16.19", headers=waluya_admin)
    )
    assert ["query", "kecamatan"] in locs(
        await client.get("/residents?kecamatan=32.16.19", headers=district)
    )
    assert (await client.get(f"/residents?desa={WALUYA}", headers=district)).status_code == 200


async def test_a_nik_registered_in_another_village_is_not_pointed_to(
    client: httpx.AsyncClient, waluya_admin: dict[str, str]
) -> None:
    payload = registration(address={"street": "Jl. A", "desa_kode": SUKADAMI})
    await register(client, **payload)
    again = payload | {"address": {"street": "Jl. A", "desa_kode": WALUYA}}
    response = await client.post("/residents", json=again, headers=waluya_admin)
    assert response.status_code == 409
    assert "existing_resident_id" not in response.json()
    assert "location" not in response.headers


async def test_the_ak1_page_has_a_strict_csp_and_no_inline_script(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    rid = (await register(client, birth_date="1995-03-03"))["resident_id"]
    await client.post(f"/residents/{rid}/verify", json={"officer": "C"}, headers=OPERATOR)
    page = await client.get(f"/residents/{rid}/ak1", headers=OPERATOR)
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    html = page.text
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handler"
    assert re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.S) == [
        (' src="../../ak1.js" defer', "")
    ]
    script = await client.get("/ak1.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert "window.print()" in script.text
    [row] = await accesses(app, rid)
    assert row["fields"][0] == "nik"
    assert "AK/1" in row["purpose"]
    assert (await client.get("/residents", headers=OPERATOR)).headers["x-content-type-options"]


async def test_no_personal_data_in_any_log_record(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, waluya_admin: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG)
    payload = registration(
        address={"street": "Jl. Catatan Rahasia 77", "desa_kode": WALUYA},
        email="rahasia.sekali@example.org",
    )
    created = await client.post("/residents", json=payload, headers=waluya_admin)
    assert created.status_code == 201
    rid = created.json()["resident_id"]
    changes = {"phone": "081398765432", "full_name": "Nama Baru Rahasia"}
    steps = [
        await client.patch(f"/residents/{rid}", json=changes, headers=waluya_admin),
        await client.post(f"/residents/{rid}/verify", json={"officer": "D"}, headers=OPERATOR),
        await client.get(f"/residents/{rid}?reveal=nik&purpose=cek", headers=OPERATOR),
        await client.get(f"/residents/{rid}/export?purpose=permintaan", headers=waluya_admin),
        await client.get(f"/residents/{rid}/ak1", headers=OPERATOR),
        await client.post("/residents", json=payload, headers=OPERATOR),  # 409, the same NIK
        await client.post("/residents", json=payload | {"phone": "12"}, headers=OPERATOR),  # 422
    ]
    assert [s.status_code for s in steps] == [200, 200, 200, 200, 200, 409, 422]
    secrets = [
        payload["nik"],
        payload["full_name"],
        payload["phone"][1:],
        payload["email"],
        payload["address"]["street"],
        changes["phone"][1:],
        changes["full_name"],
    ]
    assert caplog.records, "nothing was logged: the scan would prove nothing"
    for record in caplog.records:
        text = record.getMessage() + repr(record.args) + (record.exc_text or "")
        text += repr({k: v for k, v in vars(record).items() if k not in ("msg", "args")})
        leaked = [s for s in secrets if s in text]
        assert not leaked, (record.name, leaked)
