"""Erasures from the event log: the registry's announcement and the services' confirmations
become one row per erasure (complete, waiting, late); the figures of past months stay as they
were, and the console keeps no link from the erased resident's id to the rows it counts."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kerjalokal.events import notify as ntf
from kerjalokal.events import registry as reg
from kerjalokal.events import training as trn
from kerjalokal.events import vacancies as vac

from ..conftest import OPERATOR, applied_up_to, example, settings_for
from .test_report import at, seeker

pytestmark = pytest.mark.integration
CONFIRMATIONS = {
    "vacancies": vac.ResidentDataErasedV1,
    "training": trn.ResidentDataErasedV1,
    "notify": ntf.ResidentDataErasedV1,
}


async def erase(publisher, resident: str, *, minutes_ago: float) -> str:
    erased_at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return await publisher.event(
        example(
            reg.ResidentErasedV1, resident_id=resident, version=9, erased_at=erased_at.isoformat()
        )
    )


async def confirm(publisher, service: str, resident: str, erasure_id: str) -> None:
    await publisher.event(
        example(
            CONFIRMATIONS[service],
            resident_id=resident,
            erasure_event_id=erasure_id,
            erased_at=datetime.now(UTC).isoformat(),
        )
    )


async def test_erasures_are_complete_waiting_or_late(client, publisher) -> None:
    complete, waiting, late = (str(uuid.uuid4()) for _ in range(3))
    early_confirmation = str(uuid.uuid4())  # read before its erasure: matched once both are in
    await confirm(publisher, "notify", complete, early_confirmation)
    await publisher.event(
        example(
            reg.ResidentErasedV1,
            resident_id=complete,
            version=3,
            erased_at=(datetime.now(UTC) - timedelta(minutes=40)).isoformat(),
        ),
        event_id=early_confirmation,
    )
    await confirm(publisher, "vacancies", complete, early_confirmation)
    await confirm(publisher, "training", complete, early_confirmation)
    waiting_id = await erase(publisher, waiting, minutes_ago=2)
    await confirm(publisher, "training", waiting, waiting_id)
    late_id = await erase(publisher, late, minutes_ago=16)
    await confirm(publisher, "vacancies", late, late_id)
    await confirm(publisher, "notify", late, str(uuid.uuid4()))  # another erasure's: not this one
    await applied_up_to(client, publisher.sent - 1)

    found = {row["resident_id"]: row for row in (await client.get("/erasures")).json()}
    assert set(found) == {complete, waiting, late}
    assert found[complete]["status"] == "complete"
    assert found[complete]["complete"] is True
    assert found[complete]["missing"] == []
    assert found[waiting]["status"] == "waiting"
    assert found[waiting]["missing"] == ["vacancies", "notify"]
    assert found[waiting]["confirmations"]["training"] is not None
    assert found[late]["status"] == "late"
    assert found[late]["late"] is True
    assert found[late]["missing"] == ["training", "notify"]
    assert found[late]["erasure_event_id"] == late_id
    only_late = (await client.get("/erasures", params={"status": "late"})).json()
    assert [row["resident_id"] for row in only_late] == [late]
    assert (await client.get("/erasures", params={"status": "gone"})).status_code == 422

    # The projection holds ids and times only.
    assert set(found[late]) == {
        "erasure_event_id",
        "resident_id",
        "erased_at",
        "confirmations",
        "missing",
        "complete",
        "late",
        "status",
    }

    # The page: Bahasa first, the late one flagged.
    await client.post("/login", data={"token": "test-operator"})
    page = await client.get("/penghapusan")
    assert page.status_code == 200
    assert "Penghapusan data warga" in page.text
    assert "1 penghapusan terlambat / 1 erasures late" in page.text
    assert page.text.count('data-status="late"') == 1
    assert page.text.count('data-status="complete"') == 1
    assert "Terlambat / late" in page.text
    overview = await client.get("/")
    assert "1 penghapusan data terlambat" in overview.text


async def test_a_longer_deadline_is_configurable(fresh_database, vhost_url) -> None:
    import httpx
    from asgi_lifespan import LifespanManager

    from console.main import create_app

    from ..conftest import Publisher

    settings = settings_for(await fresh_database(), vhost_url, CONSOLE_ERASURE_LATE_MINUTES=60)
    app = create_app(settings)
    async with (
        LifespanManager(app, startup_timeout=30, shutdown_timeout=30),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://console", headers=OPERATOR
        ) as client,
        Publisher(vhost_url) as publisher,
    ):
        resident = str(uuid.uuid4())
        await erase(publisher, resident, minutes_ago=16)
        await applied_up_to(client, publisher.sent - 1)
        [row] = (await client.get("/erasures")).json()
        assert row["status"] == "waiting"


async def figures(client, month: str) -> dict[str, Any]:
    tracker = (await client.get("/api/tracker")).json()
    report = (await client.get("/api/laporan", params={"month": month})).json()
    return {
        "tracker": tracker,
        "report": report,
        "csv": (await client.get("/laporan.csv", params={"month": month})).text,
    }


async def test_past_figures_do_not_change_when_a_resident_is_erased(app, client, publisher) -> None:
    campaign = {
        "name": "Uji penghapusan",
        "target": 10,
        "starts_on": "2026-09-01",
        "working_days": 200,
    }
    assert (await client.put("/api/campaigns/uji-hapus", json=campaign)).status_code == 200
    residents = []
    for sex in ("P", "L"):
        await seeker(
            publisher,
            registered="2026-10-03",
            sex=sex,
            kecamatan="32.16.09",
            changes=[
                ("2026-10-05", "registered", "verified"),
                ("2026-10-20", "verified", "placed"),
            ],
        )
    async with app.state.pool.acquire() as conn:
        await applied_up_to(client, publisher.sent - 1)
        residents = [
            str(r["resident_id"]) for r in await conn.fetch("SELECT resident_id FROM seeker")
        ]
    for resident in residents:
        await publisher.event(
            example(
                vac.ResidentHiredV1,
                hire_id=str(uuid.uuid4()),
                resident_id=resident,
                hired_at=at("2026-10-20"),
                start_date="2026-10-21",
            )
        )
        await publisher.event(
            example(
                trn.ResidentEnrolledV1,
                enrollment_id=str(uuid.uuid4()),
                resident_id=resident,
                enrolled_at=at("2026-10-10"),
            )
        )
    await applied_up_to(client, publisher.sent - 1)
    before = await figures(client, "2026-10")
    assert before["report"]["seekers"], before["report"]
    assert before["tracker"]["placed"] == 2

    erased = residents[0]
    erasure_id = await erase(publisher, erased, minutes_ago=1)
    for service in CONFIRMATIONS:
        await confirm(publisher, service, erased, erasure_id)
    await applied_up_to(client, publisher.sent - 1)
    assert await figures(client, "2026-10") == before

    async with app.state.pool.acquire() as conn:
        for table in ("seeker", "seeker_status", "hire", "enrollment", "trainee"):
            rows = await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE resident_id = $1", uuid.UUID(erased)
            )
            assert rows == 0, table
        assert await conn.fetchval("SELECT count(*) FROM seeker") == 2
        [row] = (await client.get("/erasures")).json()
        assert row["status"] == "complete"

    # A rebuild from the event log gives the same figures.
    assert (await client.post("/api/projection/rebuild")).status_code == 202
    await applied_up_to(client, publisher.sent - 1)
    assert await figures(client, "2026-10") == before
