"""Every route for every role against an own, a foreign and a nonexistent object.

The table below has one row per route of the app (`app.routes`): a new endpoint without a row
fails `test_every_route_has_a_row`, and the matrix walks each row for each role. "Own" is an
object of institution A (or a resident of the village admin's desa, enrolled with A); "foreign" is
institution B's (a resident of another desa, enrolled with B); "missing" does not exist. Where a
caller gets 404 for the foreign object, the body must be the one it gets for the missing one."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from starlette.routing import Mount

from kerjalokal.auth import keys
from kerjalokal.auth.web import RateLimit
from kerjalokal.events import registry as reg
from training import main, projections

from ..conftest import (
    OPERATOR,
    TODAY,
    Apply,
    institution_payload,
    new_institution,
    new_programme,
    new_session,
    programme_payload,
    ready,
    registered,
    verified_company,
)

pytestmark = pytest.mark.integration

OWN_DESA = "32.16.05.2006"
OTHER_DESA = "32.16.01.2001"
ROLES = (
    "operator",
    "institution",
    "other_institution",
    "village_admin",
    "agency",
    "company",
    "service",
    "no_key",
    "expired",
    "revoked",
)
TARGETS = ("own", "foreign", "missing")
BAD_KEYS = {"no_key", "expired", "revoked"}
READ_OK = {200}
WRITE_OK = {200, 201, 202, 204, 409}  # 409: the rule said no after the caller was let in


@dataclass
class World:
    keys: dict[str, dict[str, str]] = field(default_factory=dict)
    ids: dict[str, dict[str, Any]] = field(default_factory=dict)

    def target(self, kind: str, which: str) -> Any:
        return self.ids[kind][which]


def expected(policy: str, role: str, target: str, *, has_id: bool, ok: set[int]) -> set[int]:
    """What `role` gets from a route of `policy` for `target`."""
    if policy == "public":
        return {200}
    if role in BAD_KEYS:
        return {401}
    missing = has_id and target == "missing"
    mine = {"institution": "own", "other_institution": "foreign"}
    if policy == "operator":
        if role != "operator":
            return {403}
        return {404} if missing else ok
    if policy == "writer":
        if role == "operator":
            return {404} if missing else ok
        if role in mine:
            return ok if (not has_id or target == mine[role]) else {404}
        return {403}
    if policy in ("catalogue", "catalogue_list"):
        if role == "service":
            return {403}
        if role in mine and has_id:
            return ok if target == mine[role] else {404}
        return {404} if missing else ok
    if policy == "resident":  # a seeker, an enrollment
        if role in ("agency", "company", "service"):
            return {403}
        if role == "operator":
            return {404} if missing else ok
        owner = mine.get(role, "own")  # a village admin's own resident is the "own" one
        return ok if target == owner else {404}
    if policy == "session_enrollments":
        if role in ("agency", "company", "service"):
            return {403}
        if role in mine:
            return ok if target == mine[role] else {404}
        return {404} if missing else ok  # operator; village admin: the list narrowed
    if policy == "pool":
        if role in ("agency", "company", "service"):
            return {403}
        return ok
    raise AssertionError(policy)


@dataclass(frozen=True)
class Row:
    policy: str
    kind: str | None = None
    """The kind of object the path names (World.ids), None for a route without an id."""
    body: Callable[[World], Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    writes: bool = False
    override: dict[tuple[str, str], set[int]] = field(default_factory=dict)
    url: str | None = None


def _session_dates() -> dict[str, str]:
    starts = TODAY - timedelta(days=3)
    return {"starts_on": starts.isoformat(), "ends_on": (starts + timedelta(days=16)).isoformat()}


ROWS: dict[tuple[str, str], Row] = {
    # operations and documentation: public, no key
    ("GET", "/health"): Row("public"),
    ("GET", "/ready"): Row("public"),
    ("GET", "/metrics"): Row("public"),
    ("GET", "/asyncapi.json"): Row("public"),
    ("GET", "/asyncapi"): Row("public", url="/asyncapi/"),  # a mounted app
    ("GET", "/openapi.json"): Row("public"),
    ("GET", "/docs"): Row("public"),
    ("GET", "/docs/oauth2-redirect"): Row("public"),
    ("GET", "/redoc"): Row("public"),
    # keys
    ("POST", "/api-keys"): Row(
        "operator", body=lambda w: {"role": "agency", "label": "BPS Kabupaten"}, writes=True
    ),
    ("GET", "/api-keys"): Row("operator"),
    ("DELETE", "/api-keys/{key_id}"): Row("operator", kind="key", writes=True),
    # institutions
    ("GET", "/institution-types"): Row("catalogue_list"),
    ("POST", "/institutions"): Row("operator", body=lambda w: institution_payload(), writes=True),
    ("GET", "/institutions"): Row("catalogue_list"),
    ("GET", "/institutions/{institution_id}"): Row("catalogue", kind="institution"),
    ("PATCH", "/institutions/{institution_id}"): Row(
        "operator",
        kind="institution",
        body=lambda w: {"licence_number": "503/LPK/2025"},
        writes=True,
    ),
    ("POST", "/institutions/{institution_id}/token"): Row(
        "operator", kind="spare_institution", writes=True
    ),
    ("GET", "/companies"): Row("catalogue_list"),
    # programmes and sessions
    ("POST", "/programmes"): Row(
        "writer",
        body=lambda w: programme_payload(institution_id=w.target("institution", "own")),
        writes=True,
        # naming another institution: refused with a 422 naming the field
        override={(r, t): {422} for r in ("other_institution",) for t in TARGETS},
    ),
    ("GET", "/programmes"): Row("catalogue_list"),
    ("GET", "/programmes/{programme_id}"): Row("catalogue", kind="programme"),
    ("POST", "/programmes/{programme_id}/sessions"): Row(
        "writer", kind="programme", body=lambda w: _session_dates(), writes=True
    ),
    ("GET", "/programmes/{programme_id}/sessions"): Row("catalogue", kind="programme"),
    ("GET", "/sessions/{session_id}"): Row("catalogue", kind="session"),
    # the ready pool and seekers
    ("POST", "/ready-pool"): Row(
        "operator",
        body=lambda w: {"resident_id": str(w.ids["assess"]), "vocation": "Pengelasan"},
        writes=True,
    ),
    ("POST", "/ready-pool/bulk"): Row(
        "operator",
        body=lambda w: {"items": [{"resident_id": str(w.ids["assess"]), "vocation": "Las"}]},
        writes=True,
    ),
    ("GET", "/ready-pool"): Row("pool"),
    ("DELETE", "/ready-pool/{resident_id}"): Row("operator", kind="pooled", writes=True),
    ("GET", "/seekers/{resident_id}"): Row("resident", kind="resident"),
    # enrollments
    ("POST", "/sessions/{session_id}/enrollments"): Row(
        "writer",
        kind="session",
        body=lambda w: {"resident_id": str(w.ids["enrollee"])},
        writes=True,
    ),
    ("POST", "/sessions/{session_id}/enrollments/bulk"): Row(
        "writer",
        kind="session",
        body=lambda w: {"resident_ids": [str(w.ids["enrollee"])]},
        writes=True,
    ),
    ("GET", "/sessions/{session_id}/enrollments"): Row("session_enrollments", kind="session"),
    ("GET", "/enrollments/{enrollment_id}"): Row("resident", kind="enrollment"),
    ("POST", "/enrollments/{enrollment_id}/withdraw"): Row(
        "writer", kind="enrollment_withdraw", body=lambda w: {"note": "pindah"}, writes=True
    ),
    ("POST", "/enrollments/{enrollment_id}/drop-out"): Row(
        "writer", kind="enrollment_drop_out", body=lambda w: {"reason": "work"}, writes=True
    ),
    ("POST", "/enrollments/{enrollment_id}/attendance"): Row(
        "writer",
        kind="enrollment_attendance",
        body=lambda w: {
            "records": [{"day": (TODAY - timedelta(days=1)).isoformat(), "status": "hadir"}]
        },
        writes=True,
    ),
    ("POST", "/enrollments/{enrollment_id}/complete"): Row(
        "writer",
        kind="enrollment_complete",
        body=lambda w: {
            "passed": True,
            "certified_skills": [{"skill": "pengelasan", "certificate_number": "LSP-1"}],
        },
        writes=True,
    ),
    # reports
    ("GET", "/reports/outcomes"): Row("catalogue_list"),
    ("GET", "/reports/summary"): Row("operator"),
    ("GET", "/reports/skills-demand"): Row("catalogue_list"),
    # data subject rights
    ("GET", "/residents/{resident_id}/export"): Row(
        "operator", kind="resident", params={"purpose": "permintaan warga no. 12"}
    ),
}


def routes_of(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route, the included routers' too (`iter_route_contexts`)."""
    found: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, Mount):
            found.add(("GET", route.path))
            continue
        assert context.methods, f"a route without methods: {route!r}"
        assert context.path, f"a route without a path: {route!r}"
        found |= {(method, context.path) for method in context.methods if method != "HEAD"}
    return found


