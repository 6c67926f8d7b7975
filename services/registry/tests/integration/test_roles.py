"""Every route of the registry, for every role, against an own, a foreign and a nonexistent
resident. The table below must name every route the app has: a new endpoint without a row fails
`test_the_table_names_every_route`, and each row is walked by `test_every_route_for_every_role`.

Roles: the operator's bootstrap token; village admins as API keys (own desa Waluya, the foreign
desa Sukadami, the district Cikarang Utara that holds Waluya); agency and service keys; company
and institution keys (the registry does not issue them: written straight into its key table, as
a key of another deployment would look); no key, an expired, a revoked and a made-up key.
"""

import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from kerjalokal.auth import keys
from kerjalokal.testing.factories import registration
from registry.main import create_app

from ..conftest import CIKARANG_UTARA, OPERATOR, SUKADAMI, WALUYA, issue_key, settings_for

pytestmark = pytest.mark.integration

MISSING = "00000000-0000-4000-8000-000000000000"
UNAUTHENTICATED = ("none", "expired", "revoked", "made_up")
ADMINS = ("own_admin", "foreign_admin", "district_admin")
ROLES = (
    *ADMINS, "agency", "service", "company", "institution", *UNAUTHENTICATED, "operator",
)  # fmt: skip  # the operator last: its writes (erasure) must not hide the rows from the others
STAFF = frozenset({"operator", *ADMINS})
OPERATOR_ONLY = frozenset({"operator"})
ANY_KEY = frozenset({"operator", *ADMINS, "agency", "service", "company", "institution"})
# Which admins cover which resident: Waluya lies in Cikarang Utara; Sukadami is the foreign desa.
COVERS = {"own": {"own_admin", "district_admin"}, "foreign": {"foreign_admin"}}


@dataclass(frozen=True)
class Row:
    roles: frozenset[str] | None
    """Who passes; None: a public route (operations, documentation), the same for everyone."""
    ok: int
    target: str = "none"
    """resident: the path names a resident; import / key: another object; none: no object."""
    body: Callable[[str], dict[str, Any]] | None = None
    """The JSON body, from the desa of the resident it is sent about."""
    params: dict[str, str] = field(default_factory=dict)
    files: bool = False
    reveals: bool = False
    """The answer carries the NIK in clear (export, the printed card)."""
    fresh: bool = False
    """Residents not yet verified (verification itself)."""
    refused: dict[str, int] = field(default_factory=dict)
    """Roles that pass but whose request the rules refuse (status by role)."""


def _address(desa: str) -> dict[str, Any]:
    return {"street": "Jl. Baru 1", "desa_kode": desa}


