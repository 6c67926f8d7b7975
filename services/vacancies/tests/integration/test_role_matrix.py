"""Every route of the service, for every kind of caller, against an own, a foreign and a missing
object. The routes are read from the app itself: a route without a row here fails the test, and
so does a row without its route. A foreign object answers exactly like a missing one."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.auth import keys
from vacancies.main import SERVICE

from ..conftest import (
    OPERATOR,
    WALUYA,
    add_seeker,
    api_key,
    company,
    company_payload,
    vacancy,
    vacancy_payload,
)

pytestmark = pytest.mark.integration
ELSEWHERE = "32.16.19.2004"  # Sukadami, another desa
MISSING = "00000000-0000-4000-8000-000000000000"

# Callers, and the role each one has (None: no valid key at all).
ROLE_OF: dict[str, str | None] = {
    "operator": "operator",
    "hr_a": "company",  # HR desk of company A: A's objects are its own
    "hr_b": "company",  # HR desk of company B: A's objects are foreign to it
    "village_a": "village_admin",  # admin of Waluya, where resident A lives
    "village_b": "village_admin",  # admin of Sukadami, where resident B lives
    "agency": "agency",
    "institution": "institution",
    "service": "service",
    "no_key": None,
    "expired_key": None,
    "revoked_key": None,
}
READERS = {"village_admin", "agency", "institution", "service"}
OK = {200, 201, 204, 409}  # let through: done, or refused by a rule about the object's state
Sees = Callable[[str, str], bool]


def scoped(caller: str, obj: str) -> bool:
    """Company objects: the office sees all, an HR desk its own company's."""
    return caller == "operator" or caller == f"hr_{obj}"


def vacancy_seen(caller: str, obj: str) -> bool:
    """Vacancy A is published (public), vacancy B a draft (its company's and the office's)."""
    return scoped(caller, obj) or (ROLE_OF[caller] in READERS and obj == "a")


def involved(caller: str, obj: str) -> bool:
    """Applications: the office, the company applied to, the resident's village admin."""
    return scoped(caller, obj) or caller == f"village_{obj}"


def resident_seen(caller: str, obj: str) -> bool:
    return caller == "operator" or caller == f"village_{obj}"


def everyone(caller: str, obj: str) -> bool:
    return True


@dataclass
class Row:
    roles: set[str]
    """Roles let through; the others get 403 (a caller without a valid key 401)."""
    sees: Sees = everyone
    kind: str | None = None
    """The object in the path or the body: a for own, b for foreign, missing; None: no object."""
    denied: int = 404
    body: Callable[[str, "World", str], Any] | None = None
    files: bool = False
    public: bool = False
    query: dict[str, str] = field(default_factory=dict)
    url: str | None = None
    """Where to send the request when it is not the route's path (a mount's index)."""


ANY = set(ROLE_OF.values()) - {None}
STAFF = {"operator", "company"}
APPLICANTS = {"operator", "village_admin"}
INVOLVED = {"operator", "company", "village_admin"}
PUBLIC_READ = {"operator", *READERS}


def _mou(*_: Any) -> dict[str, Any]:
    return {
        "mou_number": f"560/MoU-{uuid4().hex[:8]}/Disnaker/2026",
        "local_share_percent": 40,
        "starts_on": "2026-01-01",
        "ends_on": "2027-12-31",
    }


def _new_vacancy(caller: str, world: "World", obj: str) -> dict[str, Any]:
    company_id = {"a": world.ids["company_a"], "b": world.ids["company_b"]}.get(obj, MISSING)
    return vacancy_payload(company_id=company_id)


def _application(caller: str, world: "World", obj: str) -> dict[str, Any]:
    resident = {"a": world.ids["resident_a"], "b": world.ids["resident_b"]}.get(obj, MISSING)
    return {"vacancy_id": world.ids["vacancy_a"], "resident_id": resident}


def _transition(caller: str, world: "World", obj: str) -> dict[str, Any]:
    return {"status": "withdrawn" if caller.startswith("village") else "screening"}


def _key(caller: str, world: "World", obj: str) -> dict[str, Any]:
    return {"role": "agency", "label": "Bappeda Kabupaten Bekasi"}


