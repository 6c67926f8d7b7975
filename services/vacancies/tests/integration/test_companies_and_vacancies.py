"""Companies and vacancies over HTTP, against the real PostgreSQL and RabbitMQ."""

import json
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.testing.tap import EventTap
from vacancies.config import Settings

from ..conftest import (
    OPERATOR,
    add_seeker,
    company,
    company_payload,
    today,
    vacancy,
    vacancy_payload,
)

pytestmark = pytest.mark.integration


def error_locs(response: httpx.Response) -> list[list]:
    assert response.status_code == 422, response.text
    return [error["loc"] for error in response.json()["detail"]]


async def test_a_company_is_registered_verified_and_published_without_its_hr_contact(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    payload = company_payload()
    async with EventTap(settings.amqp_url, pattern="vacancies.#") as tap:
        created = await client.post("/companies", json=payload, headers=OPERATOR)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["hr_token"].startswith("kl_vacancies_")
        assert body["hr_contact"]["name"] == payload["hr_contact"]["name"]
        cid = body["company_id"]
        verified = await client.post(f"/companies/{cid}/verify", headers=OPERATOR)
        assert verified.json()["status"] == "verified"
        [registered] = await tap.wait_for("vacancies.company_registered.v1")
        [checked] = await tap.wait_for("vacancies.company_verified.v1")
    assert json.loads(registered.body)["company_id"] == cid
    assert json.loads(checked.body)["nib"] == payload["nib"]
    assert registered.headers["ce-subject"] == cid
    wire = b"".join(m.body for m in tap.messages).decode()
    for secret in (payload["hr_contact"]["name"], payload["hr_contact"]["phone"],
                   payload["hr_contact"]["email"], body["hr_token"]):  # fmt: skip
        assert secret not in wire
    again = await client.post("/companies", json=payload, headers=OPERATOR)
    assert again.status_code == 409
    assert again.headers["location"] == f"/companies/{cid}"


async def test_an_hr_token_acts_only_on_its_own_company(client: httpx.AsyncClient) -> None:
    mine, other = await company(client), await company(client)
    own = await client.get(f"/companies/{mine['company_id']}", headers=mine["hr"])
    assert own.status_code == 200
    assert own.json()["hr_contact"] is not None
    foreign = await client.get(f"/companies/{other['company_id']}", headers=mine["hr"])
    missing = await client.get(
        "/companies/00000000-0000-4000-8000-000000000000", headers=mine["hr"]
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    listed = (await client.get("/companies", headers=mine["hr"])).json()
    assert [c["company_id"] for c in listed["items"]] == [mine["company_id"]]
    theirs = await vacancy(client, other["hr"], publish=False)
    for method, path in (
        ("GET", f"/vacancies/{theirs['vacancy_id']}"),
        ("PATCH", f"/vacancies/{theirs['vacancy_id']}"),
        ("POST", f"/vacancies/{theirs['vacancy_id']}/submit"),
        ("POST", f"/vacancies/{theirs['vacancy_id']}/close"),
        ("POST", f"/companies/{other['company_id']}/placement-reports"),
    ):
        body = {"reason": "withdrawn"} if path.endswith("close") else {}
        if path.endswith("reports"):
            answer = await client.post(
                path, files={"file": ("a.csv", b"nik,start_date,contract_type\n")},
                headers=mine["hr"],
            )  # fmt: skip
        else:
            answer = await client.request(method, path, json=body, headers=mine["hr"])
        assert answer.status_code == 404, (method, path, answer.text)
    posted_for_other = await client.post(
        "/vacancies", json=vacancy_payload(company_id=other["company_id"]), headers=mine["hr"]
    )
    assert ["body", "company_id"] in error_locs(posted_for_other)
    for path in ("/companies", f"/companies/{mine['company_id']}/verify", "/figures"):
        assert (await client.post(path, json={}, headers=mine["hr"])).status_code in (403, 405)
    assert (await client.get("/figures", headers=mine["hr"])).status_code == 403
    assert (
        await client.get("/companies", headers={"Authorization": "Bearer klc_x"})
    ).status_code == 401


async def test_a_revoked_token_no_longer_works(client: httpx.AsyncClient) -> None:
    mine = await company(client)
    issued = await client.post(
        f"/companies/{mine['company_id']}/tokens?revoke_others=true", headers=OPERATOR
    )
    assert issued.status_code == 201
    new = {"Authorization": f"Bearer {issued.json()['hr_token']}"}
    assert (await client.get("/vacancies", headers=mine["hr"])).status_code == 401
    assert (await client.get("/vacancies", headers=new)).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "loc"),
    [
        ({"kbji_code": "welder"}, ["body", "kbji_code"]),
        ({"openings": 0}, ["body", "openings"]),
        ({"valid_until": "2020-01-01"}, ["body", "valid_until"]),
        ({"work_desa_kode": "32.75.01.1001"}, ["body", "work_desa_kode"]),
        ({"work_desa_kode": "Cikarang"}, ["body", "work_desa_kode"]),
        ({"age_min": 30, "age_max": 20, "age_reason": "x"}, ["body", "age_max"]),
        ({"age_min": 16}, ["body", "age_min"]),
        ({"education": {"minimum": 11}}, ["body", "education", "minimum"]),
        ({"education": {"minimum": 7, "maximum": 5}}, ["body", "education", "maximum"]),
        ({"wage": {"minimum": 6_000_000, "maximum": 5_000_000}}, ["body", "wage", "maximum"]),
        ({"contract_type": "pkwtt", "contract_months": 12}, ["body", "contract_months"]),
        ({"contract_type": "harian"}, ["body", "contract_type"]),
        ({"status": "published"}, ["body", "status"]),
        ({"sex": "X"}, ["body", "sex"]),
    ],
)
async def test_bad_vacancy_input_is_refused_naming_the_field(
    client: httpx.AsyncClient, overrides: dict, loc: list
) -> None:
    hr = (await company(client))["hr"]
    response = await client.post("/vacancies", json=vacancy_payload(**overrides), headers=hr)
    assert loc in error_locs(response)
    assert response.json()["detail"][0]["msg"]


