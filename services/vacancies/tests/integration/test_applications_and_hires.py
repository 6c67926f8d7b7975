"""Applications, hires, placement reports and figures over HTTP, on the real servers."""

import asyncio
import hashlib
import hmac
import json
from datetime import timedelta
from uuid import UUID

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.testing.factories import nik
from kerjalokal.testing.tap import EventTap
from vacancies.config import Settings

from ..conftest import (
    NIK_LOOKUP_KEY,
    OPERATOR,
    add_seeker,
    company,
    today,
    vacancy,
)

pytestmark = pytest.mark.integration


def lookup(number: str) -> str:
    import base64

    return hmac.new(base64.b64decode(NIK_LOOKUP_KEY), number.encode(), hashlib.sha256).hexdigest()


async def apply(client: httpx.AsyncClient, vid: str, rid: UUID, headers=OPERATOR, **extra) -> dict:
    body = {"vacancy_id": vid, "resident_id": str(rid)} | extra
    response = await client.post("/applications", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def move(client, aid: str, headers, status: str, **extra) -> httpx.Response:
    return await client.post(
        f"/applications/{aid}/transitions", json={"status": status} | extra, headers=headers
    )


def hire_fields(days: int = 0) -> dict:
    return {"start_date": (today() + timedelta(days=days)).isoformat(), "contract_type": "pkwt"}


async def test_a_hire_fills_openings_obsoletes_other_applications_and_publishes_once(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    acme, other = await company(client), await company(client)
    one_opening = await vacancy(client, acme["hr"], openings=1)
    elsewhere = await vacancy(client, other["hr"])
    hired, rival = await add_seeker(app), await add_seeker(app, is_local=False)
    first = await apply(client, one_opening["vacancy_id"], hired, channel="referral")
    second = await apply(client, elsewhere["vacancy_id"], hired)
    third = await apply(client, one_opening["vacancy_id"], rival)
    hr = acme["hr"]
    async with EventTap(settings.amqp_url, pattern="vacancies.#") as tap:
        for status in ("screening", "interview", "offered"):
            assert (await move(client, first["application_id"], hr, status)).status_code == 200
        missing = await move(client, first["application_id"], hr, "hired")
        assert ["body", "start_date"] in [e["loc"] for e in missing.json()["detail"]]
        too_old = await move(client, first["application_id"], hr, "hired", **hire_fields(-8))
        assert too_old.status_code == 422
        done = await move(client, first["application_id"], hr, "hired", **hire_fields(-7))
        assert done.status_code == 200, done.text
        [hire] = await tap.wait_for("vacancies.resident_hired.v1")
        await tap.wait_for("vacancies.vacancy_closed.v1")
        await tap.wait_for("vacancies.application_status_changed.v1", 6)
        await asyncio.sleep(0.5)
    body = json.loads(hire.body)
    assert (body["resident_id"], body["source"], body["is_local"]) == (str(hired), "referral", True)
    assert body["vacancy_id"] == one_opening["vacancy_id"]
    assert json.loads(tap.of_type("vacancies.vacancy_closed.v1")[0].body)["reason"] == "filled"
    changes = {(b["application_id"], b["status"], b["reason"]) for b in tap.bodies(
        "vacancies.application_status_changed.v1")}  # fmt: skip
    assert (second["application_id"], "obsolete",
            "Sudah diterima bekerja di tempat lain / hired elsewhere") in changes  # fmt: skip
    assert (third["application_id"], "refused",
            "Lowongan sudah terisi / the vacancy has been filled") in changes  # fmt: skip
    assert len(tap.of_type("vacancies.resident_hired.v1")) == 1
    record = (await client.get(f"/applications/{first['application_id']}", headers=hr)).json()
    assert record["hire_id"] == body["hire_id"]
    desk = f"company:HRD {acme['name']}[{acme['hr_key_id']}]"  # the HR desk's key
    assert [(t["from_status"], t["to_status"], t["actor"]) for t in record["transitions"]] == [
        (None, "submitted", "operator:disnaker"),
        ("submitted", "screening", desk),
        ("screening", "interview", desk),
        ("interview", "offered", desk),
        ("offered", "hired", desk),
    ]
    vacancy_now = (await client.get(f"/vacancies/{one_opening['vacancy_id']}", headers=hr)).json()
    assert (vacancy_now["status"], vacancy_now["hires"], vacancy_now["openings_left"]) == (
        "filled", 1, 0,
    )  # fmt: skip


async def test_one_application_per_seeker_and_vacancy_and_exits_need_reasons(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    acme = await company(client)
    public = await vacancy(client, acme["hr"])
    rid = await add_seeker(app)
    first = await apply(client, public["vacancy_id"], rid)
    again = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(rid)},
        headers=OPERATOR,
    )
    assert again.status_code == 409
    assert again.headers["location"] == f"/applications/{first['application_id']}"
    no_reason = await move(client, first["application_id"], acme["hr"], "refused")
    assert ["body", "reason"] in [e["loc"] for e in no_reason.json()["detail"]]
    jump = await move(client, first["application_id"], acme["hr"], "offered")
    assert jump.status_code == 409
    obsolete = await move(client, first["application_id"], acme["hr"], "obsolete")
    assert obsolete.status_code == 422  # the system's alone: a company may not set it
    assert obsolete.json()["detail"][0]["loc"] == ["body", "status"]
    by_office = await move(client, first["application_id"], OPERATOR, "obsolete")
    assert by_office.status_code == 409  # nor the office: the rule says no
    async with EventTap(settings.amqp_url, pattern="vacancies.application_status_changed.v1") as t:
        hidden = await move(
            client, first["application_id"], acme["hr"], "refused", reason="Catatan internal"
        )
        assert hidden.json()["reason"] == "Catatan internal"
        [event] = await t.wait_for("vacancies.application_status_changed.v1")
    assert json.loads(event.body)["reason"] is None
    unknown = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(UUID(int=5))},
        headers=OPERATOR,
    )
    assert ["body", "resident_id"] in [e["loc"] for e in unknown.json()["detail"]]