async def test_every_route_has_a_row(app: FastAPI) -> None:
    assert routes_of(app) == set(ROWS)


async def _key(app: FastAPI, role: str, scope: dict[str, Any], *, label: str) -> tuple[str, str]:
    async with app.state.pool.acquire() as conn:
        issued = await keys.issue(
            conn, service="training", role=role, subject=label, scope=scope, label=label,
            created_by="test", now=datetime.now(UTC), lifetime=timedelta(days=30),
        )  # fmt: skip
    return issued.key, issued.key_id


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _seeker(apply: Apply, desa: str) -> UUID:
    event = registered()
    profile = event.profile.model_dump()
    profile["domicile"] |= {"desa_kode": desa, "kecamatan_kode": desa[:8]}
    event = event.model_copy(update={"profile": reg.Profile.model_validate(profile)})
    await apply(projections.seeker_registered, event)
    return event.resident_id


async def _enrolled(
    client: httpx.AsyncClient, apply: Apply, session_id: str, desa: str
) -> tuple[UUID, str]:
    rid = await _seeker(apply, desa)
    await ready(client, rid)
    answer = await client.post(
        f"/sessions/{session_id}/enrollments", json={"resident_id": str(rid)}, headers=OPERATOR
    )
    assert answer.status_code == 201, answer.text
    return rid, answer.json()["enrollment_id"]


