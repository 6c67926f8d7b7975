"""Bulk CSV import over HTTP, against the real PostgreSQL and RabbitMQ."""

import asyncio
import csv
import io
import json
from datetime import date
from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import FastAPI

from kerjalokal.testing.factories import registration
from kerjalokal.testing.tap import EventTap
from registry import imports
from registry.config import Settings
from registry.services import Actor

from ..conftest import OPERATOR

pytestmark = pytest.mark.integration
REGISTERED = "registry.resident_registered.v1"
IMPORTED, EXISTING = "imported", "already registered"


def seeker(**overrides: str) -> dict[str, str]:
    data = registration(full_name=f"Warga Impor {uuid4().hex[:10]}")
    return {
        "nik": data["nik"],
        "full_name": data["full_name"],
        "sex": data["sex"],
        "birth_date": data["birth_date"],
        "birth_place": "Bekasi",
        "phone": data["phone"],
        "email": data["email"],
        "street": "Jl. Raya Industri 12, Blok C",
        "rt": "001",
        "rw": "004",
        "desa_kode": data["address"]["desa_kode"],
        "postal_code": "17530",
        "education_level": "5",
        "education_track": "kejuruan",
        "education_major": "Teknik Mesin",
        "skills": "Pengelasan; bubut",
        "consent_contact": "ya",
        "channels": "whatsapp",
    } | overrides


