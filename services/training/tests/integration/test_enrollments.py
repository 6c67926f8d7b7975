"""Enrollment over HTTP: the ready pool, seats, the waiting list, eligibility, overlaps,
attendance, completion and drop-out, with the events each one stages."""

import asyncio
import json
from datetime import timedelta
from uuid import UUID, uuid4

import httpx
import pytest

from kerjalokal.testing.tap import EventTap
from training import projections
from training.config import Settings

from ..conftest import (
    OPERATOR,
    TODAY,
    new_institution,
    new_programme,
    new_session,
    ready,
    registered,
    verified_company,
)

pytestmark = pytest.mark.integration


@pytest.fixture
async def blk(client: httpx.AsyncClient) -> dict:
    return await new_institution(client)


@pytest.fixture
async def session(client: httpx.AsyncClient, blk: dict) -> dict:
    programme = await new_programme(client, blk["headers"])
    return await new_session(client, blk["headers"], programme["programme_id"], capacity=2)


async def enroll(client: httpx.AsyncClient, session: dict, rid: UUID, headers=OPERATOR):
    return await client.post(
        f"/sessions/{session['session_id']}/enrollments",
        json={"resident_id": str(rid)},
        headers=headers,
    )


async def test_the_ready_pool_takes_only_registered_enrollable_seekers(
    client: httpx.AsyncClient, seeker, apply, settings: Settings
) -> None:
    unknown = await client.post(
        "/ready-pool",
        json={"resident_id": str(uuid4()), "vocation": "Pengelasan"},
        headers=OPERATOR,
    )
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == ["body", "resident_id"]
    placed = registered(status="placed")
    await apply(projections.seeker_registered, placed)
    refused = await client.post(
        "/ready-pool",
        json={"resident_id": str(placed.resident_id), "vocation": "Las"},
        headers=OPERATOR,
    )
    assert refused.status_code == 422
    rid = await seeker()
    async with EventTap(settings.amqp_url, pattern="training.readiness_assessed.v1") as tap:
        payload = {"resident_id": str(rid), "vocation": "Pengelasan", "kbji_code": "7212.01"}
        first = await client.post("/ready-pool", json=payload, headers=OPERATOR)
        again = await client.post("/ready-pool", json=payload, headers=OPERATOR)
        [event] = await tap.wait_for("training.readiness_assessed.v1")
        await asyncio.sleep(0.3)
        assert len(tap.messages) == 1
    assert (first.status_code, again.status_code) == (201, 200)
    assert event.headers["ce-subject"] == str(rid)
    pool = (await client.get("/ready-pool", params={"kbji": "7212"}, headers=OPERATOR)).json()
    assert [item["resident_id"] for item in pool["items"]] == [str(rid)]


async def test_seats_fill_then_the_waiting_list_is_promoted_in_order(
    client: httpx.AsyncClient, session: dict, seeker, settings: Settings, blk: dict
) -> None:
    residents = [await seeker() for _ in range(4)]
    for rid in residents:
        await ready(client, rid)
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        answers = [await enroll(client, session, rid, headers=blk["headers"]) for rid in residents]
        assert [a.status_code for a in answers] == [201, 201, 202, 202]
        assert [a.json()["waitlist_position"] for a in answers] == [None, None, 1, 2]
        await tap.wait_for("training.resident_waitlisted.v1", 2)
        first = answers[0].json()["enrollment_id"]
        withdrawn = await client.post(f"/enrollments/{first}/withdraw", json={}, headers=OPERATOR)
        assert withdrawn.json()["state"] == "withdrawn"
        enrolled = await tap.wait_for("training.resident_enrolled.v1", 3)
    promoted = tap.bodies("training.resident_enrolled.v1")[-1]
    assert promoted["resident_id"] == str(residents[2])
    assert promoted["from_waitlist"] is True
    assert enrolled[-1].headers["ce-subject"] == answers[2].json()["enrollment_id"]
    [gone] = tap.bodies("training.enrollment_withdrawn.v1")
    assert gone["reason"] == "withdrawn"
    last = (
        await client.get(f"/enrollments/{answers[3].json()['enrollment_id']}", headers=OPERATOR)
    ).json()
    assert (last["state"], last["waitlist_position"]) == ("waitlisted", 1)
    counts = (await client.get(f"/sessions/{session['session_id']}", headers=OPERATOR)).json()
    assert (counts["enrolled"], counts["waitlisted"], counts["seats_free"]) == (2, 1, 0)
    back = (await client.get(f"/seekers/{residents[0]}", headers=OPERATOR)).json()
    assert back["readiness"]["state"] == "ready"


