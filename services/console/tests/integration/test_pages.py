"""The pages and the API behind the operator token: login, cookie, CSRF, 401 and 422."""

import re

import httpx
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
async def browser(app) -> httpx.AsyncClient:  # no bearer token: a person with a browser
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as http:
        yield http


async def test_pages_ask_for_the_login_and_the_cookie_opens_them(browser) -> None:
    first = await browser.get("/tracker")
    assert first.status_code == 303
    assert first.headers["location"] == "/login?next=/tracker"
    wrong = await browser.post("/login", data={"token": "nope", "next": "/tracker"})
    assert wrong.status_code == 401
    assert "Token atau kunci salah" in wrong.text
    login = await browser.post("/login", data={"token": "test-operator", "next": "/tracker"})
    assert login.status_code == 303
    assert login.headers["location"] == "/tracker"
    cookie = login.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    pages = {
        "/": "Ringkasan",
        "/tracker": "Pelacak target",
        "/laporan": "Laporan pasar kerja bulanan",
        "/stream": "Event langsung",
        "/dead-letters": "Pesan gagal",
        "/queues": "Kesehatan antrean",
        "/penghapusan": "Penghapusan data warga",
    }
    for path, title in pages.items():
        page = await browser.get(path)
        assert page.status_code == 200, path
        assert title in page.text
        assert '<html lang="id">' in page.text
    assert (await browser.get("/api/projection")).status_code == 200  # the cookie opens the API too


async def test_forms_need_the_csrf_token_of_the_session(browser) -> None:
    await browser.post("/login", data={"token": "test-operator"})
    forged = await browser.post("/projection/rebuild", data={"csrf": "forged"})
    assert forged.status_code == 403
    page = (await browser.get("/")).text
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    done = await browser.post("/projection/rebuild", data={"csrf": csrf})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/?pesan=")


async def test_the_api_needs_the_operator_token(app, client) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as anonymous:
        assert (await anonymous.get("/api/tracker")).status_code == 401
        bad = await anonymous.get("/api/queues", headers={"Authorization": "Bearer wrong"})
        assert bad.status_code == 401
    assert (await client.get("/api/tracker")).status_code == 404  # no campaign yet
    for path in ("/health", "/ready", "/metrics", "/asyncapi.json"):
        assert (await anonymous_get(app, path)).status_code == 200, path


async def anonymous_get(app, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://console") as http:
        return await http.get(path)


async def test_bad_campaigns_get_a_422_naming_the_field(client) -> None:
    good = {
        "name": "100 hari kerja",
        "target": 3000,
        "starts_on": "2026-11-02",
        "working_days": 100,
    }
    for field, value in (
        ("target", 0),
        ("starts_on", "kemarin"),
        ("working_days", -3),
        ("name", ""),
    ):
        response = await client.put("/api/campaigns/seratus-hari", json=good | {field: value})
        assert response.status_code == 422
        assert response.json()["detail"][0]["loc"] == ["body", field]
    slug = await client.put("/api/campaigns/Bad Slug!", json=good)
    assert slug.status_code == 422
    assert slug.json()["detail"][0]["loc"] == ["path", "slug"]
    saved = await client.put("/api/campaigns/seratus-hari", json=good)
    assert saved.status_code == 200
    # 2 Nov 2026 + 100 working days, weekends and the holidays of Dec 2026 to Mar 2027 skipped
    assert saved.json()["deadline"] == "2027-04-07"
    asyncapi = (await client.get("/asyncapi.json")).json()
    assert "kerjalokal.events.log" in str(asyncapi)