def to_csv(rows: list[dict[str, str]], columns: tuple[str, ...] = imports.COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def mixed_plan(earlier_nik: str) -> list[tuple[dict[str, str], str]]:
    """Rows and what should become of each: imported, already registered, or the field refused."""
    first = seeker()
    day_first = seeker()
    day_first["birth_date"] = date.fromisoformat(day_first["birth_date"]).strftime("%d-%m-%Y")
    return [
        (seeker(), IMPORTED),
        (seeker(nik="32160145080100"), "nik"),
        (first, IMPORTED),
        (seeker(desa_kode="32.16.09.2999"), "address.desa_kode"),
        (seeker(phone="021-8901234"), "phone"),
        (seeker(full_name=""), "full_name"),
        (seeker(birth_date="31-02-1999"), "birth_date"),
        (seeker(nik=first["nik"]), EXISTING),
        (seeker(nik=earlier_nik), EXISTING),
        (day_first, IMPORTED),
        (seeker(), IMPORTED),
    ]


async def upload(
    client: httpx.AsyncClient, content: bytes, *, name: str = "pencaker.csv"
) -> httpx.Response:
    files = {"file": (name, content, "text/csv")}
    return await client.post("/imports", files=files, headers=OPERATOR)


async def finished(client: httpx.AsyncClient, import_id: str) -> dict:
    for _ in range(300):
        job = (await client.get(f"/imports/{import_id}", headers=OPERATOR)).json()
        if job["status"] != "running":
            return job
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish in 15 s")


async def import_file(client: httpx.AsyncClient, content: bytes) -> dict:
    response = await upload(client, content)
    assert response.status_code == 202, response.text
    job = await finished(client, response.json()["import_id"])
    assert job["status"] == "done", job
    return job


async def register_earlier(client: httpx.AsyncClient) -> dict:
    payload = registration()
    response = await client.post("/residents", json=payload, headers=OPERATOR)
    assert response.status_code == 201, response.text
    return payload | {"resident_id": response.json()["resident_id"]}


async def residents_by_name(client: httpx.AsyncClient) -> dict[str, str]:
    page = (await client.get("/residents?limit=200", headers=OPERATOR)).json()
    assert page["total"] == len(page["items"])
    return {item["personal"]["full_name"]: item["resident_id"] for item in page["items"]}


async def count(app: FastAPI, table: str) -> int:
    result: int = await app.state.pool.fetchval(f"SELECT count(*) FROM {table}")
    return result


async def test_good_rows_are_imported_and_bad_rows_reported_by_line_without_values(
    client: httpx.AsyncClient,
) -> None:
    earlier = await register_earlier(client)
    plan = mixed_plan(earlier["nik"])
    job = await import_file(client, to_csv([row for row, _ in plan]))

    assert job["imported"] == sum(outcome == IMPORTED for _, outcome in plan) == 4
    assert job["already_registered"] == 2
    assert job["processed_rows"] == job["total_rows"] == len(plan)
    lines = enumerate(plan, start=2)
    refused = {line: outcome for line, (_, outcome) in lines if outcome not in (IMPORTED, EXISTING)}
    assert {error["line"] for error in job["errors"]} == set(refused)
    for error in job["errors"]:
        assert error["reason"].startswith(f"{refused[error['line']]}:"), error
    reasons = json.dumps(job["errors"])
    for row, _ in plan:
        assert row["nik"] not in reasons
        assert row["phone"] not in reasons
        assert row["phone"][1:] not in reasons

    names = await residents_by_name(client)
    imported = {row["full_name"] for row, outcome in plan if outcome == IMPORTED}
    assert set(names) == imported | {earlier["full_name"]}
    assert names[earlier["full_name"]] == earlier["resident_id"]
    first = names[plan[0][0]["full_name"]]
    history = await client.get(f"/residents/{first}/history", headers=OPERATOR)
    assert [(h["action"], h["detail"]) for h in history.json()] == [("registered", {})]


async def test_events_are_published_for_exactly_the_imported_rows(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    async with EventTap(settings.amqp_url, pattern=REGISTERED) as tap:
        earlier = await register_earlier(client)
        await tap.wait_for(REGISTERED)
        plan = mixed_plan(earlier["nik"])
        imported = {row["full_name"] for row, outcome in plan if outcome == IMPORTED}
        await import_file(client, to_csv([row for row, _ in plan]))
        await tap.wait_for(REGISTERED, 1 + len(imported))
        await asyncio.sleep(1.0)
    names = await residents_by_name(client)
    published = [body["resident_id"] for body in tap.bodies(REGISTERED)]
    assert sorted(published) == sorted(names[name] for name in imported | {earlier["full_name"]})
    assert published[0] == earlier["resident_id"]
    kinds = [body["registered_by"] for body in tap.bodies(REGISTERED)]
    assert kinds == ["operator"] + ["bulk_import"] * len(imported)


async def test_the_import_records_each_new_identity_in_the_same_batch(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    identity_type = "registry.resident_identity_recorded.v1"
    rows = [seeker() for _ in range(3)]
    rows.append(seeker(nik=rows[0]["nik"]))
    async with EventTap(settings.amqp_url, exchange="kerjalokal.restricted") as tap:
        await import_file(client, to_csv(rows))
        await tap.wait_for(identity_type, 3)
        await asyncio.sleep(0.5)
    names = await residents_by_name(client)
    lookups = {body["resident_id"]: body["nik_lookup"] for body in tap.bodies(identity_type)}
    assert len(tap.bodies(identity_type)) == 3
    assert set(lookups) == {names[row["full_name"]] for row in rows[:3]}
    for row in rows[:3]:
        assert len(lookups[names[row["full_name"]]]) == 64
        assert row["nik"] not in json.dumps(tap.bodies(identity_type))


async def test_of_a_nik_repeated_in_the_file_the_first_row_is_imported(
    client: httpx.AsyncClient,
) -> None:
    firsts = [seeker() for _ in range(40)]
    repeats = [seeker(nik=row["nik"]) for row in firsts]
    job = await import_file(client, to_csv(firsts + repeats))
    assert (job["imported"], job["already_registered"]) == (40, 40)
    assert set(await residents_by_name(client)) == {row["full_name"] for row in firsts}


async def test_the_same_file_again_returns_the_same_job_and_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    content = to_csv([seeker() for _ in range(5)])
    job = await import_file(client, content)
    residents, events = await count(app, "resident"), await count(app, "outbox")
    assert (residents, events) == (5, 15)  # registered, contact and identity per seeker

    again = await upload(client, content, name="salinan.csv")
    assert again.status_code == 202
    assert again.json() == job
    await asyncio.sleep(0.5)
    assert (await count(app, "resident"), await count(app, "outbox")) == (residents, events)
    assert await finished(client, job["import_id"]) == job


async def test_a_file_whose_import_failed_can_be_imported_again(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    content = to_csv([seeker() for _ in range(3)])
    job = await import_file(client, content)
    await app.state.pool.execute(
        "UPDATE import_job SET status = 'failed' WHERE import_id = $1", UUID(job["import_id"])
    )
    again = await upload(client, content)
    assert again.json()["import_id"] == job["import_id"]
    rerun = await finished(client, job["import_id"])
    assert (rerun["status"], rerun["imported"], rerun["already_registered"]) == ("done", 0, 3)
    assert await count(app, "resident") == 3


async def test_a_file_without_the_required_columns_is_reported(client: httpx.AsyncClient) -> None:
    columns = tuple(c for c in imports.COLUMNS if c not in ("birth_date", "desa_kode"))
    job = await import_file(client, to_csv([seeker(), seeker()], columns))
    assert job["imported"] == job["already_registered"] == 0
    [error] = job["errors"]
    assert error["line"] == 1
    assert "birth_date" in error["reason"]
    assert "desa_kode" in error["reason"]


async def test_a_file_that_is_not_utf8_is_reported_with_its_line(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    content = to_csv([seeker()]) + "Warga Cré,".encode("latin-1") + b"\n"
    job = await import_file(client, content)
    assert job["imported"] == 0
    [error] = job["errors"]
    assert error["line"] == 3
    assert "UTF-8" in error["reason"]
    assert await count(app, "resident") == 0


async def test_a_file_over_the_size_limit_is_refused(
    client: httpx.AsyncClient, app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.settings, "max_import_bytes", 1000)
    response = await upload(client, to_csv([seeker() for _ in range(10)]))
    assert response.status_code == 413
    assert "MiB" in response.json()["detail"]
    assert await count(app, "import_job") == 0


async def test_a_job_left_running_by_a_stop_is_failed_at_start_and_can_be_resumed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    content = to_csv([seeker() for _ in range(3)])
    job = await import_file(client, content)
    await app.state.pool.execute(
        "UPDATE import_job SET status = 'running' WHERE import_id = $1", UUID(job["import_id"])
    )
    assert await imports.fail_interrupted(app.state.pool) == 1
    stopped = (await client.get(f"/imports/{job['import_id']}", headers=OPERATOR)).json()
    assert stopped["status"] == "failed"
    assert "upload the file again" in stopped["errors"][-1]["reason"]
    await upload(client, content)
    rerun = await finished(client, job["import_id"])
    assert (rerun["status"], rerun["already_registered"]) == ("done", 3)


async def test_a_village_admin_may_not_import(
    client: httpx.AsyncClient, app: FastAPI, waluya_admin: dict[str, str]
) -> None:
    files = {"file": ("desa.csv", to_csv([seeker()]), "text/csv")}
    response = await client.post("/imports", files=files, headers=waluya_admin)
    assert response.status_code == 403
    assert await count(app, "import_job") == 0


async def test_the_command_line_path_reports_progress_up_to_the_row_count(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "BATCH_SIZE", 3)
    rows = [seeker() for _ in range(10)]
    rows[1]["phone"] = rows[8]["phone"] = "12345"
    content = to_csv(rows).rstrip(b"\r\n")
    actor = Actor(role="operator", name="cli")
    pool = app.state.pool
    job, is_new = await imports.create_job(pool, content=content, filename="x.csv", actor=actor)
    assert is_new
    seen: list[tuple[int, int]] = []
    await imports.run(
        pool,
        import_id=job["import_id"],
        content=content,
        cipher=app.state.cipher,
        actor=actor,
        progress=lambda done, total: seen.append((done, total)),
    )

    done = [d for d, _ in seen]
    assert done == sorted(done)
    assert len(set(done)) > 2
    assert done[-1] == 10
    assert {total for _, total in seen} == {10}
    final = await imports.get(pool, import_id=UUID(str(job["import_id"])))
    assert final is not None
    assert (final["status"], final["imported"]) == ("done", 8)
    assert [error["line"] for error in final["errors"]] == [3, 10]
