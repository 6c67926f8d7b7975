"""Who may call what: every route of the app (walked from app.routes, so a new endpoint without
a row here fails) for the operator token, an operator key, an agency key, a service key, no key,
an expired key and a revoked key; sessions that end with their key; the login's rate limit;
security headers on every HTML page."""

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.auth.web import reset_rate_limits

from ..conftest import OPERATOR

pytestmark = pytest.mark.integration

# What each route is: who may call it. API routes are called with `Authorization: Bearer`, pages
# and forms with the session cookie of a login.
PUBLIC = "public"  # anyone, no key
LOGIN = "login"  # the login form's post: anyone, a wrong credential is a 401
READ_API = "read_api"  # operator, agency, service
OPERATOR_API = "operator_api"  # operator only
READ_PAGE = "read_page"  # a logged-in operator or agency
OPERATOR_PAGE = "operator_page"  # a logged-in operator
READ_FORM = "read_form"  # a logged-in operator or agency, with the CSRF token
OPERATOR_FORM = "operator_form"  # a logged-in operator, with the CSRF token

ROUTES: dict[str, str] = {
    "GET /openapi.json": PUBLIC,
    "GET /docs": PUBLIC,
    "GET /docs/oauth2-redirect": PUBLIC,
    "GET /redoc": PUBLIC,
    "GET /health": PUBLIC,
    "GET /ready": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /asyncapi.json": PUBLIC,
    "GET /login": PUBLIC,
    "POST /login": LOGIN,
    "POST /logout": READ_FORM,
    # the JSON API
    "PUT /api/campaigns/{slug}": OPERATOR_API,
    "GET /api/campaigns": READ_API,
    "GET /api/tracker": READ_API,
    "GET /api/laporan": READ_API,
    "GET /laporan.csv": READ_API,
    "GET /stream/events": READ_API,
    "GET /api/dead-letters": OPERATOR_API,
    "GET /api/dead-letters/{dead_letter_id}": OPERATOR_API,
    "POST /api/dead-letters/{dead_letter_id}/replay": OPERATOR_API,
    "POST /api/dead-letters/replay": OPERATOR_API,
    "POST /api/dead-letters/{dead_letter_id}/discard": OPERATOR_API,
    "GET /api/queues": OPERATOR_API,
    "GET /api/projection": OPERATOR_API,
    "POST /api/projection/rebuild": OPERATOR_API,
    "GET /erasures": OPERATOR_API,
    "POST /api-keys": OPERATOR_API,
    "GET /api-keys": OPERATOR_API,
    "DELETE /api-keys/{key_id}": OPERATOR_API,
    # the pages
    "GET /": READ_PAGE,  # an agency is sent on to /tracker
    "GET /tracker": READ_PAGE,
    "GET /laporan": READ_PAGE,
    "GET /stream": READ_PAGE,
    "GET /dead-letters": OPERATOR_PAGE,
    "POST /dead-letters/{dead_letter_id}/replay": OPERATOR_FORM,
    "POST /dead-letters/{dead_letter_id}/discard": OPERATOR_FORM,
    "POST /dead-letters/replay-all": OPERATOR_FORM,
    "GET /queues": OPERATOR_PAGE,
    "POST /projection/rebuild": OPERATOR_FORM,
    "GET /penghapusan": OPERATOR_PAGE,
}
MOUNTS = {"/static", "/asyncapi"}
PATH_VALUES = {"slug": "uji-matriks", "dead_letter_id": "999999", "key_id": "0000dead"}
QUERY = {"/stream/events": {"from": "kemarin"}}  # a 422 after the role check: no endless stream
BODY: dict[str, Any] = {
    "PUT /api/campaigns/{slug}": {
        "name": "Uji matriks",
        "target": 5,
        "starts_on": "2026-11-02",
        "working_days": 20,
    },
    "POST /api/dead-letters/{dead_letter_id}/discard": {"note": "uji / test"},
    "POST /api-keys": {"role": "agency", "label": "matrix key"},
}
FORM = {"POST /dead-letters/{dead_letter_id}/discard": {"note": "uji / test"}}

API_CALLERS = ("operator", "operator_key", "agency", "service", "none", "expired", "revoked")
PAGE_CALLERS = ("operator", "operator_key", "agency", "none", "expired", "revoked")
ALLOWED = {
    READ_API: {"operator", "operator_key", "agency", "service"},
    OPERATOR_API: {"operator", "operator_key"},
    READ_PAGE: {"operator", "operator_key", "agency"},
    OPERATOR_PAGE: {"operator", "operator_key"},
    READ_FORM: {"operator", "operator_key", "agency"},
    OPERATOR_FORM: {"operator", "operator_key"},
}
SIGNED_IN = {"operator", "operator_key", "agency"}