async def test_capacity_holds_under_concurrent_enrollment(
    client: httpx.AsyncClient, blk: dict, seeker
) -> None:
    programme = await new_programme(client, blk["headers"])
    session = await new_session(client, blk["headers"], programme["programme_id"], capacity=5)
    residents = [await seeker() for _ in range(12)]
    for rid in residents:
        await ready(client, rid)
    answers = await asyncio.gather(*(enroll(client, session, rid) for rid in residents))
    assert sorted(a.status_code for a in answers) == [201] * 5 + [202] * 7
    positions = sorted(a.json()["waitlist_position"] for a in answers if a.status_code == 202)
    assert positions == list(range(1, 8))


async def test_eligibility_and_the_pool_are_checked_with_the_field_named(
    client: httpx.AsyncClient, session: dict, seeker
) -> None:
    old = await seeker(birth_year=TODAY.year - 60)
    unschooled = await seeker(level=2)
    not_ready = await seeker()
    for rid in (old, unschooled):
        await ready(client, rid)
    for rid, words in (
        (old, "maximum age 45"),
        (unschooled, "minimum education level 4"),
        (not_ready, "ready pool"),
        (uuid4(), "not registered"),
    ):
        refused = await enroll(client, session, rid)
        assert refused.status_code == 422, refused.text
        [detail] = refused.json()["detail"]
        assert detail["loc"] == ["body", "resident_id"]
        assert words in detail["msg"]


async def test_one_person_never_sits_in_two_overlapping_sessions(
    client: httpx.AsyncClient, blk: dict, seeker
) -> None:
    welding = await new_programme(client, blk["headers"])
    cnc = await new_programme(client, blk["headers"], title="CNC Dasar", vocation="Operator CNC")
    first = await new_session(client, blk["headers"], welding["programme_id"], starts=0, days=15)
    overlapping = await new_session(client, blk["headers"], cnc["programme_id"], starts=10)
    later = await new_session(client, blk["headers"], cnc["programme_id"], starts=20)
    rid = await seeker()
    await ready(client, rid)
    assert (await enroll(client, first, rid)).status_code == 201
    clash = await enroll(client, overlapping, rid)
    assert clash.status_code == 409
    assert "overlaps" in clash.json()["detail"]
    assert (await enroll(client, later, rid)).status_code == 201
    assert (await enroll(client, later, rid)).status_code == 409


async def test_completion_certifies_skills_with_certificate_numbers(
    client: httpx.AsyncClient, session: dict, seeker, settings: Settings, blk: dict
) -> None:
    rid = await seeker()
    await ready(client, rid)
    enrollment = (await enroll(client, session, rid)).json()
    path = f"/enrollments/{enrollment['enrollment_id']}"
    unnumbered = await client.post(
        f"{path}/complete",
        json={"passed": True, "certified_skills": [{"skill": "Pengelasan"}]},
        headers=blk["headers"],
    )
    assert unnumbered.status_code == 422
    assert unnumbered.json()["detail"][0]["loc"] == [
        "body",
        "certified_skills",
        "0",
        "certificate_number",
    ]
    nothing = await client.post(f"{path}/complete", json={"passed": True}, headers=OPERATOR)
    assert nothing.json()["detail"][0]["loc"] == ["body", "certified_skills"]
    day = (TODAY - timedelta(days=1)).isoformat()
    outside = await client.post(
        f"{path}/attendance",
        json={"records": [{"day": "2001-01-01", "status": "hadir"}]},
        headers=blk["headers"],
    )
    assert outside.json()["detail"][0]["loc"] == ["body", "records", "0", "day"]
    marked = await client.post(
        f"{path}/attendance",
        json={"records": [{"day": day, "status": "hadir"}]},
        headers=blk["headers"],
    )
    assert marked.json()["attendance"]["rate"] == 1.0
    skill = {"skill": "Pengelasan", "scheme": "SKKNI SMAW", "certificate_number": "BNSP-1"}
    async with EventTap(settings.amqp_url, pattern="training.training_completed.v1") as tap:
        done = await client.post(
            f"{path}/complete",
            json={"passed": True, "certified_skills": [skill]},
            headers=blk["headers"],
        )
        await tap.wait_for("training.training_completed.v1")
    [event] = tap.bodies("training.training_completed.v1")
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["outcome"]) == ("completed", "passed")
    assert event["passed"] is True
    assert event["certified_skills"] == [
        {"skill": "pengelasan", "scheme": "SKKNI SMAW", "certificate_number": "BNSP-1"}
    ]
    assert event["attendance_rate"] == 1.0
    assert (await client.get(f"/seekers/{rid}", headers=OPERATOR)).json()["readiness"][
        "state"
    ] == "left"
    twice = await client.post(f"{path}/complete", json={"passed": False}, headers=OPERATOR)
    assert twice.status_code == 409


