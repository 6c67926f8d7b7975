"""Who may call what: every route of the app (walked from `app.routes`, so a new endpoint without
a row here fails) for every kind of caller, against an own, a foreign and a nonexistent object.
A foreign and a nonexistent object answer alike: the same 404 and the same body."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import _IncludedRouter

from kerjalokal.auth import keys
from notify.config import Settings
from notify.domain.keys import opt_out_token

from ..conftest import OPERATOR, OPT_OUT_KEY, contact, publish, until
from ..factories import published

pytestmark = pytest.mark.integration

AGENCY = "Dinas Kominfo"  # the label (subject) of agency A's keys: it owns channel A
OTHER_AGENCY = "Humas Kecamatan"  # owns channel B
UNAUTHENTICATED = ("no_key", "expired_key", "revoked_key", "wrong_service_key", "garbage")
CALLERS = (
    "operator", "operator_key", "agency", "agency_without_channel", "village_admin", "service",
    *UNAUTHENTICATED,
)  # fmt: skip
TARGETS = ("own", "foreign", "missing")


@pytest.fixture
def overrides() -> dict[str, Any]:
    """The matrix calls the public pages hundreds of times from one address."""
    return dict.fromkeys(
        ("NOTIFY_RATE_PAGES", "NOTIFY_RATE_FEEDS", "NOTIFY_RATE_ACTIONS"), "9999/minute"
    )


@dataclass(frozen=True)
class Row:
    """`public`: everyone alike (status for an existing and a missing object); `owned`: operators
    and the agency whose object it is; `operator`: operators only. `collection`: no object."""

    access: str
    ok: int = 200
    collection: bool = False
    body: Any = None
    form: dict[str, str] | None = None
    public: dict[str, int] = field(default_factory=dict)


def public(existing: int = 200, missing: int = 404, **kwargs: Any) -> Row:
    return Row(
        "public", public={"own": existing, "foreign": existing, "missing": missing}, **kwargs
    )


def everywhere(status: int = 200) -> Row:
    return public(status, status)


NEW_CHANNEL = {"name": "Kanal baru", "url": "http://127.0.0.1:9/hook", "events": ["vacancy_closed"]}
TABLE: dict[tuple[str, str], Row] = {
    ("GET", "/openapi.json"): everywhere(),
    ("GET", "/docs"): everywhere(),
    ("GET", "/docs/oauth2-redirect"): everywhere(),
    ("GET", "/redoc"): everywhere(),
    ("GET", "/metrics"): everywhere(),
    ("GET", "/asyncapi"): everywhere(307),  # a mount: on to /asyncapi/
    ("GET", "/asyncapi.json"): everywhere(),
    ("GET", "/health"): everywhere(),
    ("GET", "/ready"): everywhere(),
    ("GET", "/"): everywhere(),
    ("GET", "/lowongan/{vacancy_id}"): public(),
    ("GET", "/lowongan/{vacancy_id}/poster"): public(),
    ("GET", "/lowongan/{vacancy_id}/laporkan"): public(),
    ("POST", "/lowongan/{vacancy_id}/laporkan"): public(201, form={"reason": "fake"}),
    ("GET", "/berhenti/{token}"): public(),
    ("POST", "/berhenti/{token}"): public(),
    ("GET", "/feeds/kabupaten.{fmt}"): public(),
    ("GET", "/feeds/kecamatan/{kode}.{fmt}"): public(),
    ("GET", "/feeds/desa/{kode}.{fmt}"): public(),
    ("GET", "/widget/kabupaten"): everywhere(),
    ("GET", "/static/cetak.js"): everywhere(),
    ("GET", "/widget/kecamatan/{kode}"): public(),
    ("GET", "/widget/desa/{kode}"): public(),
    ("GET", "/deliveries"): Row("owned", collection=True),
    ("GET", "/deliveries/{delivery_id}"): Row("owned"),
    ("GET", "/webhooks/parked"): Row("owned", collection=True),
    ("POST", "/deliveries/{delivery_id}/retry"): Row("owned"),
    ("POST", "/channels"): Row("owned", 201, collection=True, body=NEW_CHANNEL),
    ("GET", "/channels"): Row("owned", collection=True),
    ("GET", "/channels/{channel_id}"): Row("owned"),
    ("PATCH", "/channels/{channel_id}"): Row("owned", body={"name": "Nama baru"}),
    ("POST", "/channels/{channel_id}/pause"): Row("owned"),
    ("POST", "/channels/{channel_id}/resume"): Row("owned"),
    ("DELETE", "/channels/{channel_id}"): Row("owned", 204),
    ("GET", "/reports"): Row("operator", collection=True),
    ("PATCH", "/reports/{report_id}"): Row("operator", body={"status": "reviewed"}),
    ("GET", "/residents/{resident_id}/export"): Row("operator"),
    ("POST", "/api-keys"): Row(
        "operator", 201, collection=True, body={"role": "agency", "label": "Agensi lain"}
    ),
    ("GET", "/api-keys"): Row("operator", collection=True),
    ("DELETE", "/api-keys/{key_id}"): Row("operator", 204),
}


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    def walk(found: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
        for route in found:
            if isinstance(route, _IncludedRouter):
                yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
                continue
            for method in getattr(route, "methods", None) or {"GET"}:  # a mount: GET
                if method != "HEAD":
                    yield method, prefix + route.path

    yield from walk(app.routes)


def expected(row: Row, caller: str, target: str) -> int:
    if row.access == "public":
        return row.public[target]
    if caller in UNAUTHENTICATED:
        return 401
    allowed = ("operator",) if row.access == "operator" else ("operator", "agency")
    if not caller.startswith(allowed):  # operator_key, agency_without_channel: those roles
        return 403
    if row.collection:
        return row.ok
    if target == "missing":
        return 404
    if caller.startswith("operator") or (caller == "agency" and target == "own"):
        return row.ok
    return 404


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    ids: dict[str, dict[str, str]]  # path parameter -> target -> value
    channels: tuple[UUID, UUID]
    deliveries: tuple[UUID, UUID]


async def _key(client: httpx.AsyncClient, role: str, label: str, **scope: str) -> dict[str, Any]:
    body = {"role": role, "label": label, "scope": scope}
    response = await client.post("/api-keys", json=body, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return response.json()


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _delivery(app: FastAPI, channel_id: UUID) -> UUID:
    delivery_id, now = uuid4(), datetime.now(UTC)
    await app.state.pool.execute(
        "INSERT INTO delivery (delivery_id, kind, event_id, event_type, channel_id, channel,"
        " template, body, status, attempts, not_before, created_at, updated_at)"
        " VALUES ($1, 'webhook', $2, 'vacancies.vacancy_closed.v1', $3, 'webhook', 'webhook',"
        " '{}', 'parked', 3, $4, $4, $4)",
        delivery_id, str(uuid4()), channel_id, now,
    )  # fmt: skip
    return delivery_id


@pytest.fixture
async def world(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> World:
    agency = await _key(client, "agency", AGENCY)
    operator = await _key(client, "operator", "Petugas Disnaker")
    lonely = await _key(client, "agency", "Dinas Tanpa Kanal")
    village = await _key(client, "village_admin", "Desa Waluya", desa_kode="32.16.09.2004")
    service = await _key(client, "service", "console")
    revoked = await _key(client, "agency", AGENCY)
    revoking = await client.delete(f"/api-keys/{revoked['key_id']}", headers=OPERATOR)
    assert revoking.status_code == 204
    async with app.state.pool.acquire() as conn:
        past = datetime.now(UTC) - timedelta(days=2)
        expired = await keys.issue(
            conn, service="notify", role="agency", subject=AGENCY, scope={}, label=AGENCY,
            created_by="test", now=past, lifetime=timedelta(days=1),
        )  # fmt: skip
    spare = [await _key(client, "agency", f"Cadangan {i}") for i in range(2)]
    headers = {
        "operator": OPERATOR,
        "operator_key": bearer(operator["key"]),
        "agency": bearer(agency["key"]),
        "agency_without_channel": bearer(lonely["key"]),
        "village_admin": bearer(village["key"]),
        "service": bearer(service["key"]),
        "no_key": {},
        "expired_key": bearer(expired.key),
        "revoked_key": bearer(revoked["key"]),
        "wrong_service_key": bearer(agency["key"].replace("kl_notify_", "kl_registry_")),
        "garbage": bearer("not-a-key"),
    }
    hook = {"url": "http://127.0.0.1:9/hook", "events": ["vacancy_closed"]}
    mine = await client.post("/channels", json={"name": "A"} | hook, headers=headers["agency"])
    assert mine.status_code == 201, mine.text
    assert mine.json()["owner_key_subject"] == AGENCY
    theirs = await client.post(
        "/channels", json={"name": "B", "owner_key_subject": OTHER_AGENCY} | hook,
        headers=OPERATOR,
    )  # fmt: skip
    assert theirs.status_code == 201, theirs.text
    channel_a, channel_b = UUID(mine.json()["channel_id"]), UUID(theirs.json()["channel_id"])
    delivery_a, delivery_b = await _delivery(app, channel_a), await _delivery(app, channel_b)

    vacancy, resident, other = published(), uuid4(), uuid4()
    await publish(settings.amqp_url, vacancy, contact(resident), contact(other))
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 2 FROM contact"))
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM vacancy"))
    url = f"/lowongan/{vacancy.vacancy_id}/laporkan"
    for _ in range(2):
        assert (await client.post(url, data={"reason": "fake"})).status_code == 201
    reports = [r["report_id"] for r in (await client.get("/reports", headers=OPERATOR)).json()]
    key = OPT_OUT_KEY.encode()
    ids = {
        "vacancy_id": {"own": str(vacancy.vacancy_id), "missing": str(uuid4())},
        "token": {"own": opt_out_token(key, resident), "missing": "tidak-ada"},
        "fmt": {"own": "rss", "missing": "pdf"},
        "kode": {"own": "32.16.09", "missing": "99.99.99"},
        "delivery_id": {
            "own": str(delivery_a),
            "foreign": str(delivery_b),
            "missing": str(uuid4()),
        },
        "channel_id": {"own": str(channel_a), "foreign": str(channel_b), "missing": str(uuid4())},
        "report_id": {"own": reports[0], "foreign": reports[1], "missing": str(uuid4())},
        "resident_id": {"own": str(resident), "foreign": str(other), "missing": str(uuid4())},
        "key_id": {"own": spare[0]["key_id"], "foreign": spare[1]["key_id"], "missing": "0000ffff"},
    }
    for values in ids.values():
        values.setdefault("foreign", values["own"])
    return World(headers, ids, (channel_a, channel_b), (delivery_a, delivery_b))


def _url(path: str, world: World, target: str) -> str:
    for name, values in world.ids.items():
        value = values[target]
        if name == "kode" and "/desa/" in path:
            value = "32.16.09.2004" if target != "missing" else "32.16.09.9999"
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path + ("?purpose=permintaan+warga" if path.endswith("/export") else "")


async def _reset(app: FastAPI, world: World) -> None:
    """Mutating routes leave the objects as they found them for the next caller: channels
    paused (their deliveries stay put), deliveries parked."""
    await app.state.pool.execute(
        "UPDATE channel SET status = 'paused' WHERE channel_id = ANY($1::uuid[])",
        list(world.channels),
    )
    await app.state.pool.execute(
        "UPDATE delivery SET status = 'parked', claim = NULL WHERE delivery_id = ANY($1::uuid[])",
        list(world.deliveries),
    )


async def test_every_route_answers_every_caller_as_its_role_allows(
    app: FastAPI, client: httpx.AsyncClient, world: World
) -> None:
    found = set(routes(app))
    assert found - set(TABLE) == set(), "routes without a row in the access table"
    assert set(TABLE) - found == set(), "rows for routes the app no longer has"
    wrong = []
    for (method, path), row in sorted(TABLE.items()):
        for caller in CALLERS:
            answers = {}
            for target in TARGETS:
                await _reset(app, world)
                response = await client.request(
                    method, _url(path, world, target), headers=world.headers[caller],
                    json=row.body, data=row.form,
                )  # fmt: skip
                want = expected(row, caller, target)
                if response.status_code != want:
                    wrong.append((method, path, caller, target, response.status_code, want))
                answers[target] = response
            foreign, missing = answers["foreign"], answers["missing"]
            if foreign.status_code == 404 and row.access != "public":
                assert (foreign.status_code, foreign.content) == (
                    missing.status_code, missing.content,
                ), (method, path, caller)  # fmt: skip
    assert wrong == [], "\n".join(map(str, wrong))


async def test_an_agency_lists_and_sees_only_its_own_channels_and_deliveries(
    client: httpx.AsyncClient, world: World
) -> None:
    agency, (channel_a, channel_b) = world.headers["agency"], world.channels
    listed = (await client.get("/channels", headers=agency)).json()
    assert [c["channel_id"] for c in listed] == [str(channel_a)]
    everything = (await client.get("/channels", headers=OPERATOR)).json()
    assert {c["channel_id"] for c in everything} >= {str(channel_a), str(channel_b)}
    for path in ("/deliveries", "/webhooks/parked"):
        items = (await client.get(path, headers=agency)).json()["items"]
        assert [i["delivery_id"] for i in items] == [str(world.deliveries[0])]
        asked = await client.get(path, params={"channel_id": str(channel_b)}, headers=agency)
        assert asked.json()["items"] == []
    lonely = world.headers["agency_without_channel"]
    assert (await client.get("/channels", headers=lonely)).json() == []
    assert (await client.get("/deliveries", headers=lonely)).json()["total"] == 0


@pytest.mark.parametrize("field", ["owner_key_subject", "max_in_flight"])
async def test_fields_an_agency_may_not_set_are_refused_by_name(
    client: httpx.AsyncClient, world: World, field: str
) -> None:
    value: Any = "Dinas Lain" if field == "owner_key_subject" else 16
    agency, channel_a = world.headers["agency"], world.channels[0]
    body = {"name": "C", "url": "http://127.0.0.1:9/c", "events": ["vacancy_closed"]}
    for response in (
        await client.post("/channels", json=body | {field: value}, headers=agency),
        await client.patch(f"/channels/{channel_a}", json={field: value}, headers=agency),
    ):
        assert response.status_code == 422, response.text
        [error] = response.json()["detail"]
        assert error["loc"] == ["body", field]
    assert len((await client.get("/channels", headers=agency)).json()) == 1  # nothing was made
    shown = (await client.get(f"/channels/{channel_a}", headers=OPERATOR)).json()
    assert (shown["owner_key_subject"], shown["max_in_flight"]) == (AGENCY, 4)
    changed = await client.patch(f"/channels/{channel_a}", json={field: value}, headers=OPERATOR)
    assert changed.status_code == 200
    assert changed.json()[field] == value


async def test_keys_are_issued_for_notify_roles_and_places_of_the_regency_only(
    client: httpx.AsyncClient,
) -> None:
    admin = {"role": "village_admin", "label": "Desa X"}
    for body, named in (
        ({"role": "company", "label": "HRD PT X"}, "role"),
        (admin | {"scope": {"desa_kode": "32.16.99.9999"}}, "scope"),
        (admin | {"scope": {"kecamatan_kode": "32.16.99"}}, "scope"),
    ):
        refused = await client.post("/api-keys", json=body, headers=OPERATOR)
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["loc"] == ["body", named]
    body = {
        "role": "village_admin",
        "label": "Desa Waluya",
        "scope": {"desa_kode": "32.16.09.2004"},
    }
    issued = await client.post("/api-keys", json=body, headers=OPERATOR)
    assert issued.status_code == 201
    assert issued.json()["key"].startswith("kl_notify_")
