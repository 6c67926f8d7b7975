"""HR desks' API keys (issued, replaced, revoked) and the fields a role may not set."""

import httpx
import pytest
from fastapi import FastAPI

from ..conftest import OPERATOR, add_seeker, company, vacancy, vacancy_payload

pytestmark = pytest.mark.integration


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_an_hr_desk_key_is_issued_replaced_listed_and_revoked(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    acme = await company(client)
    cid = acme["company_id"]
    assert acme["hr_token"].startswith("kl_vacancies_")
    second = await client.post(f"/companies/{cid}/tokens?expires_in_days=30", headers=OPERATOR)
    assert second.status_code == 201, second.text
    spare = bearer(second.json()["hr_token"])
    for desk in (acme["hr"], spare):  # adding a key leaves the others working
        assert (await client.get(f"/companies/{cid}", headers=desk)).status_code == 200
    listed = (await client.get("/api-keys", headers=OPERATOR)).json()
    ours = [k for k in listed if k["scope"] == {"company_id": cid}]
    assert {k["key_id"] for k in ours} == {acme["hr_key_id"], second.json()["key_id"]}
    assert all(k["role"] == "company" for k in ours)
    assert "hr_token" not in str(listed)
    assert acme["hr_token"] not in str(listed)
    stored = await app.state.pool.fetchval("SELECT count(*) FROM api_key WHERE label LIKE 'HRD %'")
    assert stored == 2
    replaced = await client.post(f"/companies/{cid}/tokens?revoke_others=true", headers=OPERATOR)
    fresh = bearer(replaced.json()["hr_token"])
    assert (await client.get("/vacancies", headers=acme["hr"])).status_code == 401
    assert (await client.get("/vacancies", headers=spare)).status_code == 401
    assert (await client.get("/vacancies", headers=fresh)).status_code == 200
    gone = await client.delete(f"/api-keys/{replaced.json()['key_id']}", headers=OPERATOR)
    assert gone.status_code == 204
    assert (await client.get("/vacancies", headers=fresh)).status_code == 401
    missing = await client.post(
        "/companies/00000000-0000-4000-8000-000000000000/tokens", headers=OPERATOR
    )
    assert missing.status_code == 404


async def test_a_company_key_from_the_key_admin_needs_an_existing_company(
    client: httpx.AsyncClient,
) -> None:
    acme = await company(client)
    for scope in ({"company_id": "00000000-0000-4000-8000-000000000000"}, {}):
        refused = await client.post(
            "/api-keys",
            json={"role": "company", "label": "HRD palsu", "scope": scope},
            headers=OPERATOR,
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", "scope"]
    made = await client.post(
        "/api-keys",
        json={"role": "company", "label": "HRD kedua", "scope": {"company_id": acme["company_id"]}},
        headers=OPERATOR,
    )
    assert made.status_code == 201, made.text
    desk = bearer(made.json()["key"])
    assert (await client.get(f"/companies/{acme['company_id']}", headers=desk)).status_code == 200


async def test_fields_a_role_may_not_set_are_refused_naming_them(
    client: httpx.AsyncClient, app: FastAPI, waluya_admin: dict[str, str]
) -> None:
    acme, other = await company(client), await company(client)
    hr = acme["hr"]

    async def refused(method: str, path: str, body: dict, headers: dict) -> list:
        answer = await client.request(method, path, json=body, headers=headers)
        assert answer.status_code == 422, answer.text
        return [error["loc"] for error in answer.json()["detail"]]

    assert ["body", "verified"] in await refused(
        "POST", "/vacancies", vacancy_payload(verified=True), hr
    )
    assert ["body", "status"] in await refused(
        "POST", "/vacancies", vacancy_payload(status="published"), hr
    )
    assert ["body", "company_id"] in await refused(
        "POST", "/vacancies", vacancy_payload(company_id=other["company_id"]), hr
    )
    draft = await vacancy(client, hr, publish=False)
    assert ["body", "company_id"] in await refused(
        "PATCH", f"/vacancies/{draft['vacancy_id']}", {"company_id": other["company_id"]}, hr
    )
    assert ["body", "hires"] in await refused(
        "PATCH", f"/vacancies/{draft['vacancy_id']}", {"hires": 3}, hr
    )
    public = await vacancy(client, hr)
    rid = await add_seeker(app)
    made = await client.post(
        "/applications",
        json={"vacancy_id": public["vacancy_id"], "resident_id": str(rid)},
        headers=waluya_admin,
    )
    assert made.status_code == 201, made.text
    aid = made.json()["application_id"]
    for status in (
        "cancelled",
        "withdrawn",
        "obsolete",
    ):  # the office's, the seeker's, the system's
        assert ["body", "status"] in await refused(
            "POST", f"/applications/{aid}/transitions", {"status": status}, hr
        )
    for status in ("screening", "hired", "cancelled"):
        assert ["body", "status"] in await refused(
            "POST", f"/applications/{aid}/transitions", {"status": status}, waluya_admin
        )
    assert ["body", "channel"] in await refused(
        "POST",
        "/applications",
        {"vacancy_id": public["vacancy_id"], "resident_id": str(rid), "channel": "referral"},
        waluya_admin,
    )
    assert ["body", "submitted_by_kind"] in await refused(
        "POST",
        "/applications",
        {"vacancy_id": public["vacancy_id"], "resident_id": str(rid), "submitted_by_kind": "x"},
        waluya_admin,
    )
    cancelled = await client.post(
        f"/applications/{aid}/transitions", json={"status": "cancelled"}, headers=OPERATOR
    )
    assert cancelled.status_code == 200, cancelled.text


async def test_every_answer_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/vacancies", "/docs"):
        answer = await client.get(path, headers=OPERATOR)
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" in answer.headers
    docs = await client.get("/docs")
    assert docs.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