@pytest.fixture
async def world(client: httpx.AsyncClient, app: FastAPI, apply: Apply) -> World:
    w = World()
    company = verified_company()
    await apply(projections.company_verified, company)
    a = await new_institution(client)
    b = await new_institution(client)
    spare = [await new_institution(client) for _ in range(2)]
    pa = await new_programme(client, a["headers"])
    pb = await new_programme(client, b["headers"])
    sa = await new_session(client, a["headers"], pa["programme_id"])
    sb = await new_session(client, b["headers"], pb["programme_id"])
    r_own, e_own = await _enrolled(client, apply, sa["session_id"], OWN_DESA)
    r_foreign, e_foreign = await _enrolled(client, apply, sb["session_id"], OTHER_DESA)
    await _enrolled(client, apply, sa["session_id"], OTHER_DESA)  # A's, not the village's
    w.ids = {
        "institution": {"own": a["institution_id"], "foreign": b["institution_id"]},
        "spare_institution": {
            "own": spare[0]["institution_id"], "foreign": spare[1]["institution_id"]
        },
        "programme": {"own": pa["programme_id"], "foreign": pb["programme_id"]},
        "session": {"own": sa["session_id"], "foreign": sb["session_id"]},
        "resident": {"own": r_own, "foreign": r_foreign},
        "enrollment": {"own": e_own, "foreign": e_foreign},
    }  # fmt: skip
    for action in ("withdraw", "drop_out", "attendance", "complete"):
        own = await _enrolled(client, apply, sa["session_id"], OWN_DESA)
        foreign = await _enrolled(client, apply, sb["session_id"], OTHER_DESA)
        w.ids[f"enrollment_{action}"] = {"own": own[1], "foreign": foreign[1]}
    pooled = {}
    for which, desa in (("own", OWN_DESA), ("foreign", OTHER_DESA)):
        pooled[which] = await _seeker(apply, desa)
        await ready(client, pooled[which])
    w.ids["pooled"] = pooled
    w.ids["assess"] = await _seeker(apply, OWN_DESA)
    w.ids["enrollee"] = await _seeker(apply, OWN_DESA)
    await ready(client, w.ids["enrollee"])
    spare_keys = [(await _key(app, "agency", {}, label=f"spare {i}"))[1] for i in range(2)]
    w.ids["key"] = {"own": spare_keys[0], "foreign": spare_keys[1], "missing": "0badc0de"}
    for _kind, targets in w.ids.items():
        if isinstance(targets, dict) and "missing" not in targets:
            targets["missing"] = uuid4()

    institution = a["headers"]
    other = b["headers"]
    village, _ = await _key(app, "village_admin", {"desa_kode": OWN_DESA}, label="Desa Sriamur")
    agency, _ = await _key(app, "agency", {}, label="BPS Kabupaten Bekasi")
    firm, _ = await _key(
        app, "company", {"company_id": str(company.company_id)}, label="HRD PT Mitra"
    )
    service, _ = await _key(app, "service", {}, label="console")
    expired, _ = await _key(app, "agency", {}, label="expired")
    revoked, revoked_id = await _key(app, "agency", {}, label="revoked")
    async with app.state.pool.acquire() as conn:
        await conn.execute(
            "UPDATE api_key SET expires_at = now() - interval '1 minute' WHERE key_id = $1",
            expired.split("_")[2],
        )
        await keys.revoke(conn, revoked_id, now=datetime.now(UTC))
    w.keys = {
        "operator": OPERATOR,
        "institution": institution,
        "other_institution": other,
        "village_admin": _bearer(village),
        "agency": _bearer(agency),
        "company": _bearer(firm),
        "service": _bearer(service),
        "no_key": {},
        "expired": _bearer(expired),
        "revoked": _bearer(revoked),
    }
    return w