def walk(routes: list[Any]) -> Iterator[Any]:
    """Every route, into included routers too (FastAPI keeps them as lazy branches)."""
    for route in routes:
        if hasattr(route, "effective_candidates"):
            yield from walk(route.effective_candidates())
        else:
            yield route


def endpoints(app: FastAPI) -> list[str]:
    found, mounts = [], set()
    for route in walk(app.routes):
        methods = getattr(route, "methods", None)
        if methods is None:
            mounts.add(route.path)
            continue
        found += [f"{m} {route.path}" for m in sorted(methods) if m != "HEAD"]
    assert mounts == MOUNTS
    return found


async def issue(client: httpx.AsyncClient, role: str, label: str) -> dict[str, Any]:
    response = await client.post("/api-keys", json={"role": role, "label": label})
    assert response.status_code == 201, response.text
    return dict(response.json())


async def end_key(app: FastAPI, client: httpx.AsyncClient, key: dict[str, Any], how: str) -> None:
    if how == "revoked":
        assert (await client.delete(f"/api-keys/{key['key_id']}")).status_code == 204
    else:
        await app.state.pool.execute(
            "UPDATE api_key SET expires_at = now() - interval '1 second' WHERE key_id = $1",
            key["key_id"],
        )


def http(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://console", headers=headers
    )


async def log_in(app: FastAPI, credential: str) -> httpx.AsyncClient:
    """A browser with a session (close it with `aclose`)."""
    browser = http(app)
    response = await browser.post("/login", data={"token": credential, "next": "/tracker"})
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/tracker"
    return browser


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    return found.group(1) if found else "none"


@pytest.fixture
async def callers(app: FastAPI, client: httpx.AsyncClient) -> AsyncIterator[dict[str, Any]]:
    """Bearer clients and logged-in browsers for each kind of caller."""
    keys = {
        "operator_key": await issue(client, "operator", "matrix operator"),
        "agency": await issue(client, "agency", "matrix agency"),
        "service": await issue(client, "service", "matrix service"),
        "expired": await issue(client, "operator", "matrix expired"),
        "revoked": await issue(client, "operator", "matrix revoked"),
    }
    api = {"operator": http(app, **OPERATOR), "none": http(app)}
    api |= {name: http(app, Authorization=f"Bearer {k['key']}") for name, k in keys.items()}
    pages = {"operator": await log_in(app, "test-operator"), "none": http(app)}
    for name in ("operator_key", "agency", "expired", "revoked"):
        pages[name] = await log_in(app, keys[name]["key"])
    # The two ended keys were live at login; their sessions must end with them.
    await end_key(app, client, keys["expired"], "expired")
    await end_key(app, client, keys["revoked"], "revoked")
    reset_rate_limits()  # the logins above count
    csrf = {}
    for name, browser in pages.items():
        csrf[name] = csrf_of((await browser.get("/tracker")).text) if name in SIGNED_IN else "x"
    yield {"api": api, "pages": pages, "csrf": csrf, "keys": keys}
    for client_ in (*api.values(), *pages.values()):
        await client_.aclose()


def to_login(response: httpx.Response) -> bool:
    return response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_every_route_for_every_role(app, callers) -> None:
    seen = endpoints(app)
    missing = sorted(set(seen) - set(ROUTES))
    assert not missing, f"routes without a row in ROUTES: {missing}"
    assert not sorted(set(ROUTES) - set(seen)), "rows for routes that are gone"
    problems = []
    # Logging out last: it ends the sessions the other pages are called with.
    for endpoint in sorted(seen, key=lambda e: e == "POST /logout"):
        kind = ROUTES[endpoint]
        method, template = endpoint.split(" ", 1)
        path = template.format(**PATH_VALUES)
        query = QUERY.get(template, {})
        page = kind in (READ_PAGE, OPERATOR_PAGE, READ_FORM, OPERATOR_FORM)
        for name in PAGE_CALLERS if page else API_CALLERS:
            client = callers["pages" if page else "api"][name]
            if kind in (READ_FORM, OPERATOR_FORM):
                data = FORM.get(endpoint, {}) | {"csrf": callers["csrf"][name]}
                response = await client.request(method, path, data=data)
            elif kind == LOGIN:
                response = await client.request(method, path, data={"token": "wrong"})
            else:
                response = await client.request(method, path, params=query, json=BODY.get(endpoint))
            status = response.status_code
            if kind == PUBLIC:
                ok = status == 200
            elif kind == LOGIN:
                ok = status == 401
            elif endpoint == "POST /logout":  # both answers go to /login: the cookie tells
                ended = "kerjalokal_console=" in response.headers.get("set-cookie", "")
                ok = to_login(response) and ended == (name in ALLOWED[kind])
            elif name in ALLOWED[kind]:
                ok = status not in (401, 403, 500) and not to_login(response)
            elif page:
                ok = to_login(response) if name not in SIGNED_IN else status == 403
            else:
                ok = status == (403 if name in ("agency", "service") else 401)
            if not ok:
                problems.append(f"{endpoint} as {name}: {status} {response.text[:120]}")
    assert not problems, "\n".join(problems)


