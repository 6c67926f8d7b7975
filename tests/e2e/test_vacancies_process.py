"""Registry and vacancies as real processes on one broker: seekers registered and verified in the
registry are matched to a published vacancy, one is hired through an application and the
registry marks them placed while their other application becomes obsolete; another is hired
from a placement report by NIK. No personal data travels on the public exchange."""

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from kerjalokal.testing.factories import registration
from kerjalokal.testing.tap import EventTap

from .services import new_key, ok, running, until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
OPERATOR = {"Authorization": "Bearer e2e-operator"}


async def test_seekers_are_matched_hired_and_placed_across_services(
    fresh_database, vhost_url, tmp_path: Path
) -> None:
    shared = {"AMQP_URL": vhost_url, "OPERATOR_TOKEN": "e2e-operator", "NIK_LOOKUP_KEY": new_key()}
    registry_env = shared | {
        "REGISTRY_DATABASE_URL": await fresh_database(),
        "REGISTRY_NIK_HMAC_KEY": new_key(),
        "REGISTRY_DATA_KEY": new_key(),
    }
    vacancies_env = shared | {"VACANCIES_DATABASE_URL": await fresh_database()}
    async with (
        running("registry", registry_env, tmp_path) as registry,
        running("vacancies", vacancies_env, tmp_path) as vacancies,
        EventTap(vhost_url) as public,
        EventTap(vhost_url, exchange="kerjalokal.restricted") as restricted,
        httpx.AsyncClient(base_url=registry.url, headers=OPERATOR) as reg,
        httpx.AsyncClient(base_url=vacancies.url, headers=OPERATOR) as vac,
    ):
        payloads = [registration(skills=["pengelasan"]) for _ in range(3)]
        ids = []
        for payload in payloads:
            created = await ok(reg.post("/residents", json=payload), 201)
            ids.append(created["resident_id"])
            await ok(reg.post(f"/residents/{created['resident_id']}/verify",
                              json={"officer": "Pengantar Kerja E2E"}))  # fmt: skip
        hired, other, reported = ids
        for rid in ids:  # the projection learned them from the registry's events
            await until(lambda rid=rid: _seeker_status(vac, rid, "active"))

        acme = await ok(vac.post("/companies", json=_company("PT Maju Las Cikarang")), 201)
        beta = await ok(vac.post("/companies", json=_company("PT Beta Rangka")), 201)
        for firm in (acme, beta):
            await ok(vac.post(f"/companies/{firm['company_id']}/verify"))
        welder = await _publish(vac, acme, openings=1)
        second = await _publish(vac, beta, openings=2)

        matched = await public.wait_for("vacancies.candidates_matched.v1", 2, timeout=30)
        match = next(
            json.loads(m.body) for m in matched
            if json.loads(m.body)["vacancy_id"] == welder["vacancy_id"]
        )  # fmt: skip
        assert match["trigger"] == "vacancy_published"
        assert match["eligible"] == 3
        assert {c["resident_id"] for c in match["candidates"]} == set(ids)

        first = await _apply(vac, welder, hired)
        elsewhere = await _apply(vac, second, hired)
        rival = await _apply(vac, welder, other)
        hr = {"Authorization": f"Bearer {acme['hr_token']}"}
        for status in ("screening", "interview"):
            await ok(vac.post(f"/applications/{first}/transitions", json={"status": status},
                              headers=hr))  # fmt: skip
        start = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        await ok(vac.post(
            f"/applications/{first}/transitions",
            json={"status": "hired", "start_date": start.isoformat(), "contract_type": "pkwt"},
            headers=hr,
        ))  # fmt: skip

        await until(lambda: _resident_status(reg, hired, "placed"))
        assert (await ok(vac.get(f"/applications/{elsewhere}")))["status"] == "obsolete"
        assert (await ok(vac.get(f"/applications/{rival}")))["status"] == "refused"
        assert (await ok(vac.get(f"/vacancies/{welder['vacancy_id']}")))["status"] == "filled"

        report = "nik,start_date,contract_type\n" + "".join(
            f"{n},{start + timedelta(days=1)},pkwtt\n"
            for n in (payloads[2]["nik"], "3216090101990042")
        )
        answer = await ok(vac.post(
            f"/companies/{beta['company_id']}/placement-reports",
            files={"file": ("penempatan.csv", report.encode(), "text/csv")},
            headers={"Authorization": f"Bearer {beta['hr_token']}"},
        ))  # fmt: skip
        assert (answer["hired"], [u["line"] for u in answer["unknown"]]) == (1, [3])
        await until(lambda: _resident_status(reg, reported, "placed"))

        hires = await public.wait_for("vacancies.resident_hired.v1", 2)
        assert {json.loads(m.body)["source"] for m in hires} == {"application", "placement_report"}
        [identity] = {
            json.loads(m.body)["resident_id"]: m
            for m in restricted.of_type("registry.resident_identity_recorded.v1")
            if json.loads(m.body)["resident_id"] == reported
        }.values()
        assert payloads[2]["nik"] not in identity.body.decode()
        await asyncio.sleep(1.0)

    wire = "".join(m.body.decode() + json.dumps(m.headers, default=str) for m in public.messages)
    secrets = [p[k] for p in payloads for k in ("nik", "full_name", "phone", "email")]
    secrets += ["3216090101990042", "Ibu Sari HRD", "081377778888", "hrd@maju.co.id"]
    for secret in secrets:
        assert secret not in wire, secret
        assert secret not in vacancies.logs(), secret


def _company(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "nib": f"91{abs(hash(name)) % 10**11:011d}",
        "kbli_code": "25111",
        "kbli_version": "2020",
        "industrial_estate": "Kawasan Industri Jababeka",
        "address": {"street": "Jl. Jababeka XII Blok W", "desa_kode": "32.16.09.2002"},
        "hr_contact": {"name": "Ibu Sari HRD", "phone": "081377778888", "email": "hrd@maju.co.id"},
    }


async def _publish(vac: httpx.AsyncClient, firm: dict, *, openings: int) -> dict:
    hr = {"Authorization": f"Bearer {firm['hr_token']}"}
    valid = datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=30)
    draft = await ok(vac.post("/vacancies", headers=hr, json={
        "title": "Operator Las", "description": "Mengelas rangka baja.", "kbji_code": "7212.01",
        "openings": openings, "valid_until": valid.isoformat(),
        "education": {"minimum": 5}, "skills": ["pengelasan"],
        "work_desa_kode": "32.16.09.2004", "work_address": "Jababeka Blok W",
        "contract_type": "pkwt", "contract_months": 12,
    }), 201)  # fmt: skip
    await ok(vac.post(f"/vacancies/{draft['vacancy_id']}/submit", headers=hr))
    return await ok(vac.post(f"/vacancies/{draft['vacancy_id']}/approve", json={}))


async def _apply(vac: httpx.AsyncClient, vacancy: dict, rid: str) -> str:
    body = {"vacancy_id": vacancy["vacancy_id"], "resident_id": rid}
    return (await ok(vac.post("/applications", json=body), 201))["application_id"]


async def _seeker_status(vac: httpx.AsyncClient, rid: str, status: str) -> bool:
    answer = await vac.get(f"/seekers/{rid}")
    return answer.status_code == 200 and answer.json()["status"] == status


async def _resident_status(reg: httpx.AsyncClient, rid: str, status: str) -> bool:
    return (await reg.get(f"/residents/{rid}")).json()["status"] == status
