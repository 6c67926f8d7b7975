"""Registry, training and vacancies as real processes on one broker: a seeker registered in the
registry completes a training session with a certified skill, the registry's profile shows it,
and a vacancy that asks for the skill then matches that seeker first, ahead of seekers who only
declared it."""

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from kerjalokal.testing.factories import registration
from kerjalokal.testing.tap import EventTap

from .services import new_key, running

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
OPERATOR = {"Authorization": "Bearer e2e-operator"}


@pytest.fixture
async def platform(fresh_database, vhost_url, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    common = {"AMQP_URL": vhost_url, "OPERATOR_TOKEN": "e2e-operator", "NIK_LOOKUP_KEY": new_key()}
    registry_env = common | {
        "REGISTRY_DATABASE_URL": await fresh_database(),
        "REGISTRY_NIK_HMAC_KEY": new_key(),
        "REGISTRY_DATA_KEY": new_key(),
    }
    training_env = common | {"TRAINING_DATABASE_URL": await fresh_database()}
    vacancies_env = common | {"VACANCIES_DATABASE_URL": await fresh_database()}
    async with AsyncExitStack() as stack:
        services = {
            name: await stack.enter_async_context(running(name, env, tmp_path))
            for name, env in (
                ("registry", registry_env),
                ("training", training_env),
                ("vacancies", vacancies_env),
            )
        }
        yield {"services": services, "amqp_url": vhost_url} | {
            name: service.url for name, service in services.items()
        }


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def test_a_certified_skill_reaches_the_profile_and_matches_first(
    platform: dict[str, Any],
) -> None:
    payload = registration(skills=["gudang", "pengelasan"])
    others = [registration(skills=["pengelasan"]) for _ in range(2)]  # declared, not certified
    async with (
        httpx.AsyncClient(base_url=platform["registry"], headers=OPERATOR) as registry,
        httpx.AsyncClient(base_url=platform["training"], headers=OPERATOR) as training,
        httpx.AsyncClient(base_url=platform["vacancies"], headers=OPERATOR) as vacancies,
    ):
        ids = []
        for body in (*others, payload):
            created = await registry.post("/residents", json=body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["resident_id"])
            verified = await registry.post(
                f"/residents/{ids[-1]}/verify", json={"officer": "Pengantar Kerja E2E"}
            )
            assert verified.status_code == 200, verified.text
        rid = ids[-1]

        async def known() -> bool:
            return (await training.get(f"/seekers/{rid}")).status_code == 200

        await until(known)
        assessed = await training.post(
            "/ready-pool",
            json={"resident_id": rid, "vocation": "Pengelasan", "kbji_code": "7212.01"},
        )
        assert assessed.status_code == 201, assessed.text
        blk = await training.post(
            "/institutions",
            json={
                "type": "blk_uptd",
                "name": "UPTD BLK Kabupaten Bekasi",
                "licence_status": "licensed",
                "address": {"street": "Jl. Raya Sriamur", "desa_kode": "32.16.05.2006"},
            },
        )
        assert blk.status_code == 201, blk.text
        institution = {"Authorization": f"Bearer {blk.json()['token']}"}
        programme = await training.post(
            "/programmes",
            headers=institution,
            json={
                "title": "Pengelasan SMAW",
                "vocation": "Pengelasan",
                "kbji_code": "7212.01",
                "competency_scheme": "SKKNI Pengelasan SMAW",
                "skills": ["pengelasan"],
                "hours": 160,
                "requirements": {"min_age": 18, "min_education_level": 4},
            },
        )
        assert programme.status_code == 201, programme.text
        today = date.today().isoformat()
        session = await training.post(
            f"/programmes/{programme.json()['programme_id']}/sessions",
            headers=institution,
            json={"starts_on": today, "ends_on": today},
        )
        assert session.status_code == 201, session.text
        enrolled = await training.post(
            f"/sessions/{session.json()['session_id']}/enrollments",
            headers=institution,
            json={"resident_id": rid},
        )
        assert enrolled.status_code == 201, enrolled.text

        async def in_training() -> bool:
            return bool((await registry.get(f"/residents/{rid}")).json()["in_training"])

        await until(in_training)
        skill = {
            "skill": "Pengelasan",
            "scheme": "SKKNI Pengelasan SMAW",
            "certificate_number": "BNSP-LSP-E2E-0001",
        }
        completed = await training.post(
            f"/enrollments/{enrolled.json()['enrollment_id']}/complete",
            headers=institution,
            json={"passed": True, "certified_skills": [skill]},
        )
        assert completed.status_code == 200, completed.text

        async def certified() -> dict[str, Any] | None:
            profile = (await registry.get(f"/residents/{rid}")).json()
            numbers = [c.get("number") for c in profile["certificates"]]
            return profile if "BNSP-LSP-E2E-0001" in numbers else None

        profile = await until(certified)

        async def certified_in_vacancies() -> bool:
            seeker = await vacancies.get(f"/seekers/{rid}")
            return seeker.status_code == 200 and "pengelasan" in seeker.json()["training_certified"]

        await until(certified_in_vacancies)
        async with EventTap(platform["amqp_url"], pattern="vacancies.candidates_matched.v1") as tap:
            vacancy = await _publish_welding_vacancy(vacancies)
            matched = await tap.wait_for("vacancies.candidates_matched.v1", timeout=30)
        announced = next(
            json.loads(m.body) for m in matched
            if json.loads(m.body)["vacancy_id"] == vacancy["vacancy_id"]
        )  # fmt: skip
        ranked = await vacancies.get(f"/vacancies/{vacancy['vacancy_id']}/matches")
        assert ranked.status_code == 200, ranked.text
    assert announced["trigger"] == "vacancy_published"
    assert announced["candidates"][0]["resident_id"] == rid
    assert set(ids) <= {c["resident_id"] for c in announced["candidates"]}
    first, *rest = ranked.json()["items"]
    assert (first["resident_id"], first["certified"]) == (rid, True)
    assert not any(item["certified"] for item in rest)
    assert "pengelasan" in profile["skills"]
    assert profile["in_training"] is False
    [certificate] = profile["certificates"]
    assert certificate["scheme"] == "SKKNI Pengelasan SMAW"
    for service in platform["services"].values():
        logs = service.logs()
        for secret in (payload["nik"], payload["full_name"], payload["email"], payload["phone"]):
            assert secret not in logs, (service.name, secret)


async def _publish_welding_vacancy(vacancies: httpx.AsyncClient) -> dict[str, Any]:
    company = await vacancies.post("/companies", json={
        "name": "PT Las Presisi Cikarang", "nib": "9120000000042", "kbli_code": "25111",
        "kbli_version": "2020", "industrial_estate": "Kawasan Industri Jababeka",
        "address": {"street": "Jl. Jababeka XII Blok W", "desa_kode": "32.16.09.2002"},
        "hr_contact": {"name": "Ibu HRD", "phone": "081377778888", "email": "hrd@las.co.id"},
    })  # fmt: skip
    assert company.status_code == 201, company.text
    firm = company.json()
    verified = await vacancies.post(f"/companies/{firm['company_id']}/verify")
    assert verified.status_code == 200, verified.text
    hr = {"Authorization": f"Bearer {firm['hr_token']}"}
    valid = datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=30)
    draft = await vacancies.post("/vacancies", headers=hr, json={
        "title": "Juru Las SMAW", "description": "Mengelas rangka baja.", "kbji_code": "7212.01",
        "openings": 2, "valid_until": valid.isoformat(), "education": {"minimum": 4},
        "skills": ["pengelasan"], "work_desa_kode": "32.16.09.2004",
        "work_address": "Jababeka Blok W", "contract_type": "pkwt", "contract_months": 12,
    })  # fmt: skip
    assert draft.status_code == 201, draft.text
    vacancy_id = draft.json()["vacancy_id"]
    submitted = await vacancies.post(f"/vacancies/{vacancy_id}/submit", headers=hr)
    assert submitted.status_code == 200, submitted.text
    approved = await vacancies.post(f"/vacancies/{vacancy_id}/approve", json={})
    assert approved.status_code == 200, approved.text
    return dict(approved.json())
