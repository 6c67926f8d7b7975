"""The projections from the real event log stream: figures, exactly once, restart, rebuild."""

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from console.domain import workdays
from kerjalokal.events import registry as reg
from kerjalokal.events import training as trn
from kerjalokal.events import vacancies as vac

from ..conftest import Publisher, applied_up_to, example

pytestmark = pytest.mark.integration
JABABEKA, MM2100 = "Kawasan Industri Jababeka", "Kawasan Industri MM2100"


def campaign_start() -> date:
    """A start 10 working days ago, so that today (WIB) is inside a 100-day campaign."""
    today = datetime.now(UTC).astimezone(workdays_tz()).date()
    day, seen = today, 0
    while seen < 10:
        day -= timedelta(days=1)
        seen += workdays.is_working_day(day)
    return day


def workdays_tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Jakarta")


async def story(publisher: Publisher) -> dict[str, object]:
    """Two MoU companies, three seekers, four hires (one twice on the wire), one training."""
    now = datetime.now(UTC)
    a, b = uuid.uuid4(), uuid.uuid4()
    residents = [uuid.uuid4() for _ in range(3)]
    institution = uuid.uuid4()
    for company, estate, committed, share in ((a, JABABEKA, 100, 60), (b, MM2100, 50, 30)):
        await publisher.event(
            example(
                vac.CompanyVerifiedV1,
                company_id=str(company),
                company_name=f"PT {estate[-8:]}",
                industrial_estate=estate,
            )
        )
        await publisher.event(
            example(
                vac.PartnershipSignedV1,
                partnership_id=str(uuid.uuid4()),
                company_id=str(company),
                local_hires_committed=committed,
                local_share_percent=share,
            )
        )
    for i, resident in enumerate(residents):
        profile = reg.ResidentRegisteredV1.example().model_dump(mode="json")["profile"]
        profile["domicile"]["desa_kode"] = ("32.16.09.2004", "32.16.19.2004", "32.16.09.2004")[i]
        profile["domicile"]["kecamatan_kode"] = ("32.16.09", "32.16.19", "32.16.09")[i]
        await publisher.event(
            example(
                reg.ResidentRegisteredV1,
                resident_id=str(resident),
                registered_at=(now - timedelta(days=1)).isoformat(),
                profile=profile,
            )
        )
    enrollment = uuid.uuid4()
    await publisher.event(
        example(
            trn.ResidentEnrolledV1,
            enrollment_id=str(enrollment),
            resident_id=str(residents[0]),
            institution_id=str(institution),
            enrolled_at=(now - timedelta(days=3)).isoformat(),
        )
    )
    await publisher.event(
        example(
            trn.TrainingCompletedV1,
            enrollment_id=str(enrollment),
            resident_id=str(residents[0]),
            completed_at=(now - timedelta(days=2)).isoformat(),
        )
    )
    hires = [
        (residents[0], a, True),
        (residents[1], a, True),
        (residents[2], b, False),
        (uuid.uuid4(), b, False),
    ]
    hire_ids = []
    for resident, company, local in hires:
        hire_id = uuid.uuid4()
        hire_ids.append(hire_id)
        event = example(
            vac.ResidentHiredV1,
            hire_id=str(hire_id),
            resident_id=str(resident),
            company_id=str(company),
            is_local=local,
            hired_at=now.isoformat(),
        )
        event_id = await publisher.event(event)
        if len(hire_ids) == 1:
            await publisher.event(event, event_id=event_id)  # a relay resent it: same ce-id
    # the same hire again under a new ce-id (a company re-reported it): counts once per hire_id
    await publisher.event(
        example(
            vac.ResidentHiredV1,
            hire_id=str(hire_ids[1]),
            resident_id=str(residents[1]),
            company_id=str(a),
            is_local=True,
            hired_at=now.isoformat(),
        )
    )
    return {"companies": (a, b), "residents": residents, "institution": institution}