async def test_agency_sees_public_figures_only(app, client, callers) -> None:
    agency = callers["pages"]["agency"]
    home = await agency.get("/")
    assert home.status_code == 303
    assert home.headers["location"] == "/tracker"
    tracker = await agency.get("/tracker")
    assert tracker.status_code == 200
    assert 'href="/dead-letters"' not in tracker.text  # not in its menu either
    assert 'href="/laporan"' in tracker.text
    dead = await agency.get("/dead-letters")
    assert dead.status_code == 403
    assert "Tidak berwenang" in dead.text
    # The cookie also opens the API, with the same role.
    assert (await agency.get("/api/dead-letters")).status_code == 403
    assert (await agency.get("/api/laporan")).status_code == 200


async def test_a_session_ends_when_its_key_is_revoked(app, client) -> None:
    key = await issue(client, "operator", "revoked mid-session")
    browser = await log_in(app, key["key"])
    try:
        assert (await browser.get("/dead-letters")).status_code == 200
        assert (await browser.get("/api/queues")).status_code == 200
        cookie = browser.cookies.get("kerjalokal_console")
        assert key["key_id"] in cookie  # the cookie names its key and role
        assert cookie.startswith("operator.")
        assert (await client.delete(f"/api-keys/{key['key_id']}")).status_code == 204
        assert to_login(await browser.get("/dead-letters"))
        assert (await browser.get("/api/queues")).status_code == 401
        # A forged role in the cookie breaks its signature.
        browser.cookies.set("kerjalokal_console", cookie.replace("operator.", "agency.", 1))
        assert to_login(await browser.get("/tracker"))
    finally:
        await browser.aclose()


async def test_the_login_refuses_what_cannot_log_in(app, client) -> None:
    service = await issue(client, "service", "a program")
    async with http(app) as browser:
        refused = await browser.post("/login", data={"token": service["key"]})
        assert refused.status_code == 401  # a service account is for programs, not people
        assert "kerjalokal_console" not in refused.headers.get("set-cookie", "")
        other = await browser.post("/login", data={"token": "kl_registry_0000dead_" + "a" * 43})
        assert other.status_code == 401
    # A session never outlives its key.
    short = await client.post(
        "/api-keys", json={"role": "agency", "label": "one day", "expires_in_days": 1}
    )
    async with http(app) as browser:
        login = await browser.post("/login", data={"token": short.json()["key"]})
        max_age = int(re.search(r"Max-Age=(\d+)", login.headers["set-cookie"]).group(1))
        assert max_age <= 8 * 3600
    async with http(app) as browser:
        login = await browser.post("/login", data={"token": "test-operator"})
        max_age = int(re.search(r"Max-Age=(\d+)", login.headers["set-cookie"]).group(1))
        assert 8 * 3600 - 5 <= max_age <= 8 * 3600


async def test_the_login_is_rate_limited(app) -> None:
    async with http(app) as browser:
        for _ in range(10):
            assert (await browser.post("/login", data={"token": "guess"})).status_code == 401
        limited = await browser.post("/login", data={"token": "test-operator"})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert "Terlalu banyak permintaan" in limited.text
        for _ in range(60):
            assert (await browser.get("/login")).status_code == 200
        assert (await browser.get("/login")).status_code == 429


async def test_html_pages_carry_the_security_headers(app) -> None:
    browser = await log_in(app, "test-operator")
    try:
        pages = [
            "/",
            "/tracker",
            "/laporan",
            "/stream",
            "/dead-letters",
            "/queues",
            "/penghapusan",
            "/login",
        ]
        for path in pages:
            response = await browser.get(path)
            assert response.status_code == 200, path
            csp = response.headers["content-security-policy"]
            assert "script-src 'self'" in csp
            assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
            assert "frame-ancestors 'none'" in csp
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["x-content-type-options"] == "nosniff"
            assert "<script>" not in response.text, path  # no inline script
            assert "onsubmit=" not in response.text, path
            assert "onclick=" not in response.text, path
        docs = await browser.get("/docs")
        assert "cdn.jsdelivr.net" in docs.headers["content-security-policy"]
        api = await browser.get("/api/tracker")
        assert api.headers["x-content-type-options"] == "nosniff"
    finally:
        await browser.aclose()