async def test_the_check_flags_and_the_operator_decides(client: httpx.AsyncClient) -> None:
    hr = (await company(client))["hr"]
    draft = await vacancy(
        client, hr, publish=False, age_max=25,
        description="Wanita, belum menikah, berpenampilan menarik, tinggi badan min 160 cm.",
        how_to_apply="Kirim lamaran, biaya pendaftaran Rp 500.000 dibayar saat tes.",
    )  # fmt: skip
    vid = draft["vacancy_id"]
    submitted = await client.post(f"/vacancies/{vid}/submit", headers=hr)
    assert submitted.json()["status"] == "pending_review"
    codes = {(f["code"], f["field"]) for f in submitted.json()["review_flags"]}
    assert codes == {
        ("diskriminasi:status_perkawinan", "description"),
        ("diskriminasi:penampilan", "description"),
        ("diskriminasi:tinggi_badan", "description"),
        ("biaya_pelamar", "how_to_apply"),
        ("usia_tanpa_alasan", "age_reason"),
    }
    refused = await client.post(f"/vacancies/{vid}/approve", json={}, headers=OPERATOR)
    assert refused.status_code == 409
    assert "biaya_pelamar" in refused.json()["detail"]
    assert (await client.post(f"/vacancies/{vid}/approve", json={}, headers=hr)).status_code == 403
    back = await client.post(
        f"/vacancies/{vid}/send-back",
        json={"reasons": ["Hapus syarat status, penampilan, tinggi; tanpa biaya"]},
        headers=OPERATOR,
    )
    assert back.json()["status"] == "draft"
    assert back.json()["review_notes"][0]["reasons"] == [
        "Hapus syarat status, penampilan, tinggi; tanpa biaya"
    ]
    fixed = await client.patch(
        f"/vacancies/{vid}",
        json={
            "description": "Mengelas rangka; terbuka bagi laki-laki dan perempuan.",
            "how_to_apply": "Lewat Disnaker, tidak dipungut biaya.",
            "age_reason": "Program pemagangan berbatas usia (Permenaker 6/2020)",
        },
        headers=hr,
    )
    assert fixed.status_code == 200, fixed.text
    again = await client.post(f"/vacancies/{vid}/submit", headers=hr)
    assert again.json()["review_flags"] == []
    approved = await client.post(f"/vacancies/{vid}/approve", json={}, headers=OPERATOR)
    assert approved.json()["status"] == "published"
    history = await client.get(f"/vacancies/{vid}/history", headers=hr)
    assert [h["action"] for h in history.json()] == [
        "created", "submitted", "sent_back", "edited", "submitted", "published",
    ]  # fmt: skip
    assert history.json()[-1]["actor"] == "operator:disnaker"


async def test_an_unverified_company_cannot_publish_its_first_vacancy(
    client: httpx.AsyncClient,
) -> None:
    new = await company(client, verified=False)
    draft = await vacancy(client, new["hr"], publish=False)
    await client.post(f"/vacancies/{draft['vacancy_id']}/submit", headers=new["hr"])
    refused = await client.post(
        f"/vacancies/{draft['vacancy_id']}/approve", json={}, headers=OPERATOR
    )
    assert refused.status_code == 409
    assert "verified" in refused.json()["detail"]