async def test_completion_waits_for_the_session_to_start(
    client: httpx.AsyncClient, blk: dict, seeker
) -> None:
    programme = await new_programme(client, blk["headers"])
    future = await new_session(client, blk["headers"], programme["programme_id"], starts=10)
    rid = await seeker()
    await ready(client, rid)
    enrollment = (await enroll(client, future, rid)).json()
    early = await client.post(
        f"/enrollments/{enrollment['enrollment_id']}/complete",
        json={"passed": False},
        headers=OPERATOR,
    )
    assert early.status_code == 409


async def test_a_drop_out_frees_the_seat_with_its_reason(
    client: httpx.AsyncClient, session: dict, seeker, settings: Settings
) -> None:
    residents = [await seeker() for _ in range(3)]
    for rid in residents:
        await ready(client, rid)
    answers = [await enroll(client, session, rid) for rid in residents]
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        bad = await client.post(
            f"/enrollments/{answers[0].json()['enrollment_id']}/drop-out",
            json={"reason": "bosan"},
            headers=OPERATOR,
        )
        assert bad.status_code == 422
        out = await client.post(
            f"/enrollments/{answers[0].json()['enrollment_id']}/drop-out",
            json={"reason": "health", "note": "opname"},
            headers=OPERATOR,
        )
        assert out.json()["state"] == "dropped_out"
        await tap.wait_for("training.resident_enrolled.v1")
    [withdrawn] = tap.bodies("training.enrollment_withdrawn.v1")
    assert (withdrawn["reason"], withdrawn["dropout_reason"]) == ("dropped_out", "health")
    assert "opname" not in str(tap.bodies("training.enrollment_withdrawn.v1"))
    assert tap.bodies("training.resident_enrolled.v1")[0]["resident_id"] == str(residents[2])


async def test_bulk_enrollment_checks_each_resident(
    client: httpx.AsyncClient, blk: dict, seeker
) -> None:
    programme = await new_programme(client, blk["headers"])
    session = await new_session(client, blk["headers"], programme["programme_id"], capacity=3)
    residents = [await seeker() for _ in range(4)]
    for rid in residents:
        await ready(client, rid)
    stranger = uuid4()
    ids = [str(r) for r in [*residents, stranger, residents[0]]]
    answer = await client.post(
        f"/sessions/{session['session_id']}/enrollments/bulk",
        json={"resident_ids": ids},
        headers=blk["headers"],
    )
    body = answer.json()
    assert (body["enrolled"], body["waitlisted"], body["refused"]) == (3, 1, 1)
    assert body["items"][4]["field"] == "resident_id"
    again = await client.post(
        f"/sessions/{session['session_id']}/enrollments/bulk",
        json={"resident_ids": ids[:4]},
        headers=blk["headers"],
    )
    assert again.json()["already"] == 4


async def test_an_apprenticeship_not_passed_gets_a_letter_of_attendance(
    client: httpx.AsyncClient, apply, seeker, settings: Settings
) -> None:
    upk = await new_institution(client, type="upk")
    company = verified_company()
    await apply(projections.company_verified, company)
    programme = await new_programme(
        client,
        upk["headers"],
        kind="apprenticeship",
        title="Pemagangan Operator Produksi",
        skills=["operator produksi"],
        apprenticeship={
            "host_company_id": str(company.company_id),
            "agreement_number": "560/PKS/002",
            "agreement_signed_on": "2026-01-05",
            "mentor": {"name": "Bu Mentor"},
            "stipend_basis": "ump_prorata",
        },
    )
    session = await new_session(client, upk["headers"], programme["programme_id"], days=90)
    rid = await seeker()
    await ready(client, rid)
    async with EventTap(settings.amqp_url, pattern="training.#") as tap:
        enrollment = (await enroll(client, session, rid, headers=upk["headers"])).json()
        [started] = await tap.wait_for("training.apprenticeship_started.v1")
        ended = await client.post(
            f"/enrollments/{enrollment['enrollment_id']}/complete",
            json={"passed": False},
            headers=upk["headers"],
        )
        [completed] = await tap.wait_for("training.apprenticeship_completed.v1")
    letter = ended.json()["letter_number"]
    assert letter.startswith(f"SKET-MAG/{TODAY.year}/")
    body = json.loads(completed.body)
    assert (body["outcome"], body["letter_number"]) == ("attended", letter)
    assert "Bu Mentor" not in started.body.decode()