async def test_tracker_figures_come_from_the_events(client, publisher) -> None:
    start = campaign_start()
    response = await client.put(
        "/api/campaigns/uji",
        json={
            "name": "Uji 100 hari",
            "target": 10,
            "starts_on": start.isoformat(),
            "working_days": 100,
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["deadline"] == workdays.nth_working_day(start, 100).isoformat()
    facts = await story(publisher)
    await publisher.raw("training.something_new.v1", b'{"whatever": 1}', event_id=str(uuid.uuid4()))
    await applied_up_to(client, publisher.sent - 1)

    t = (await client.get("/api/tracker")).json()
    assert (t["placed"], t["hires"]) == (2, 4)
    assert t["local_share"] == pytest.approx(50.0)
    today = datetime.now(workdays_tz()).date()
    elapsed = workdays.working_days_between(start, today)  # 10 or 11: today may be a weekend
    assert (t["elapsed_working_days"], t["remaining_working_days"]) == (elapsed, 100 - elapsed)
    assert t["run_rate"] == pytest.approx(2 / elapsed)
    assert t["needed_rate"] == pytest.approx(8 / (100 - elapsed))
    assert t["projection"] == round(2 + 2 / elapsed * (100 - elapsed))
    by_company = {c["company_id"]: c for c in t["companies"]}
    a, b = (str(c) for c in facts["companies"])  # type: ignore[union-attr]
    assert (by_company[a]["hires"], by_company[a]["local_hires"]) == (2, 2)
    assert by_company[a]["commitment_percent"] == pytest.approx(2.0)
    assert by_company[b]["local_share"] == 0.0
    assert by_company[b]["below_threshold"]
    assert [c["company_id"] for c in t["below_threshold"]] == [b]
    assert {e["name"]: e["local_hires"] for e in t["industrial_estates"]} == {
        JABABEKA: 2,
        MM2100: 0,
    }
    assert {k["kode"]: k["local_hires"] for k in t["kecamatan"]} == {"32.16.09": 1, "32.16.19": 1}
    assert {d["name"] for d in t["desa"]} >= {"Waluya"}
    [institution] = t["institutions"]
    assert (institution["completed"], institution["hires"], institution["local_hires"]) == (1, 1, 1)
    assert t["pipeline"] == {"ready": 0, "waiting": 0, "in_training": 0, "completed": 1}


async def test_rebuilding_from_the_first_offset_gives_the_same_figures(client, publisher) -> None:
    await client.put(
        "/api/campaigns/uji",
        json={
            "name": "Uji",
            "target": 3000,
            "starts_on": campaign_start().isoformat(),
            "working_days": 100,
        },
    )
    await story(publisher)
    await applied_up_to(client, publisher.sent - 1)
    before = (await client.get("/api/tracker")).json()
    report_before = (await client.get("/laporan.csv")).text
    applied_before = (await client.get("/api/projection")).json()["applied"]

    assert (await client.post("/api/projection/rebuild")).status_code == 202
    position = await applied_up_to(client, publisher.sent - 1)
    assert position["rebuilt_at"] is not None
    assert position["applied"] == applied_before
    assert (await client.get("/api/tracker")).json() == before
    assert (await client.get("/laporan.csv")).text == report_before


async def test_a_restart_resumes_after_the_stored_offset(settings) -> None:
    import httpx
    from asgi_lifespan import LifespanManager

    from console.main import create_app

    from ..conftest import OPERATOR

    async def run(count: int) -> dict:
        app = create_app(settings)
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://c", headers=OPERATOR
            ) as http:
                async with Publisher(settings.amqp_url) as publisher:
                    publisher.sent = count
                    for _ in range(3):
                        await publisher.event(
                            example(vac.ResidentHiredV1, hire_id=str(uuid.uuid4()))
                        )
                    await applied_up_to(http, publisher.sent - 1)
                return (await http.get("/api/projection")).json()

    first = await run(0)
    second = await run(3)
    assert (first["last_offset"], first["applied"]) == (2, 3)
    assert (second["last_offset"], second["applied"]) == (5, 6)


async def test_an_event_that_cannot_be_applied_is_a_console_dead_letter(client, publisher) -> None:
    await publisher.raw(
        "vacancies.resident_hired.v1", b'{"hire_id": "not-a-uuid"}', event_id=str(uuid.uuid4())
    )
    await publisher.event(example(vac.ResidentHiredV1, hire_id=str(uuid.uuid4())))
    await applied_up_to(client, 1)
    [dead] = (await client.get("/api/dead-letters", params={"service": "console"})).json()
    assert dead["reason"] == "unreadable"
    assert "hire_id" in dead["error"]
    assert dead["queue"] == "kerjalokal.events.log"
    replay = await client.post(f"/api/dead-letters/{dead['dead_letter_id']}/replay")
    assert replay.status_code == 409  # still unreadable: it stays pending
    discard = await client.post(
        f"/api/dead-letters/{dead['dead_letter_id']}/discard",
        json={"note": "payload rusak dari uji / broken test payload"},
    )
    assert discard.status_code == 200
    assert (await client.get("/api/dead-letters", params={"service": "console"})).json() == []


async def test_the_training_pipeline_follows_each_residents_latest_stage(client, publisher) -> None:
    await client.put(
        "/api/campaigns/uji",
        json={
            "name": "Uji",
            "target": 100,
            "starts_on": campaign_start().isoformat(),
            "working_days": 100,
        },
    )
    now = datetime.now(UTC)
    institution = str(uuid.uuid4())
    await publisher.event(
        example(trn.ProgrammeOpenedV1, institution_id=institution, institution_type="lpk")
    )
    people = [str(uuid.uuid4()) for _ in range(5)]
    for i, resident in enumerate(people):  # all five assessed as ready
        await publisher.event(
            example(
                trn.ReadinessAssessedV1,
                resident_id=resident,
                changed_at=(now - timedelta(days=10, minutes=i)).isoformat(),
            )
        )
    await publisher.event(
        example(
            trn.ResidentWaitlistedV1,
            resident_id=people[1],
            enrollment_id=str(uuid.uuid4()),
            institution_id=institution,
            waitlisted_at=(now - timedelta(days=5)).isoformat(),
        )
    )
    enrolled = {}
    for resident in people[2:4]:
        enrolled[resident] = str(uuid.uuid4())
        await publisher.event(
            example(
                trn.ResidentEnrolledV1,
                resident_id=resident,
                enrollment_id=enrolled[resident],
                institution_id=institution,
                enrolled_at=(now - timedelta(days=4)).isoformat(),
            )
        )
    await publisher.event(
        example(
            trn.TrainingCompletedV1,
            resident_id=people[3],
            enrollment_id=enrolled[people[3]],
            institution_id=institution,
            completed_at=(now - timedelta(days=1)).isoformat(),
        )
    )
    await publisher.event(
        example(
            trn.ReadinessAssessedV1,
            resident_id=people[4],
            ready=False,
            reason="not_eligible",
            changed_at=now.isoformat(),
        )
    )
    await applied_up_to(client, publisher.sent - 1)
    t = (await client.get("/api/tracker")).json()
    assert t["pipeline"] == {"ready": 1, "waiting": 1, "in_training": 1, "completed": 1, "left": 1}
    [row] = t["institutions"]
    assert row["name"] == f"LPK {institution[:8]}"
    assert (row["in_training"], row["completed"]) == (1, 1)


async def test_the_projection_resumes_after_the_broker_connection_is_cut(settings) -> None:
    """A network cut between the console and the broker (the fault suite's scenario): the
    projector must read on from its stored offset once the path is back, not wait forever on a
    consumer the reconnect did not bring back."""
    from urllib.parse import urlsplit, urlunsplit

    import httpx
    from asgi_lifespan import LifespanManager

    from console.main import create_app
    from kerjalokal.testing.proxy import TcpProxy

    from ..conftest import OPERATOR

    parts = urlsplit(settings.amqp_url)
    proxy = await TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672).start()
    proxied = settings.model_copy(
        update={
            "amqp_url": urlunsplit(
                parts._replace(netloc=f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}")
            )
        }
    )
    app = create_app(proxied)
    try:
        async with LifespanManager(app, startup_timeout=30, shutdown_timeout=30):
            transport = httpx.ASGITransport(app=app)
            http_client = httpx.AsyncClient(
                transport=transport, base_url="http://c", headers=OPERATOR
            )
            async with (
                http_client as http,
                Publisher(settings.amqp_url) as publisher,
            ):
                for _ in range(3):
                    await publisher.event(example(vac.ResidentHiredV1, hire_id=str(uuid.uuid4())))
                await applied_up_to(http, 2)
                await proxy.cut()
                await asyncio.sleep(2)
                await proxy.restore()
                for _ in range(3):
                    await publisher.event(example(vac.ResidentHiredV1, hire_id=str(uuid.uuid4())))
                position = await applied_up_to(http, 5)
    finally:
        await proxy.cut()
    assert position["applied"] == 6


async def test_a_reader_of_the_event_log_ends_when_its_connection_is_cut(settings) -> None:
    """The live page's and `events tail`'s reader: a cut ends it (its caller reads again)
    instead of leaving it waiting forever on a consumer the reconnect does not bring back."""
    from urllib.parse import urlsplit, urlunsplit

    import aio_pika

    from console import stream, topology
    from kerjalokal.testing.proxy import TcpProxy

    parts = urlsplit(settings.amqp_url)
    proxy = await TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5672).start()
    netloc = f"{parts.username}:{parts.password}@127.0.0.1:{proxy.port}"
    connection = await aio_pika.connect_robust(urlunsplit(parts._replace(netloc=netloc)))
    try:
        await topology.declare(connection)
        reader = stream.read(connection, start="next", announce=True)
        assert await anext(reader) is None  # subscribed
        await proxy.cut()
        async with asyncio.timeout(15):
            assert [event async for event in reader] == []
    finally:
        await proxy.cut()
        await connection.close()