def _url(path: str, row: Row, w: World, target: str) -> str:
    if row.kind is None:
        return row.url or path
    value = str(w.target(row.kind, target))
    start, end = path.index("{"), path.index("}")
    return path[:start] + value + path[end + 1 :]


async def test_the_role_matrix(client: httpx.AsyncClient, world: World) -> None:
    failures: list[str] = []
    for (method, path), row in sorted(ROWS.items(), key=lambda item: item[0][1]):
        has_id = row.kind is not None
        for role in ROLES:
            bodies: dict[str, Any] = {}
            for target in TARGETS if has_id else ("own",):
                response = await client.request(
                    method,
                    _url(path, row, world, target),
                    headers=world.keys[role],
                    params=row.params,
                    json=row.body(world) if row.body else None,
                )
                ok = WRITE_OK if row.writes else READ_OK
                want = row.override.get((role, target)) or expected(
                    row.policy, role, target, has_id=has_id, ok=ok
                )
                if response.status_code not in want:
                    failures.append(
                        f"{method} {path} as {role} on {target}: {response.status_code}"
                        f" (want {sorted(want)}) {response.text[:200]}"
                    )
                bodies[target] = (response.status_code, response.content)
            same = (
                not has_id or bodies["foreign"][0] != 404 or bodies["foreign"] == bodies["missing"]
            )
            if not same:
                failures.append(f"{method} {path} as {role}: foreign and missing differ")
    assert not failures, "\n".join(failures)


async def test_a_village_admin_sees_only_its_own_residents(
    client: httpx.AsyncClient, world: World
) -> None:
    village = world.keys["village_admin"]
    own = str(world.target("resident", "own"))
    session = world.target("session", "own")
    everyone = (await client.get(f"/sessions/{session}/enrollments", headers=OPERATOR)).json()
    listed = (await client.get(f"/sessions/{session}/enrollments", headers=village)).json()
    assert len(everyone) > len(listed) > 0
    assert own in {e["resident_id"] for e in listed}
    outsiders = {e["resident_id"] for e in everyone} - {e["resident_id"] for e in listed}
    assert str(world.target("resident", "foreign")) not in outsiders  # B's, not in this session
    for rid in outsiders:
        assert (await client.get(f"/seekers/{rid}", headers=village)).status_code == 404
    pool = (await client.get("/ready-pool", headers=village)).json()
    all_pool = (await client.get("/ready-pool", headers=OPERATOR)).json()
    assert str(world.target("pooled", "own")) in {r["resident_id"] for r in pool["items"]}
    assert str(world.target("pooled", "foreign")) not in {r["resident_id"] for r in pool["items"]}
    assert pool["total"] < all_pool["total"]


async def test_fields_a_role_may_not_set_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World
) -> None:
    institution = world.keys["institution"]
    foreign = world.target("institution", "foreign")
    opened = await client.post(
        "/programmes", json=programme_payload(institution_id=foreign), headers=institution
    )
    assert opened.status_code == 422
    assert opened.json()["detail"][0]["loc"] == ["body", "institution_id"]
    listed = await client.get(
        "/programmes", params={"institution_id": foreign}, headers=institution
    )
    assert listed.status_code == 422
    assert listed.json()["detail"][0]["loc"] == ["query", "institution_id"]
    sneaky = await client.post(
        f"/programmes/{world.target('programme', 'own')}/sessions",
        json=_session_dates() | {"institution_id": foreign},
        headers=institution,
    )
    assert sneaky.status_code == 422
    assert sneaky.json()["detail"][0]["loc"] == ["body", "institution_id"]


async def test_security_headers_on_every_answer(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    for answer in (page, await client.get("/programmes", headers=OPERATOR)):
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" in answer.headers
    unauthenticated = await client.get("/programmes")
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["x-content-type-options"] == "nosniff"


async def test_the_pages_without_a_key_are_rate_limited(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(main, "PUBLIC_LIMIT", RateLimit("3/minute", name="test-public"))
    answers = [await client.get("/health") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert answers[-1].headers["x-content-type-options"] == "nosniff"
    assert (await client.get("/ready-pool", headers=OPERATOR)).status_code == 200
    assert (await client.get("/asyncapi.json")).status_code == 429
