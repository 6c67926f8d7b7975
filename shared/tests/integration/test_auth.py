"""The auth chassis against the real PostgreSQL: keys are shown once and kept hashed, scoped,
expire and can be revoked; the admin endpoints refuse what a key may not be; the headers and the
rate limit are on the answers."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

import asyncpg
import httpx
import pytest
from fastapi import Depends, FastAPI
from fastapi.responses import HTMLResponse
from pydantic import SecretStr

from kerjalokal.auth import keys
from kerjalokal.auth.admin import install_key_admin
from kerjalokal.auth.fastapi import AuthConfig, Caller, require
from kerjalokal.auth.principal import Principal, ScopeError, check_scope
from kerjalokal.auth.web import RateLimit, SecurityHeaders, reset_rate_limits
from kerjalokal.db.migrate import chassis_migrations, migrate

pytestmark = pytest.mark.integration
OPERATOR = "operator-bootstrap-token"
DESA = "32.16.05.2001"


@pytest.fixture
async def pool(fresh_database) -> AsyncIterator[asyncpg.Pool]:
    url = await fresh_database()
    async with asyncpg.create_pool(url, min_size=1, max_size=4) as pool:
        async with pool.acquire() as conn:
            await migrate(conn, chassis_migrations())
        yield pool


@pytest.fixture
async def client(pool: asyncpg.Pool) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.state.pool = pool
    app.state.auth = AuthConfig(service="demo", operator_token=SecretStr(OPERATOR))
    app.add_middleware(SecurityHeaders)
    install_key_admin(app, service="demo", roles=("operator", "village_admin", "company"))

    @app.get("/whoami")
    async def whoami(who: Caller) -> dict[str, object]:
        return {"role": who.role, "scope": who.scope, "key_id": who.key_id}

    @app.get("/operators-only")
    async def operators_only(who: Annotated[Principal, Depends(require("operator"))]) -> str:
        return who.label

    @app.get(
        "/page",
        response_class=HTMLResponse,
        dependencies=[Depends(RateLimit("3/minute", name="page"))],
    )
    async def page() -> str:
        return "<p>halo</p>"

    reset_rate_limits()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def issue(client: httpx.AsyncClient, **body: object) -> httpx.Response:
    return await client.post("/api-keys", json=body, headers=bearer(OPERATOR))


async def test_a_key_is_shown_once_kept_hashed_and_scoped(client, pool) -> None:
    made = await issue(
        client, role="village_admin", label="Admin Desa Sukamaju", scope={"desa_kode": DESA}
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    key_id = made.json()["key_id"]
    assert key.startswith(f"kl_demo_{key_id}_")

    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM api_key WHERE key_id = $1", key_id)
    secret = key.rsplit("_", 1)[1] if key.count("_") == 3 else key[len(f"kl_demo_{key_id}_") :]
    assert bytes(row["secret_sha256"]) == hashlib.sha256(secret.encode()).digest()
    assert secret not in str(dict(row))

    who = await client.get("/whoami", headers=bearer(key))
    assert who.json() == {"role": "village_admin", "scope": {"desa_kode": DESA}, "key_id": key_id}
    listed = await client.get("/api-keys", headers=bearer(OPERATOR))
    assert [k["key_id"] for k in listed.json()] == [key_id]
    assert "key" not in listed.json()[0]
    assert (await client.get("/operators-only", headers=bearer(key))).status_code == 403


async def test_revoked_expired_wrong_service_and_wrong_secret_keys_are_refused(
    client, pool
) -> None:
    made = (
        await issue(
            client,
            role="company",
            label="HRD PT Contoh",
            scope={"company_id": "0c7e2a9d-1b3c-4d5e-8f90-a1b2c3d4e5f6"},
        )
    ).json()
    key, key_id = made["key"], made["key_id"]
    assert (await client.get("/whoami", headers=bearer(key))).status_code == 200

    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    other_service = key.replace("kl_demo_", "kl_registry_")
    for wrong in (tampered, other_service, "kl_demo_00000000_" + "x" * 43, "nonsense"):
        answer = await client.get("/whoami", headers=bearer(wrong))
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"

    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE api_key SET expires_at = now() - interval '1 second' WHERE key_id = $1", key_id
        )
    assert (await client.get("/whoami", headers=bearer(key))).status_code == 401
    async with pool.acquire() as conn:
        await conn.execute(
            "UPDATE api_key SET expires_at = now() + interval '1 day' WHERE key_id = $1", key_id
        )
    assert (await client.get("/whoami", headers=bearer(key))).status_code == 200

    assert (await client.delete(f"/api-keys/{key_id}", headers=bearer(OPERATOR))).status_code == 204
    assert (await client.get("/whoami", headers=bearer(key))).status_code == 401
    assert (await client.delete("/api-keys/ffffffff", headers=bearer(OPERATOR))).status_code == 404
    ended = await client.get("/api-keys?include_ended=true", headers=bearer(OPERATOR))
    assert ended.json()[0]["revoked_at"] is not None
    assert (await client.get("/api-keys", headers=bearer(OPERATOR))).json() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "institution", "label": "LPK X"}, "role"),  # not a role of this service
        ({"role": "company", "label": "HRD"}, "scope"),  # a company key names its company
        (
            {
                "role": "village_admin",
                "label": "Admin",
                "scope": {"desa_kode": DESA, "kecamatan_kode": "32.16.05"},
            },
            "scope",
        ),
        ({"role": "operator", "label": "Staf", "scope": {"desa_kode": DESA}}, "scope"),
        ({"role": "operator", "label": "Staf", "expires_in_days": 1000}, "expires_in_days"),
        ({"role": "operator", "label": "Staf", "admin": True}, "admin"),  # refused, not ignored
        (
            {"role": "village_admin", "label": "Admin", "scope": {"desa_kode": "3216052001"}},
            "desa_kode",
        ),
    ],
)
async def test_a_key_that_does_not_fit_its_role_is_refused_naming_the_field(
    client, body, field
) -> None:
    answer = await issue(client, **body)
    assert answer.status_code == 422, answer.text
    assert any(field in [str(p) for p in error["loc"]] for error in answer.json()["detail"]), (
        answer.json()
    )


async def test_only_operators_manage_keys(client) -> None:
    key = (
        await issue(
            client, role="village_admin", label="Admin", scope={"kecamatan_kode": "32.16.05"}
        )
    ).json()["key"]
    assert (await client.get("/api-keys")).status_code == 401
    assert (await client.get("/api-keys", headers=bearer(key))).status_code == 403
    assert (await issue(client, role="operator", label="x" * 3)).status_code == 201
    answer = await client.post(
        "/api-keys", json={"role": "operator", "label": "Staf"}, headers=bearer(key)
    )
    assert answer.status_code == 403


def test_a_district_admin_covers_the_desa_of_its_kecamatan_only() -> None:
    district = Principal(
        role="village_admin", subject="camat", scope={"kecamatan_kode": "32.16.05"}
    )
    village = Principal(role="village_admin", subject="desa", scope={"desa_kode": DESA})
    assert district.covers_desa("32.16.05.2001")
    assert not district.covers_desa("32.16.050.2001")
    assert not district.covers_desa("32.16.15.2001")
    assert village.covers_desa(DESA)
    assert not village.covers_desa("32.16.05.2002")
    operator = Principal(role="operator", subject="disnaker")
    assert not operator.covers_desa(DESA)  # operators see everything by role, not by scope
    with pytest.raises(ScopeError):
        check_scope("company", {"company_id": "not-a-uuid"})


async def test_issue_refuses_an_endless_key(pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(ValueError, match="days"):
            await keys.issue(
                conn,
                service="demo",
                role="operator",
                subject="x",
                scope={},
                label="x",
                created_by="test",
                now=datetime.now(UTC),
                lifetime=timedelta(days=5000),
            )


async def test_html_answers_carry_the_security_headers_and_pages_are_rate_limited(client) -> None:
    page = await client.get("/page")
    assert page.status_code == 200
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    api = await client.get("/api-keys", headers=bearer(OPERATOR))
    assert api.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in api.headers  # JSON is not rendered
    await client.get("/page")
    await client.get("/page")
    limited = await client.get("/page")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Terlalu banyak" in limited.json()["detail"]