async def test_publishing_puts_the_public_vacancy_and_the_match_on_the_exchange(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    hr = (await company(client))["hr"]
    welder = await add_seeker(app, certificates=[{"name": "Juru Las Pengelasan SMAW"}])
    near = await add_seeker(app)
    await add_seeker(app, status="registered")
    await add_seeker(app, education={"level": 4})
    async with EventTap(settings.amqp_url, pattern="vacancies.#") as tap:
        published = await vacancy(client, hr)
        [message] = await tap.wait_for("vacancies.vacancy_published.v1")
        [matched] = await tap.wait_for("vacancies.candidates_matched.v1")
    body = json.loads(message.body)
    assert body["vacancy_id"] == published["vacancy_id"]
    assert body["company_verified"] is True
    assert body["openings"] == 3
    assert "hr_contact" not in body
    assert "Ratna" not in message.body.decode()
    match = json.loads(matched.body)
    assert match["trigger"] == "vacancy_published"
    assert match["eligible"] == 2
    assert [c["resident_id"] for c in match["candidates"]] == [str(welder), str(near)]
    assert match["candidates"][0]["certified"] is True
    assert match["candidates"][0]["reasons"] == [
        "sertifikat:pengelasan", "pendidikan:smk", "desa_sama", "lokal",
    ]  # fmt: skip
    assert published["matched"] == {"eligible": 2, "announced": 2}
    listed = await client.get(f"/vacancies/{published['vacancy_id']}/matches", headers=OPERATOR)
    assert [i["resident_id"] for i in listed.json()["items"]] == [str(welder), str(near)]


async def test_a_village_admin_sees_published_vacancies_only(
    client: httpx.AsyncClient, waluya_admin: dict[str, str]
) -> None:
    hr = (await company(client))["hr"]
    draft = await vacancy(client, hr, publish=False)
    public = await vacancy(client, hr)
    seen = (await client.get("/vacancies", headers=waluya_admin)).json()
    assert [v["vacancy_id"] for v in seen["items"]] == [public["vacancy_id"]]
    hidden = await client.get(f"/vacancies/{draft['vacancy_id']}", headers=waluya_admin)
    assert hidden.status_code == 404
    assert (
        await client.post("/vacancies", json=vacancy_payload(), headers=waluya_admin)
    ).status_code == 403


async def test_a_published_vacancy_changes_only_openings_and_validity(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    hr = (await company(client))["hr"]
    public = await vacancy(client, hr)
    vid = public["vacancy_id"]
    refused = await client.patch(f"/vacancies/{vid}", json={"title": "Lain"}, headers=hr)
    assert refused.status_code == 409
    later = (today() + timedelta(days=60)).isoformat()
    async with EventTap(settings.amqp_url, pattern="vacancies.vacancy_updated.v1") as tap:
        changed = await client.patch(
            f"/vacancies/{vid}", json={"valid_until": later, "openings": 5}, headers=hr
        )
        assert changed.status_code == 200, changed.text
        [update] = await tap.wait_for("vacancies.vacancy_updated.v1")
    body = json.loads(update.body)
    assert (body["valid_until"], body["openings"], body["version"]) == (later, 5, 2)
    assert sorted(body["changed"]) == ["openings", "valid_until"]


async def test_withdrawing_a_published_vacancy_closes_it_everywhere(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    hr = (await company(client))["hr"]
    public = await vacancy(client, hr)
    async with EventTap(settings.amqp_url, pattern="vacancies.vacancy_closed.v1") as tap:
        closed = await client.post(
            f"/vacancies/{public['vacancy_id']}/close", json={"reason": "withdrawn"}, headers=hr
        )
        assert closed.json()["status"] == "withdrawn"
        [event] = await tap.wait_for("vacancies.vacancy_closed.v1")
    assert json.loads(event.body)["reason"] == "withdrawn"
    again = await client.post(
        f"/vacancies/{public['vacancy_id']}/close", json={"reason": "closed"}, headers=hr
    )
    assert again.status_code == 409


async def test_a_partnership_is_signed_and_amended(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    cid = (await company(client))["company_id"]
    mou = {
        "mou_number": f"560/MoU-{cid[:8]}/2026",
        "starts_on": "2026-10-20",
        "ends_on": "2027-10-19",
    }
    missing = await client.post(f"/companies/{cid}/partnerships", json=mou, headers=OPERATOR)
    assert ["body", "local_hires_committed"] in error_locs(missing)
    backwards = mou | {"local_hires_committed": 50, "ends_on": "2026-01-01"}
    wrong = await client.post(f"/companies/{cid}/partnerships", json=backwards, headers=OPERATOR)
    assert ["body", "ends_on"] in error_locs(wrong)
    async with EventTap(settings.amqp_url, pattern="vacancies.partnership_signed.v1") as tap:
        signed = await client.post(
            f"/companies/{cid}/partnerships",
            json=mou | {"local_hires_committed": 50, "local_share_percent": 60},
            headers=OPERATOR,
        )
        assert signed.status_code == 201, signed.text
        pid = signed.json()["partnership_id"]
        amended = await client.patch(
            f"/partnerships/{pid}", json={"status": "suspended"}, headers=OPERATOR
        )
        assert amended.json()["status"] == "suspended"
        first, second = await tap.wait_for("vacancies.partnership_signed.v1", 2)
    assert json.loads(first.body)["local_hires_committed"] == 50
    assert json.loads(second.body)["status"] == "suspended"
