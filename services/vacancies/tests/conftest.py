import base64
import itertools
import random
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from kerjalokal.events import registry as reg
from vacancies.config import Settings
from vacancies.domain.vacancy import WIB
from vacancies.main import create_app
from vacancies.services import seekers

OPERATOR = {"Authorization": "Bearer test-operator"}
WALUYA = "32.16.09.2004"
NIK_LOOKUP_KEY = base64.b64encode(b"vacancies-and-registry-share-it!").decode()
_nib = itertools.count(random.randint(10**12, 9 * 10**12))


def settings_for(database_url: str, amqp_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "VACANCIES_DATABASE_URL": database_url,
        "AMQP_URL": amqp_url,
        "OPERATOR_TOKEN": "test-operator",
        "NIK_LOOKUP_KEY": NIK_LOOKUP_KEY,
        "VACANCIES_SWEEP_INTERVAL": 3600,
        "VACANCIES_INDEX_REFRESH": 3600,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def settings(fresh_database, vhost_url) -> Settings:
    return settings_for(await fresh_database(), vhost_url)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://vacancies") as http:
        yield http


async def api_key(client: httpx.AsyncClient, role: str, **scope: str) -> dict[str, str]:
    """Bearer headers of a key an operator issued at /api-keys."""
    response = await client.post(
        "/api-keys",
        json={"role": role, "label": f"uji {role}", "scope": scope},
        headers=OPERATOR,
    )
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


@pytest.fixture
async def waluya_admin(client: httpx.AsyncClient) -> dict[str, str]:
    """The village admin of Waluya (a key scoped to its desa)."""
    return await api_key(client, "village_admin", desa_kode=WALUYA)


def today() -> date:
    """Today in Bekasi (WIB), as the service counts validity and start dates."""
    return datetime.now(WIB).date()


def company_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"PT Uji Manufaktur {uuid4().hex[:6]}",
        "nib": f"{next(_nib):013d}",
        "kbli_code": "29100",
        "kbli_version": "2020",
        "industrial_estate": "Kawasan Industri Jababeka",
        "address": {"street": "Jl. Jababeka Raya Blok A1", "desa_kode": "32.16.09.2002"},
        "hr_contact": {
            "name": "Ibu Ratna Personalia",
            "phone": "081298765432",
            "email": "hrd@contoh.co.id",
        },
    } | overrides


def vacancy_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Operator Las (Welder)",
        "description": "Mengelas komponen rangka sesuai gambar kerja.",
        "kbji_code": "7212.01",
        "openings": 3,
        "valid_until": (today() + timedelta(days=30)).isoformat(),
        "education": {"minimum": 5, "track": "kejuruan"},
        "skills": ["pengelasan"],
        "wage": {"minimum": 5_558_515, "maximum": 6_000_000},
        "work_desa_kode": "32.16.09.2004",
        "work_address": "Kawasan Industri Jababeka Blok A",
        "contract_type": "pkwt",
        "contract_months": 12,
        "shifts": ["pagi", "malam"],
        "local_share_percent": 60,
        "how_to_apply": "Daftar melalui petugas Disnaker atau admin desa. Tanpa biaya apa pun.",
    } | overrides


async def company(client: httpx.AsyncClient, *, verified: bool = True, **overrides: Any) -> dict:
    response = await client.post("/companies", json=company_payload(**overrides), headers=OPERATOR)
    assert response.status_code == 201, response.text
    body = response.json()
    if verified:
        answer = await client.post(f"/companies/{body['company_id']}/verify", headers=OPERATOR)
        assert answer.status_code == 200, answer.text
    return body | {"hr": {"Authorization": f"Bearer {body['hr_token']}"}}


async def vacancy(
    client: httpx.AsyncClient, hr: dict, *, publish: bool = True, **fields: Any
) -> dict:
    response = await client.post("/vacancies", json=vacancy_payload(**fields), headers=hr)
    assert response.status_code == 201, response.text
    body = response.json()
    if publish:
        vid = body["vacancy_id"]
        assert (await client.post(f"/vacancies/{vid}/submit", headers=hr)).status_code == 200
        approved = await client.post(f"/vacancies/{vid}/approve", json={}, headers=OPERATOR)
        assert approved.status_code == 200, approved.text
        body = approved.json()
    return body


def profile(**overrides: Any) -> reg.Profile:
    desa = overrides.pop("desa_kode", WALUYA)
    local = overrides.pop("is_local", True)
    education = overrides.pop(
        "education", {"level": 5, "track": "kejuruan", "major": "Teknik Mesin"}
    )
    values = {
        "domicile": {
            "desa_kode": desa,
            "kecamatan_kode": desa[:8],
            "kabkota_kode": desa[:5],
            "is_local": local,
            "kepmendagri": "Kepmendagri No 300.2.2-2138 Tahun 2025",
        },
        "sex": "L",
        "birth_year": today().year - 25,
        "education": education,
        "skills": ["pengelasan"],
        "certificates": [],
    }
    return reg.Profile.model_validate(values | overrides)


async def add_seeker(
    app: FastAPI, *, status: str = "active", nik_lookup: str | None = None, **overrides: Any
) -> UUID:
    """A seeker in the projection and the index, as the registry's events would leave it."""
    resident_id = uuid4()
    now = datetime.now(UTC)
    async with app.state.pool.acquire() as conn, conn.transaction():
        _, after = await seekers.apply(
            conn, resident_id, version=2, now=now, profile=profile(**overrides), status=status
        )
        if nik_lookup:
            await conn.execute(
                "UPDATE seeker SET nik_lookup = $2 WHERE resident_id = $1", resident_id, nik_lookup
            )
    assert after is not None
    app.state.index.upsert(after)
    return resident_id
