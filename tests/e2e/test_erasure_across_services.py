"""A resident's data across all five services, exported and then erased (UU 27/2022).

Registry, vacancies, training, notify and the console run as real processes on one broker. A
resident registers, trains and completes with a certified skill, is matched and messaged on
WhatsApp (a local fake gateway), applies and is hired. Their data export gathers every service's
part. Then they are erased: every service confirms, the console shows the erasure complete, and
no service's database holds their NIK, either keyed hash of it, their phone, email or name any
more, while the figures of the month stay the same. A second resident, not erased, proves the
search would find such data. Nothing of either resident's personal data crossed the public
exchange or reached a service's log."""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from kerjalokal.testing.factories import registration
from kerjalokal.testing.tap import EventTap
from notify.testing import FakeGateway

from .services import new_key, ok, running, until

pytestmark = [pytest.mark.integration, pytest.mark.e2e]
TOKEN = "e2e-operator"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
T = TypeVar("T")
SERVICES = ("registry", "vacancies", "training", "notify", "console")


@pytest.fixture
async def platform(fresh_database, vhost_url, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    gateway = FakeGateway()
    await gateway.start()
    keys = {"nik_hmac": new_key(), "lookup": new_key()}
    databases = {name: await fresh_database() for name in SERVICES}
    common = {"AMQP_URL": vhost_url, "OPERATOR_TOKEN": TOKEN}
    env = {
        "registry": common | {
            "REGISTRY_DATABASE_URL": databases["registry"],
            "REGISTRY_NIK_HMAC_KEY": keys["nik_hmac"],
            "REGISTRY_DATA_KEY": new_key(),
            "NIK_LOOKUP_KEY": keys["lookup"],
        },
        "vacancies": common | {
            "VACANCIES_DATABASE_URL": databases["vacancies"],
            "NIK_LOOKUP_KEY": keys["lookup"],
        },
        "training": common | {"TRAINING_DATABASE_URL": databases["training"]},
        "notify": common | {
            "NOTIFY_DATABASE_URL": databases["notify"],
            "NOTIFY_OPT_OUT_KEY": "e2e-opt-out-key",
            "NOTIFY_DATA_KEY": new_key(),
            "NOTIFY_PUBLIC_URL": "https://lowongan.test",
            "WHATSAPP_GATEWAY_URL": f"{gateway.url}/whatsapp",
            "NOTIFY_QUIET_HOURS": "",
        },
        "console": common | {
            "CONSOLE_DATABASE_URL": databases["console"],
            "CONSOLE_USE_RABBITMQCTL": "false",
        },
    }  # fmt: skip
    try:
        async with AsyncExitStack() as stack:
            services = {}
            for name in SERVICES:
                services[name] = await stack.enter_async_context(running(name, env[name], tmp_path))
            tap = await stack.enter_async_context(EventTap(vhost_url))  # topology declared
            yield {
                "services": services,
                "databases": databases,
                "keys": keys,
                "gateway": gateway,
                "tap": tap,
                "tmp": tmp_path,
            }
    finally:
        await gateway.stop()


async def test_a_resident_is_exported_and_erased_from_every_service(platform) -> None:
    services = platform["services"]
    erased, kept = registration(skills=["pengelasan"]), registration(skills=["pengelasan"])
    async with AsyncExitStack() as stack:
        http = {
            name: await stack.enter_async_context(
                httpx.AsyncClient(base_url=service.url, headers=OPERATOR, timeout=30)
            )
            for name, service in services.items()
        }
        reg, vac, trn, console = (
            http["registry"],
            http["vacancies"],
            http["training"],
            http["console"],
        )

        ids = []
        for payload in (erased, kept):
            made = await ok(reg.post("/residents", json=payload), 201)
            ids.append(made["resident_id"])
            await ok(reg.post(f"/residents/{ids[-1]}/verify", json={"officer": "Pengantar E2E"}))
        rid, other = ids

        # training: both enrolled, the one to be erased completes with a certified skill
        for resident in ids:
            await until(lambda r=resident: _known(trn, f"/seekers/{r}"), timeout=60.0)
        for resident in ids:
            await ok(trn.post("/ready-pool", json={
                "resident_id": resident, "vocation": "Pengelasan", "kbji_code": "7212.01",
            }), 201)  # fmt: skip
        blk = await ok(trn.post("/institutions", json={
            "type": "blk_uptd", "name": "UPTD BLK Kabupaten Bekasi", "licence_status": "licensed",
            "address": {"street": "Jl. Raya Sriamur", "desa_kode": "32.16.05.2006"},
        }), 201)  # fmt: skip
        programme = await ok(trn.post("/programmes", json={
            "institution_id": blk["institution_id"], "title": "Pengelasan SMAW",
            "vocation": "Pengelasan", "kbji_code": "7212.01", "skills": ["pengelasan"],
            "competency_scheme": "SKKNI Pengelasan SMAW", "hours": 160,
        }), 201)  # fmt: skip
        today = date.today().isoformat()
        session = await ok(trn.post(
            f"/programmes/{programme['programme_id']}/sessions",
            json={"starts_on": today, "ends_on": today},
        ), 201)  # fmt: skip
        enrollments = [
            await ok(
                trn.post(f"/sessions/{session['session_id']}/enrollments", json={"resident_id": r}),
                201,
            )
            for r in ids
        ]
        await ok(trn.post(
            f"/enrollments/{enrollments[0]['enrollment_id']}/complete",
            json={"passed": True, "certified_skills": [{
                "skill": "Pengelasan", "scheme": "SKKNI Pengelasan SMAW",
                "certificate_number": "BNSP-E2E-ERASE-0001",
            }]},
        ))  # fmt: skip

        # vacancies: a welding vacancy matches both; notify messages them; the first is hired
        for resident in ids:
            await until(lambda r=resident: _known(vac, f"/seekers/{r}"), timeout=60.0)
        company = await ok(vac.post("/companies", json={
            "name": "PT Las Hapus Data", "nib": "9120000000077", "kbli_code": "25111",
            "kbli_version": "2020", "industrial_estate": "Kawasan Industri Jababeka",
            "address": {"street": "Jl. Jababeka XII Blok W", "desa_kode": "32.16.09.2002"},
            "hr_contact": {"name": "Ibu HRD", "phone": "081377770000", "email": "hrd@hapus.co.id"},
        }), 201)  # fmt: skip
        await ok(vac.post(f"/companies/{company['company_id']}/verify"))
        hr = {"Authorization": f"Bearer {company['hr_token']}"}
        valid = datetime.now(ZoneInfo("Asia/Jakarta")).date() + timedelta(days=30)
        draft = await ok(vac.post("/vacancies", headers=hr, json={
            "title": "Juru Las SMAW", "description": "Mengelas rangka baja.",
            "kbji_code": "7212.01", "openings": 1, "valid_until": valid.isoformat(),
            "education": {"minimum": 4}, "skills": ["pengelasan"],
            "work_desa_kode": "32.16.09.2004", "work_address": "Jababeka Blok W",
            "contract_type": "pkwt", "contract_months": 12,
        }), 201)  # fmt: skip
        vacancy_id = draft["vacancy_id"]
        await ok(vac.post(f"/vacancies/{vacancy_id}/submit", headers=hr))
        await ok(vac.post(f"/vacancies/{vacancy_id}/approve", json={}))
        gateway = platform["gateway"]
        await until(lambda: _messaged(gateway, erased["phone"]), timeout=60.0)
        application = await ok(vac.post(
            "/applications", json={"vacancy_id": vacancy_id, "resident_id": rid}
        ), 201)  # fmt: skip
        for status in ("screening", "interview"):
            await ok(vac.post(f"/applications/{application['application_id']}/transitions",
                              json={"status": status}, headers=hr))  # fmt: skip
        start = datetime.now(ZoneInfo("Asia/Jakarta")).date()
        await ok(vac.post(
            f"/applications/{application['application_id']}/transitions",
            json={"status": "hired", "start_date": start.isoformat(), "contract_type": "pkwt"},
            headers=hr,
        ))  # fmt: skip
        await until(lambda: _status(reg, rid, "placed"), timeout=60.0)

        # the export: the resident's part of every service, in one file
        out = platform["tmp"] / "ekspor.json"
        exported = await _export(services, rid, out)
        assert exported["services"]["registry"]["data"]["nik"] == erased["nik"]
        held = json.dumps(exported["services"])
        assert application["application_id"] in held
        assert enrollments[0]["enrollment_id"] in held
        assert exported["services"]["notify"] is not None
        assert erased["phone"][-8:] in json.dumps(exported["services"]["notify"])

        figures_before = await _settled(lambda: _figures(http))

        # the erasure, and every service's confirmation
        await ok(reg.post(f"/residents/{rid}/erasure", json={"reason": "Permohonan warga E2E-7"}))

        async def complete() -> dict[str, Any] | None:
            rows = (await ok(console.get("/erasures"))) or []
            row = next((r for r in rows if r["resident_id"] == rid), None)
            return row if row is not None and row["status"] == "complete" else None

        confirmed = await until(complete, timeout=90)
        figures_after = await _settled(lambda: _figures(http))
        assert (await reg.get(f"/residents/{rid}")).status_code == 404
        assert (await reg.get(f"/residents/{other}")).status_code == 200
        await asyncio.sleep(1.0)  # the last events reach the tap

    assert set(confirmed["confirmations"]) == {"vacancies", "training", "notify"}
    assert all(confirmed["confirmations"].values())
    assert figures_after == figures_before

    needles = _needles(erased, platform["keys"])
    found = await _search_databases(platform["databases"], needles)
    assert found == {}, found
    controls = _needles(kept, platform["keys"])
    seen = await _search_databases(platform["databases"], controls)
    assert "registry" in seen  # the search finds a resident's data where it still is
    assert "vacancies" in seen  # (the NIK lookup hash of the resident kept)

    wire = "".join(m.body.decode(errors="replace") + json.dumps(m.headers, default=str)
                   for m in platform["tap"].messages)  # fmt: skip
    for person in (erased, kept):
        for secret in _plain(person):
            assert secret not in wire, secret
            for name, service in services.items():
                assert secret not in service.logs(), (name, secret)


def _plain(person: dict[str, Any]) -> list[str]:
    phone = person["phone"]
    local = phone[1:] if phone.startswith("0") else phone.removeprefix("+62")
    return [person["nik"], person["full_name"], person["email"], "+62" + local, "62" + local,
            "0" + local]  # fmt: skip


def _needles(person: dict[str, Any], keys: dict[str, str]) -> dict[str, str]:
    nik = person["nik"].encode()
    lookups = {
        "nik_hmac": hmac.new(base64.b64decode(keys["nik_hmac"]), nik, hashlib.sha256).hexdigest(),
        "nik_lookup": hmac.new(base64.b64decode(keys["lookup"]), nik, hashlib.sha256).hexdigest(),
    }
    return {text: text for text in _plain(person)} | {v: k for k, v in lookups.items()}


async def _search_databases(
    databases: dict[str, str], needles: dict[str, str]
) -> dict[str, list[str]]:
    """Every row of every table of each service's database, as JSON text (bytea as hex)."""
    found: dict[str, list[str]] = {}
    for service, url in databases.items():
        conn = await asyncpg.connect(url)
        try:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
            for (table,) in tables:
                rows = await conn.fetch(f'SELECT row_to_json(t)::text FROM "{table}" t')
                text = "\n".join(r[0] for r in rows).lower()
                for needle, what in needles.items():
                    if needle.lower() in text:
                        found.setdefault(service, []).append(f"{table}: {what}")
        finally:
            await conn.close()
    return found


async def _figures(http: dict[str, httpx.AsyncClient]) -> dict[str, Any]:
    month = datetime.now(ZoneInfo("Asia/Jakarta")).strftime("%Y-%m")
    return {
        "vacancies": await ok(http["vacancies"].get("/figures")),
        "training": await ok(http["training"].get("/reports/summary")),
        "outcomes": await ok(http["training"].get("/reports/outcomes")),
        "console": await ok(http["console"].get("/api/laporan", params={"month": month})),
    }


async def _settled(read: Callable[[], Awaitable[T]]) -> T:
    """The figures once two reads a second apart agree (the projections caught up)."""
    last = await read()
    for _ in range(30):
        await asyncio.sleep(1.0)
        now = await read()
        if now == last:
            return now
        last = now
    raise AssertionError("figures did not settle")


async def _export(services: dict[str, Any], rid: str, out: Path) -> dict[str, Any]:
    env = os.environ | {
        "OPERATOR_TOKEN": TOKEN,
        "CONSOLE_DATABASE_URL": "postgresql://unused/unused",
        "AMQP_URL": "amqp://unused/",
    } | {f"{name.upper()}_URL": service.url for name, service in services.items()}  # fmt: skip
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "console.cli", "export", rid, "--purpose",
         "Permintaan salinan data oleh warga E2E-6", "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return dict(json.loads(await asyncio.to_thread(out.read_text)))


async def _known(http: httpx.AsyncClient, path: str) -> bool:
    return (await http.get(path)).status_code == 200


async def _status(http: httpx.AsyncClient, rid: str, status: str) -> bool:
    return (await http.get(f"/residents/{rid}")).json()["status"] == status


async def _messaged(gateway: FakeGateway, phone: str) -> bool:
    local = phone[1:] if phone.startswith("0") else phone.removeprefix("+62")
    return any(local in json.dumps(r.payload) for r in gateway.messages.values())
