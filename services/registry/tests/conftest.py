import base64
import os
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI

from registry.config import Settings
from registry.main import create_app

OPERATOR = {"Authorization": "Bearer test-operator"}
WALUYA = "32.16.09.2004"
SUKADAMI = "32.16.19.2004"
CIKARANG_UTARA = "32.16.09"  # the kecamatan of Waluya
NIK_LOOKUP_KEY = base64.b64encode(b"vacancies-and-registry-share-it!").decode()


def settings_for(database_url: str, amqp_url: str) -> Settings:
    return Settings(
        REGISTRY_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        REGISTRY_NIK_HMAC_KEY=base64.b64encode(os.urandom(32)).decode(),
        REGISTRY_DATA_KEY=base64.b64encode(os.urandom(32)).decode(),
        NIK_LOOKUP_KEY=NIK_LOOKUP_KEY,
        OPERATOR_TOKEN="test-operator",
        REGISTRY_SWEEP_INTERVAL=3600,
    )


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
    async with httpx.AsyncClient(transport=transport, base_url="http://registry") as http:
        yield http


async def issue_key(
    client: httpx.AsyncClient, role: str, label: str, **scope: str
) -> dict[str, str]:
    """A key issued over HTTP by the operator, as the Authorization header that carries it."""
    body = {"role": role, "label": label, "scope": scope}
    response = await client.post("/api-keys", json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['key']}"}


@pytest.fixture
async def waluya_admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await issue_key(client, "village_admin", "Admin Desa Waluya", desa_kode=WALUYA)