TABLE: dict[tuple[str, str], Row] = {
    ("POST", "/residents"): Row(
        STAFF, 201, body=lambda _: registration(address=_address(WALUYA)),
        refused={"foreign_admin": 422},
    ),
    ("GET", "/residents"): Row(STAFF, 200),
    ("GET", "/summary"): Row(ANY_KEY, 200),
    ("GET", "/residents/{resident_id}"): Row(STAFF, 200, target="resident"),
    ("PATCH", "/residents/{resident_id}"): Row(
        STAFF, 200, target="resident", body=lambda _: {"skills": ["menjahit"]}
    ),
    ("POST", "/residents/{resident_id}/domicile"): Row(
        STAFF, 200, target="resident",
        body=lambda desa: {"address": _address(desa), "evidence": "ktp",
                           "effective_on": "2026-01-05"},
    ),
    ("POST", "/residents/{resident_id}/verify"): Row(
        OPERATOR_ONLY, 200, target="resident", body=lambda _: {"officer": "Bu Sari"}, fresh=True
    ),
    ("POST", "/residents/{resident_id}/erasure"): Row(
        OPERATOR_ONLY, 200, target="resident", body=lambda _: {"reason": "surat 7/2026"}
    ),
    # The matrix's residents hold a card already: issuing one again is refused (409), after the
    # role and the resident's scope have been checked.
    ("POST", "/residents/{resident_id}/ak1"): Row(OPERATOR_ONLY, 409, target="resident"),
    ("POST", "/residents/{resident_id}/report-in"): Row(STAFF, 200, target="resident"),
    ("GET", "/residents/{resident_id}/ak1"): Row(
        OPERATOR_ONLY, 200, target="resident", reveals=True
    ),
    ("GET", "/residents/{resident_id}/history"): Row(STAFF, 200, target="resident"),
    ("GET", "/residents/{resident_id}/export"): Row(
        STAFF, 200, target="resident", params={"purpose": "permintaan warga"}, reveals=True
    ),
    ("GET", "/residents/{resident_id}/access-log"): Row(OPERATOR_ONLY, 200, target="resident"),
    ("POST", "/imports"): Row(OPERATOR_ONLY, 202, files=True),
    ("GET", "/imports/{import_id}"): Row(OPERATOR_ONLY, 200, target="import"),
    ("POST", "/api-keys"): Row(
        OPERATOR_ONLY, 201, body=lambda _: {"role": "agency", "label": "BPS Kabupaten"}
    ),
    ("GET", "/api-keys"): Row(OPERATOR_ONLY, 200),
    ("DELETE", "/api-keys/{key_id}"): Row(OPERATOR_ONLY, 204, target="key"),
    ("GET", "/ak1.js"): Row(None, 200),
    ("GET", "/health"): Row(None, 200),
    ("GET", "/ready"): Row(None, 200),
    ("GET", "/metrics"): Row(None, 200),
    ("GET", "/asyncapi.json"): Row(None, 200),
    ("MOUNT", "/asyncapi"): Row(None, 200),
    ("GET", "/openapi.json"): Row(None, 200),
    ("GET", "/docs"): Row(None, 200),
    ("GET", "/docs/oauth2-redirect"): Row(None, 200),
    ("GET", "/redoc"): Row(None, 200),
}  # fmt: skip


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """The app's routes, through the routers it includes (FastAPI 0.165 keeps an included router
    as one entry in `app.routes`; older versions copied its routes)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes, prefix + route.include_context.prefix)
        else:
            yield prefix, route


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for prefix, route in _walk(app.routes):
        if isinstance(route, Mount):
            found.add(("MOUNT", prefix + route.path))
        elif isinstance(route, APIRoute | Route):
            found |= {(m, prefix + route.path) for m in route.methods or () if m != "HEAD"}
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    assert len(found) > 20, found
    return found


def test_the_table_names_every_route() -> None:
    routes = app_routes(create_app(settings_for("postgresql://x/y", "amqp://x")))
    assert routes - set(TABLE) == set(), "routes without a row in the role matrix"
    assert set(TABLE) - routes == set(), "rows for routes the app no longer has"


@dataclass
class Resident:
    resident_id: str
    desa: str
    secrets: tuple[str, ...]
    nik: str


async def _resident(client: httpx.AsyncClient, desa: str, *, verified: bool) -> Resident:
    payload = registration(
        address={"street": f"Jl. Rahasia {uuid.uuid4().hex[:10]}", "desa_kode": desa},
        email=f"r{uuid.uuid4().hex[:12]}@example.org",
    )
    response = await client.post("/residents", json=payload, headers=OPERATOR)
    assert response.status_code == 201, response.text
    rid = response.json()["resident_id"]
    if verified:
        checked = await client.post(
            f"/residents/{rid}/verify", json={"officer": "Pak Dedi"}, headers=OPERATOR
        )
        assert checked.json()["ak1"]["number"], checked.text
    secrets = (
        payload["nik"],
        payload["full_name"],
        payload["phone"][1:],
        payload["email"],
        payload["address"]["street"],
    )
    return Resident(rid, desa, secrets, payload["nik"])


@pytest.fixture
async def principals(client: httpx.AsyncClient, app: FastAPI) -> dict[str, dict[str, str]]:
    bearer: dict[str, dict[str, str]] = {
        "operator": OPERATOR,
        "own_admin": await issue_key(client, "village_admin", "Desa Waluya", desa_kode=WALUYA),
        "foreign_admin": await issue_key(
            client, "village_admin", "Desa Sukadami", desa_kode=SUKADAMI
        ),
        "district_admin": await issue_key(
            client, "village_admin", "Kec. Cikarang Utara", kecamatan_kode=CIKARANG_UTARA
        ),
        "agency": await issue_key(client, "agency", "BPS Kabupaten Bekasi"),
        "service": await issue_key(client, "service", "console"),
        "none": {},
        "made_up": {"Authorization": "Bearer kl_registry_0badc0de_" + "x" * 43},
    }
    revoked = await issue_key(client, "agency", "dicabut")
    key_id = revoked["Authorization"].split("_")[2]
    assert (await client.delete(f"/api-keys/{key_id}", headers=OPERATOR)).status_code == 204
    bearer["revoked"] = revoked
    now = datetime.now(UTC)
    async with app.state.pool.acquire() as conn:
        for role, scope in (
            ("company", {"company_id": str(uuid.uuid4())}),
            ("institution", {"institution_id": str(uuid.uuid4())}),
        ):
            issued = await keys.issue(
                conn, service="registry", role=role, subject=role, scope=scope, label=role,
                created_by="test", now=now, lifetime=timedelta(days=1),
            )  # fmt: skip
            bearer[role] = {"Authorization": f"Bearer {issued.key}"}
        expired = await keys.issue(
            conn, service="registry", role="village_admin", subject="kedaluwarsa",
            scope={"desa_kode": WALUYA}, label="kedaluwarsa", created_by="test",
            now=now - timedelta(days=2), lifetime=timedelta(days=1),
        )  # fmt: skip
        bearer["expired"] = {"Authorization": f"Bearer {expired.key}"}
    assert set(bearer) == set(ROLES)
    return bearer


def expected(row: Row, role: str, target: str) -> int:
    if row.roles is None:
        return row.ok
    if role in UNAUTHENTICATED:
        return 401
    if role not in row.roles:
        return 403
    if row.target != "none" and target == "missing":
        return 404
    if row.target == "resident" and role != "operator" and role not in COVERS[target]:
        return 404
    return row.refused.get(role, row.ok)


Send = Callable[[str, str, str], Awaitable[httpx.Response]]


async def test_every_route_for_every_role(
    client: httpx.AsyncClient, app: FastAPI, principals: dict[str, dict[str, str]]
) -> None:
    import_job = await client.post(
        "/imports", files={"file": ("kosong.csv", b"nik\n", "text/csv")}, headers=OPERATOR
    )
    import_id = import_job.json()["import_id"]
    checked = 0
    for (method, path), row in TABLE.items():
        residents: dict[str, Resident] = {}
        if row.target == "resident" or row.roles is not None:
            residents = {
                "own": await _resident(client, WALUYA, verified=not row.fresh),
                "foreign": await _resident(client, SUKADAMI, verified=not row.fresh),
            }
        for role in ROLES:
            answers: dict[str, httpx.Response] = {}
            targets = ("own", "foreign", "missing") if row.target == "resident" else ("own",)
            if row.target in ("import", "key"):
                targets = ("own", "missing")
            for target in targets:
                resident = residents.get(target)
                url = path
                if row.target == "resident":
                    url = path.format(resident_id=resident.resident_id if resident else MISSING)
                elif row.target == "import":
                    url = path.format(import_id=import_id if target == "own" else MISSING)
                elif row.target == "key":
                    key_id = "0badc0de"
                    if target == "own":
                        own_key = await issue_key(client, "agency", f"sekali pakai {role}")
                        key_id = own_key["Authorization"].split("_")[2]
                    url = path.format(key_id=key_id)
                verb = method
                if method == "MOUNT":
                    verb, url = "GET", path + "/"
                request: dict[str, Any] = {"headers": principals[role], "params": row.params}
                if row.body is not None:
                    request["json"] = row.body(resident.desa if resident else WALUYA)
                if row.files:
                    content = f"nik\n{uuid.uuid4().int % 10**16:016d}\n".encode()
                    request["files"] = {"file": ("warga.csv", content, "text/csv")}
                answer = await client.request(verb, url, **request)
                want = expected(row, role, target)
                assert answer.status_code == want, (method, path, role, target, answer.text)
                _no_personal_data_beyond_entitlement(answer, row, role, residents)
                answers[target] = answer
                checked += 1
            other = "foreign" if "foreign" in answers else "own"
            if "missing" in answers and expected(row, role, other) == expected(
                row, role, "missing"
            ):
                foreign, missing = answers[other], answers["missing"]
                assert foreign.status_code == missing.status_code, (path, role)
                assert foreign.content == missing.content, (path, role)
    assert checked > len(TABLE) * len(ROLES)


def _entitled(role: str, resident: Resident) -> bool:
    target = "own" if resident.desa == WALUYA else "foreign"
    return role == "operator" or role in COVERS[target]


def _no_personal_data_beyond_entitlement(
    answer: httpx.Response, row: Row, role: str, residents: dict[str, Resident]
) -> None:
    text = answer.text
    for resident in residents.values():
        if not _entitled(role, resident):
            leaked = [s for s in resident.secrets if s in text]
            assert not leaked, (row, role, leaked)
        elif not row.reveals:
            assert resident.nik not in text, (row, role, "NIK in clear")


async def test_foreign_and_missing_residents_answer_alike_for_a_district_admin(
    client: httpx.AsyncClient, principals: dict[str, dict[str, str]]
) -> None:
    """The district admin covers every desa of Cikarang Utara and nothing beyond."""
    inside = await _resident(client, "32.16.09.2001", verified=False)
    outside = await _resident(client, SUKADAMI, verified=False)
    district = principals["district_admin"]
    seen = await client.get(f"/residents/{inside.resident_id}", headers=district)
    assert seen.status_code == 200
    assert seen.json()["personal"]["full_name"] == inside.secrets[1]
    hidden = await client.get(f"/residents/{outside.resident_id}", headers=district)
    missing = await client.get(f"/residents/{MISSING}", headers=district)
    assert (hidden.status_code, hidden.content) == (missing.status_code, missing.content)
    assert hidden.status_code == 404
    listing = (await client.get("/residents?limit=200", headers=district)).json()
    assert {item["domicile"]["kecamatan_kode"] for item in listing["items"]} == {CIKARANG_UTARA}
