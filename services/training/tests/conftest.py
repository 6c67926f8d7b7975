from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from kerjalokal.auth.web import reset_rate_limits
from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac
from training import projections
from training.config import Settings
from training.main import create_app

OPERATOR = {"Authorization": "Bearer test-operator"}
TODAY = date.today()


def settings_for(database_url: str, amqp_url: str) -> Settings:
    return Settings(
        TRAINING_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        OPERATOR_TOKEN="test-operator",
        TRAINING_HOUSEKEEPING_INTERVAL=3600,
    )


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    reset_rate_limits()


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
    async with httpx.AsyncClient(transport=transport, base_url="http://training") as http:
        yield http


def registered(
    resident_id: UUID | None = None,
    *,
    birth_year: int = 2000,
    level: int = 5,
    track: str | None = "kejuruan",
    skills: tuple[str, ...] = (),
    status: str = "active",
    version: int = 1,
) -> reg.ResidentRegisteredV1:
    profile = reg.ResidentRegisteredV1.example().model_dump()["profile"] | {
        "birth_year": birth_year,
        "education": {"level": level, "track": track},
        "skills": skills,
    }
    return reg.ResidentRegisteredV1(
        resident_id=resident_id or uuid4(),
        version=version,
        registered_at=datetime.now(UTC),
        registered_by="operator",
        status=status,
        profile=profile,
    )


Apply = Callable[..., Awaitable[Any]]


@pytest.fixture
def apply(app: FastAPI) -> Apply:
    """Run a consumer's use case directly, as its handler would after the inbox check."""

    async def run(use_case: Apply, event: Any) -> None:
        async with app.state.pool.acquire() as conn, conn.transaction():
            await use_case(conn, event=event, now=datetime.now(UTC))

    return run


@pytest.fixture
def seeker(apply: Apply) -> Callable[..., Awaitable[UUID]]:
    async def make(**profile: Any) -> UUID:
        event = registered(**profile)
        await apply(projections.seeker_registered, event)
        return event.resident_id

    return make


def verified_company(company_id: UUID | None = None) -> vac.CompanyVerifiedV1:
    return vac.CompanyVerifiedV1.example().model_copy(
        update={"company_id": company_id or uuid4(), "verified_at": datetime.now(UTC)}
    )


def institution_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "blk_uptd",
        "name": f"UPTD BLK Uji {uuid4().hex[:6]}",
        "licence_number": "503/BLK/2024",
        "licence_status": "licensed",
        "address": {"street": "Jl. Raya Sriamur", "desa_kode": "32.16.05.2006"},
    } | overrides


async def new_institution(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post(
        "/institutions", json=institution_payload(**overrides), headers=OPERATOR
    )
    assert response.status_code == 201, response.text
    body = response.json()
    body["headers"] = {"Authorization": f"Bearer {body['token']}"}
    return body


def programme_payload(**overrides: Any) -> dict[str, Any]:
    return {
        "title": f"Pengelasan SMAW {uuid4().hex[:6]}",
        "vocation": "Pengelasan",
        "kbji_code": "7212.01",
        "competency_scheme": "SKKNI Pengelasan SMAW",
        "skills": ["pengelasan"],
        "hours": 160,
        "capacity": 20,
        "requirements": {"min_age": 18, "max_age": 45, "min_education_level": 4},
    } | overrides


async def new_programme(
    client: httpx.AsyncClient, headers: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        "/programmes", json=programme_payload(**overrides), headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def new_session(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    programme_id: str,
    *,
    starts: int = -3,
    days: int = 16,
    capacity: int | None = None,
) -> dict[str, Any]:
    starts_on = TODAY + timedelta(days=starts)
    payload: dict[str, Any] = {
        "starts_on": starts_on.isoformat(),
        "ends_on": (starts_on + timedelta(days=days)).isoformat(),
    }
    if capacity:
        payload["capacity"] = capacity
    response = await client.post(
        f"/programmes/{programme_id}/sessions", json=payload, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def ready(client: httpx.AsyncClient, resident_id: UUID, **overrides: Any) -> None:
    payload = {"resident_id": str(resident_id), "vocation": "Pengelasan", "kbji_code": "7212.01"}
    response = await client.post("/ready-pool", json=payload | overrides, headers=OPERATOR)
    assert response.status_code in (200, 201), response.text