ROWS: dict[tuple[str, str], Row] = {
    ("POST", "/companies"): Row({"operator"}, body=lambda c, w, o: company_payload()),
    ("GET", "/companies"): Row(STAFF),
    ("GET", "/companies/{company_id}"): Row(STAFF, scoped, "company"),
    ("POST", "/companies/{company_id}/verify"): Row({"operator"}, scoped, "company"),
    ("POST", "/companies/{company_id}/tokens"): Row({"operator"}, scoped, "company"),
    ("POST", "/companies/{company_id}/partnerships"): Row(
        {"operator"}, scoped, "company", body=_mou
    ),
    ("GET", "/companies/{company_id}/partnerships"): Row(STAFF, scoped, "company"),
    ("PATCH", "/partnerships/{partnership_id}"): Row(
        {"operator"}, scoped, "partnership", body=lambda c, w, o: {"status": "active"}
    ),
    ("POST", "/companies/{company_id}/placement-reports"): Row(
        STAFF, scoped, "company", files=True
    ),
    ("GET", "/companies/{company_id}/figures"): Row(STAFF, scoped, "company"),
    ("GET", "/placement-reports/{report_id}"): Row(STAFF, scoped, "report"),
    ("POST", "/vacancies"): Row(STAFF, scoped, "new_vacancy", denied=422, body=_new_vacancy),
    ("GET", "/vacancies"): Row(ANY),
    ("GET", "/vacancies/{vacancy_id}"): Row(ANY, vacancy_seen, "vacancy"),
    ("PATCH", "/vacancies/{vacancy_id}"): Row(
        STAFF, scoped, "vacancy", body=lambda c, w, o: {"openings": 5}
    ),
    ("POST", "/vacancies/{vacancy_id}/submit"): Row(STAFF, scoped, "vacancy"),
    ("POST", "/vacancies/{vacancy_id}/approve"): Row(
        {"operator"}, scoped, "vacancy", body=lambda c, w, o: {}
    ),
    ("POST", "/vacancies/{vacancy_id}/send-back"): Row(
        {"operator"}, scoped, "vacancy", body=lambda c, w, o: {"reasons": ["Lengkapi upah"]}
    ),
    ("POST", "/vacancies/{vacancy_id}/close"): Row(
        STAFF, scoped, "vacancy", body=lambda c, w, o: {"reason": "withdrawn"}
    ),
    ("GET", "/vacancies/{vacancy_id}/matches"): Row({"operator"}, scoped, "vacancy"),
    ("GET", "/vacancies/{vacancy_id}/history"): Row(STAFF, scoped, "vacancy"),
    ("POST", "/applications"): Row(
        APPLICANTS, resident_seen, "new_application", denied=422, body=_application
    ),
    ("GET", "/applications"): Row(INVOLVED),
    ("GET", "/applications/{application_id}"): Row(INVOLVED, involved, "application"),
    ("POST", "/applications/{application_id}/transitions"): Row(
        INVOLVED, involved, "application", body=_transition
    ),
    ("GET", "/figures"): Row(PUBLIC_READ),
    ("GET", "/seekers/{resident_id}"): Row(APPLICANTS, resident_seen, "resident"),
    ("GET", "/residents/{resident_id}/export"): Row(
        {"operator"}, resident_seen, "resident", query={"purpose": "permintaan warga"}
    ),
    ("POST", "/api-keys"): Row({"operator"}, body=_key),
    ("GET", "/api-keys"): Row({"operator"}),
    ("DELETE", "/api-keys/{key_id}"): Row({"operator"}, everyone, "key"),
    # Operations and documentation: public, no key needed (probes, scrapers, developers).
    ("GET", "/health"): Row(ANY, public=True),
    ("GET", "/ready"): Row(ANY, public=True),
    ("GET", "/metrics"): Row(ANY, public=True),
    ("GET", "/asyncapi.json"): Row(ANY, public=True),
    ("GET", "/asyncapi"): Row(ANY, public=True, url="/asyncapi/"),
    ("GET", "/openapi.json"): Row(ANY, public=True),
    ("GET", "/docs"): Row(ANY, public=True),
    ("GET", "/docs/oauth2-redirect"): Row(ANY, public=True),
    ("GET", "/redoc"): Row(ANY, public=True),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, through included routers."""

    def walk(routes: list[Any], prefix: str = "") -> Any:
        for route in routes:
            if hasattr(route, "original_router"):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
                continue
            methods = getattr(route, "methods", None) or {"GET"}  # a mount serves GET
            for method in methods - {"HEAD"}:
                yield method, prefix + route.path

    return set(walk(app.routes))


def test_every_route_has_a_row() -> None:
    from vacancies.config import Settings
    from vacancies.main import create_app

    from ..conftest import NIK_LOOKUP_KEY

    app = create_app(
        Settings(
            VACANCIES_DATABASE_URL="postgresql://unused",
            AMQP_URL="amqp://unused",
            OPERATOR_TOKEN="x",
            NIK_LOOKUP_KEY=NIK_LOOKUP_KEY,
        )
    )
    routes = app_routes(app)
    assert routes - set(ROWS) == set(), "routes without a row in the role matrix"
    assert set(ROWS) - routes == set(), "rows for routes the app does not have"


@dataclass
class World:
    """Company A (own) and B (foreign) with their objects; resident A lives in Waluya, B
    elsewhere. Made again for every route, so that one route's changes do not reach another."""

    ids: dict[str, str]

    def object(self, kind: str, obj: str) -> str:
        if obj == "missing":
            return {"key": "0badc0de"}.get(kind, MISSING)
        return self.ids[f"{kind}_{obj}"]


async def make_world(client: httpx.AsyncClient, app: FastAPI) -> tuple[World, dict[str, dict]]:
    a, b = await company(client), await company(client)
    vacancy_a = await vacancy(client, a["hr"])
    vacancy_b_public = await vacancy(client, b["hr"])
    vacancy_b = await vacancy(client, b["hr"], publish=False)
    resident_a = await add_seeker(app, desa_kode=WALUYA)
    resident_b = await add_seeker(app, desa_kode=ELSEWHERE)
    ids = {
        "company_a": a["company_id"],
        "company_b": b["company_id"],
        "vacancy_a": vacancy_a["vacancy_id"],
        "vacancy_b": vacancy_b["vacancy_id"],
        "resident_a": str(resident_a),
        "resident_b": str(resident_b),
    }
    for obj, cid in (("a", a["company_id"]), ("b", b["company_id"])):
        mou = await client.post(f"/companies/{cid}/partnerships", json=_mou(), headers=OPERATOR)
        ids[f"partnership_{obj}"] = mou.json()["partnership_id"]
        report = await client.post(
            f"/companies/{cid}/placement-reports",
            files={"file": ("r.csv", b"nik,start_date,contract_type\n")},
            headers=OPERATOR,
        )
        ids[f"report_{obj}"] = report.json()["report_id"]
    for obj, vid, rid in (("a", vacancy_a, resident_a), ("b", vacancy_b_public, resident_b)):
        made = await client.post(
            "/applications",
            json={"vacancy_id": vid["vacancy_id"], "resident_id": str(rid)},
            headers=OPERATOR,
        )
        assert made.status_code == 201, made.text
        ids[f"application_{obj}"] = made.json()["application_id"]
    for obj in ("a", "b"):
        key = await client.post(
            "/api-keys", json={"role": "agency", "label": f"kunci {obj}"}, headers=OPERATOR
        )
        ids[f"key_{obj}"] = key.json()["key_id"]
    return World(ids), {"hr_a": a["hr"], "hr_b": b["hr"]}


async def callers(client: httpx.AsyncClient, app: FastAPI) -> dict[str, dict[str, str]]:
    """Headers of every caller but the HR desks (those come with each world)."""
    found = {
        "operator": OPERATOR,
        "village_a": await api_key(client, "village_admin", desa_kode=WALUYA),
        "village_b": await api_key(client, "village_admin", desa_kode=ELSEWHERE),
        "agency": await api_key(client, "agency"),
        "institution": await api_key(client, "institution", institution_id=str(uuid4())),
        "service": await api_key(client, "service"),
        "no_key": {},
    }
    now = datetime.now(UTC)
    async with app.state.pool.acquire() as conn:
        expired = await keys.issue(
            conn, service=SERVICE, role="operator", subject="lama", scope={}, label="lama",
            created_by="uji", now=now - timedelta(days=2), lifetime=timedelta(days=1),
        )  # fmt: skip
    found["expired_key"] = {"Authorization": f"Bearer {expired.key}"}
    revoked = await client.post(
        "/api-keys", json={"role": "operator", "label": "dicabut"}, headers=OPERATOR
    )
    gone = await client.delete(f"/api-keys/{revoked.json()['key_id']}", headers=OPERATOR)
    assert gone.status_code == 204
    found["revoked_key"] = {"Authorization": f"Bearer {revoked.json()['key']}"}
    return found


def expected(row: Row, caller: str, obj: str | None) -> int | set[int]:
    if row.public:
        return 200
    role = ROLE_OF[caller]
    if role is None:
        return 401
    if role not in row.roles:
        return 403
    if obj is None:
        return OK
    if obj == "missing" or not row.sees(caller, obj):
        return row.denied
    return OK


def _path(path: str, world: World, kind: str | None, obj: str | None) -> str:
    if kind is None or obj is None or "{" not in path:
        return path
    name = path[path.index("{") + 1 : path.index("}")]
    assert name.removesuffix("_id") == kind, (path, kind)
    return path.replace("{" + name + "}", world.object(kind, obj))


async def test_every_route_for_every_role_and_object(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    people = await callers(client, app)
    problems: list[str] = []
    for (method, path), row in ROWS.items():
        world, desks = await make_world(client, app)
        who = people | desks
        objects: list[str | None] = [None] if row.kind is None else ["a", "b", "missing"]
        for caller in ROLE_OF:
            answers: dict[str | None, httpx.Response] = {}
            for obj in objects:
                url = row.url or _path(path, world, row.kind, obj)
                kwargs: dict[str, Any] = {"headers": who[caller], "params": row.query}
                if row.body is not None:
                    kwargs["json"] = row.body(caller, world, obj or "a")
                if row.files:
                    csv = f"nik,start_date,contract_type\n# {uuid4()}\n".encode()
                    kwargs["files"] = {"file": ("laporan.csv", csv)}
                response = await client.request(method, url, **kwargs)
                answers[obj] = response
                want = expected(row, caller, obj)
                got = response.status_code
                if not (got in want if isinstance(want, set) else got == want):
                    problems.append(
                        f"{method} {path} as {caller} on {obj}: {got}, expected {want}:"
                        f" {response.text[:200]}"
                    )
            # Foreign and missing alike: the same status and the same body.
            if row.kind is not None and answers["missing"].status_code in (404, 422):
                for obj in ("a", "b"):
                    if expected(row, caller, obj) == row.denied and (
                        answers[obj].status_code,
                        answers[obj].json(),
                    ) != (answers["missing"].status_code, answers["missing"].json()):
                        problems.append(
                            f"{method} {path} as {caller}: {obj} answers unlike a missing one"
                        )
    assert problems == [], "\n".join(problems)


async def test_without_a_valid_key_every_answer_is_the_same(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    people = await callers(client, app)
    bodies = set()
    for caller in ("no_key", "expired_key", "revoked_key"):
        answer = await client.get("/vacancies", headers=people[caller])
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"] == "Bearer"
        bodies.add(answer.text)
    wrong_service = {"Authorization": "Bearer kl_registry_0badc0de_" + "x" * 43}
    bodies.add((await client.get("/vacancies", headers=wrong_service)).text)
    assert len(bodies) == 1


async def test_listings_show_each_role_only_what_it_may_see(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    people = await callers(client, app)
    world, desks = await make_world(client, app)
    ids = world.ids

    async def listed(path: str, caller: str, key: str) -> set[str]:
        answer = await client.get(path, headers=(people | desks)[caller])
        assert answer.status_code == 200, answer.text
        return {item[key] for item in answer.json()["items"]}

    assert await listed("/companies", "hr_a", "company_id") == {ids["company_a"]}
    own_vacancies = await listed("/vacancies", "hr_a", "vacancy_id")
    assert ids["vacancy_a"] in own_vacancies
    assert ids["vacancy_b"] not in own_vacancies
    for reader in ("village_a", "agency", "institution", "service"):
        seen = await listed("/vacancies", reader, "vacancy_id")
        assert ids["vacancy_a"] in seen
        assert ids["vacancy_b"] not in seen
    assert await listed("/applications", "hr_a", "application_id") == {ids["application_a"]}
    assert await listed("/applications", "village_a", "application_id") == {ids["application_a"]}
    assert await listed("/applications", "village_b", "application_id") == {ids["application_b"]}
    everything = await listed("/applications", "operator", "application_id")
    assert {ids["application_a"], ids["application_b"]} <= everything
    hr_contact = (await client.get("/vacancies", headers=people["agency"])).json()
    assert "hr_contact" not in str(hr_contact)


async def test_a_district_admin_covers_every_desa_of_its_kecamatan(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    world, _ = await make_world(client, app)
    district = await api_key(client, "village_admin", kecamatan_kode=WALUYA[:8])
    other = await api_key(client, "village_admin", kecamatan_kode=ELSEWHERE[:8])
    application_a = world.ids["application_a"]
    assert (await client.get(f"/applications/{application_a}", headers=district)).status_code == 200
    assert (await client.get(f"/applications/{application_a}", headers=other)).status_code == 404
    listed = (await client.get("/applications", headers=district)).json()["items"]
    assert [item["application_id"] for item in listed] == [application_a]
    seeker = await client.get(f"/seekers/{world.ids['resident_a']}", headers=district)
    assert seeker.status_code == 200