async def test_a_village_admin_applies_only_for_its_own_residents(
    client: httpx.AsyncClient, app: FastAPI, waluya_admin: dict[str, str]
) -> None:
    acme = await company(client)
    public = await vacancy(client, acme["hr"])
    own = await add_seeker(app)
    stranger = await add_seeker(app, desa_kode="32.16.19.2004")
    made = await apply(client, public["vacancy_id"], own, headers=waluya_admin)
    refused = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(stranger)},
        headers=waluya_admin,
    )
    assert ["body", "resident_id"] in [e["loc"] for e in refused.json()["detail"]]
    referral = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(own), "channel": "referral"},
        headers=waluya_admin,
    )
    assert referral.status_code == 422
    screening = await move(client, made["application_id"], waluya_admin, "screening")
    assert screening.status_code == 422  # a status a village admin may not set
    assert screening.json()["detail"][0]["loc"] == ["body", "status"]
    withdrawn = await move(client, made["application_id"], waluya_admin, "withdrawn")
    assert withdrawn.json()["status"] == "withdrawn"
    assert (await client.post("/applications", json={}, headers=acme["hr"])).status_code == 403


async def test_a_placement_report_hires_known_seekers_lists_unknown_niks_and_changes_nothing_twice(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    acme = await company(client)
    known_nik, unknown_nik, outsider_nik = nik(), nik(), nik(region="327501")
    known = await add_seeker(app, nik_lookup=lookup(known_nik))
    outsider = await add_seeker(app, nik_lookup=lookup(outsider_nik), is_local=False)
    start = today().isoformat()
    other_app = await apply(client, (await vacancy(client, acme["hr"]))["vacancy_id"], known)
    csv = (
        "nik,start_date,contract_type\n"
        f"{known_nik},{start},PKWT\n"
        f"{unknown_nik},{start},pkwt\n"
        f"123,{start},pkwt\n"
        f"{outsider_nik},31-02-2026,pkwt\n"
        f"{outsider_nik},{start},tetap\n"
        f"{known_nik},{start},pkwt\n"
    ).encode()
    url = f"/companies/{acme['company_id']}/placement-reports"
    async with EventTap(settings.amqp_url, pattern="vacancies.resident_hired.v1") as tap:
        first = await client.post(url, files={"file": ("juli.csv", csv)}, headers=acme["hr"])
        assert first.status_code == 200, first.text
        await tap.wait_for("vacancies.resident_hired.v1", 2)
        second = await client.post(url, files={"file": ("juli.csv", csv)}, headers=acme["hr"])
        await asyncio.sleep(1.0)
    report = first.json()
    assert (report["hired"], report["already_recorded"], report["rows"]) == (2, 1, 6)
    assert report["unknown"] == [{"line": 3, "nik": unknown_nik}]
    assert [(e["line"], e["reason"].split(":")[0]) for e in report["errors"]] == [
        (4, "nik"), (5, "start_date"),
    ]  # fmt: skip
    assert all(
        unknown_nik not in e["reason"] and "123" not in e["reason"] for e in report["errors"]
    )
    again = second.json()
    assert (again["report_id"], again["uploads"], again["hired"]) == (report["report_id"], 2, 0)
    hires = tap.bodies("vacancies.resident_hired.v1")
    assert len(hires) == 2
    assert {(h["resident_id"], h["is_local"], h["source"], h["contract_type"]) for h in hires} == {
        (str(known), True, "placement_report", "pkwt"),
        (str(outsider), False, "placement_report", "pkwtt"),
    }
    stored = await app.state.pool.fetchval(
        "SELECT string_agg(t::text, '') FROM (SELECT * FROM placement_report) t"
    )
    assert unknown_nik not in stored
    assert known_nik not in stored
    mine = (
        await client.get(f"/applications/{other_app['application_id']}", headers=OPERATOR)
    ).json()
    assert mine["status"] == "obsolete"


async def test_figures_count_each_hire_once_against_commitments_and_the_threshold(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    acme = await company(client, industrial_estate="Kawasan Industri MM2100")
    await client.post(
        f"/companies/{acme['company_id']}/partnerships",
        json={"mou_number": f"MoU-{acme['company_id']}", "local_hires_committed": 4,
              "starts_on": "2026-01-01", "ends_on": "2027-12-31"},
        headers=OPERATOR,
    )  # fmt: skip
    public = await vacancy(client, acme["hr"], openings=5)
    numbers = [nik() for _ in range(3)]
    locals_ = [await add_seeker(app, nik_lookup=lookup(n)) for n in numbers[:2]]
    await add_seeker(app, nik_lookup=lookup(numbers[2]), is_local=False)
    application = await apply(client, public["vacancy_id"], locals_[0])
    for status in ("screening", "interview"):
        await move(client, application["application_id"], acme["hr"], status)
    hired = await move(client, application["application_id"], acme["hr"], "hired", **hire_fields())
    assert hired.status_code == 200, hired.text
    csv = "nik;start_date;contract_type\n" + "".join(f"{n};{today()};pkwt\n" for n in numbers)
    report = await client.post(
        f"/companies/{acme['company_id']}/placement-reports",
        files={"file": ("r.csv", csv.encode())},
        headers=acme["hr"],
    )
    assert (report.json()["hired"], report.json()["already_recorded"]) == (2, 1)
    office = (await client.get("/figures", headers=OPERATOR)).json()
    assert (office["hires"], office["local_hires"], office["local_share_percent"]) == (3, 2, 66.7)
    [row] = [c for c in office["companies"] if c["company_id"] == acme["company_id"]]
    assert (row["hires"], row["local_hires"], row["local_hires_committed"]) == (3, 2, 4)
    assert row["commitment_progress_percent"] == 50.0
    assert row["meets_threshold"] is True
    [estate] = office["industrial_estates"]
    assert estate["industrial_estate"] == "Kawasan Industri MM2100"
    strict = (await client.get("/figures?threshold=70", headers=OPERATOR)).json()
    assert strict["industrial_estates"][0]["meets_threshold"] is False
    assert office["kecamatan"][0]["kecamatan_kode"] == "32.16.09"
    assert office["periods"][0]["hires"] == 3
    own = await client.get(f"/companies/{acme['company_id']}/figures", headers=acme["hr"])
    assert own.json()["hires"] == 3
    vacancy_now = (await client.get(f"/vacancies/{public['vacancy_id']}", headers=OPERATOR)).json()
    assert vacancy_now["hires"] == 1


async def test_published_vacancies_past_their_validity_expire_by_themselves(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    from datetime import UTC, datetime

    from vacancies.principals import SYSTEM
    from vacancies.services import vacancies as use_cases

    acme = await company(client)
    public = await vacancy(client, acme["hr"])
    await app.state.pool.execute(
        "UPDATE vacancy SET valid_until = $2 WHERE vacancy_id = $1",
        UUID(public["vacancy_id"]), today() - timedelta(days=1),
    )  # fmt: skip
    async with EventTap(settings.amqp_url, pattern="vacancies.vacancy_closed.v1") as tap:
        async with app.state.pool.acquire() as conn:
            expired = await use_cases.expire_due(conn, actor=SYSTEM, now=datetime.now(UTC))
            assert expired == 1
            assert await use_cases.expire_due(conn, actor=SYSTEM, now=datetime.now(UTC)) == 0
        [event] = await tap.wait_for("vacancies.vacancy_closed.v1")
    assert json.loads(event.body)["reason"] == "expired"
    now = (await client.get(f"/vacancies/{public['vacancy_id']}", headers=OPERATOR)).json()
    assert now["status"] == "expired"


async def test_a_hire_short_of_the_last_tells_job_boards_the_openings_left(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings
) -> None:
    acme = await company(client)
    public = await vacancy(client, acme["hr"], openings=3)
    application = await apply(client, public["vacancy_id"], await add_seeker(app))
    for status in ("screening", "interview"):
        await move(client, application["application_id"], acme["hr"], status)
    async with EventTap(settings.amqp_url, pattern="vacancies.vacancy_updated.v1") as tap:
        hired = await move(
            client, application["application_id"], acme["hr"], "hired", **hire_fields(3)
        )
        assert hired.status_code == 200, hired.text
        [update] = await tap.wait_for("vacancies.vacancy_updated.v1")
    body = json.loads(update.body)
    assert (body["openings"], body["changed"], body["version"]) == (2, ["openings"], 2)
    now = (await client.get(f"/vacancies/{public['vacancy_id']}", headers=OPERATOR)).json()
    assert (now["status"], now["openings"], now["openings_left"]) == ("published", 3, 2)
