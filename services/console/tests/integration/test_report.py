"""The monthly labour-market report from real events: stock, flows, balance, CSV."""

import csv
import io
import uuid
from datetime import datetime

import pytest

from kerjalokal.events import registry as reg
from kerjalokal.events import vacancies as vac

from ..conftest import applied_up_to, example

pytestmark = pytest.mark.integration
OCT, NOV = "2026-10", "2026-11"


def at(day: str) -> str:
    return datetime.fromisoformat(f"{day}T10:00:00+07:00").isoformat()


async def seeker(
    publisher, *, registered: str, sex: str, kecamatan: str, changes: list[tuple[str, str, str]]
) -> None:
    resident = str(uuid.uuid4())
    profile = reg.ResidentRegisteredV1.example().model_dump(mode="json")["profile"]
    profile |= {"sex": sex}
    profile["domicile"] |= {"kecamatan_kode": kecamatan, "desa_kode": f"{kecamatan}.2001"}
    await publisher.event(
        example(
            reg.ResidentRegisteredV1,
            resident_id=resident,
            version=1,
            registered_at=at(registered),
            profile=profile,
        )
    )
    for version, (when, previous, status) in enumerate(changes, start=2):
        await publisher.event(
            example(
                reg.ResidentStatusChangedV1,
                resident_id=resident,
                version=version,
                changed_at=at(when),
                previous_status=previous,
                status=status,
            )
        )


async def vacancy(
    publisher, *, published: str, closed: tuple[str, str] | None, sex: str | None
) -> None:
    vacancy_id = str(uuid.uuid4())
    await publisher.event(
        example(vac.VacancyPublishedV1, vacancy_id=vacancy_id, published_at=at(published), sex=sex)
    )
    if closed:
        await publisher.event(
            example(
                vac.VacancyClosedV1,
                vacancy_id=vacancy_id,
                closed_at=at(closed[0]),
                reason=closed[1],
            )
        )


async def test_the_monthly_report_balances_and_exports(client, publisher) -> None:
    await seeker(
        publisher,
        registered="2026-10-03",
        sex="P",
        kecamatan="32.16.09",
        changes=[
            ("2026-10-05", "registered", "verified"),
            ("2026-10-06", "verified", "active"),
            ("2026-11-10", "active", "placed"),
        ],
    )
    await seeker(
        publisher,
        registered="2026-10-20",
        sex="L",
        kecamatan="32.16.19",
        changes=[
            ("2026-11-02", "registered", "verified"),
            ("2026-11-03", "verified", "active"),
            ("2026-11-20", "active", "lapsed"),
            ("2026-11-25", "lapsed", "active"),
        ],
    )
    await seeker(
        publisher,
        registered="2026-11-04",
        sex="L",
        kecamatan="32.16.09",
        changes=[("2026-11-05", "registered", "placed")],
    )
    await seeker(
        publisher,
        registered="2026-10-01",
        sex="P",
        kecamatan="32.16.19",
        changes=[
            ("2026-10-02", "registered", "verified"),
            ("2026-10-03", "verified", "active"),
            ("2026-10-30", "active", "lapsed"),
            ("2026-11-15", "lapsed", "placed"),
        ],
    )
    await vacancy(publisher, published="2026-10-10", closed=("2026-11-12", "filled"), sex=None)
    await vacancy(publisher, published="2026-10-15", closed=None, sex="P")
    await vacancy(publisher, published="2026-11-01", closed=("2026-11-28", "expired"), sex="L")
    await vacancy(publisher, published="2026-11-03", closed=None, sex=None)
    await applied_up_to(client, publisher.sent - 1)

    october = (await client.get("/api/laporan", params={"month": OCT})).json()
    november = (await client.get("/api/laporan", params={"month": NOV})).json()
    assert october["balances"]
    assert november["balances"]
    total = {r["dimension"]: r for r in november["seekers"] if r["dimension"] == "total"}["total"]
    assert total["figures"] == {
        "start": 2,
        "registered": 1,
        "reactivated": 1,
        "placed": 2,
        "removed": 1,
        "end": 1,
    }
    oct_total = next(r for r in october["seekers"] if r["dimension"] == "total")
    assert oct_total["figures"] == {
        "start": 0,
        "registered": 3,
        "reactivated": 0,
        "placed": 0,
        "removed": 1,
        "end": 2,
    }
    by_sex = {r["key"]: r["figures"] for r in november["seekers"] if r["dimension"] == "sex"}
    assert by_sex["P"]["placed"] == 1
    assert by_sex["L"]["placed"] == 1
    assert by_sex["L"]["registered"] == 1
    assert by_sex["L"]["reactivated"] == 1
    by_kecamatan = {r["key"]: r for r in november["seekers"] if r["dimension"] == "kecamatan"}
    assert by_kecamatan["32.16.09"]["label"] == "Cikarang Utara"
    for section in ("seekers", "vacancies"):  # the end of October is the start of November
        ends = {(r["dimension"], r["key"]): r["figures"]["end"] for r in october[section]}
        starts = {(r["dimension"], r["key"]): r["figures"]["start"] for r in november[section]}
        assert {k: v for k, v in ends.items() if v} == {k: v for k, v in starts.items() if v}
    vacancies = next(r for r in november["vacancies"] if r["dimension"] == "total")["figures"]
    assert vacancies == {"start": 2, "published": 2, "filled": 1, "closed": 1, "end": 2}

    exported = await client.get("/laporan.csv", params={"month": NOV})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "laporan-pasar-kerja-2026-11.csv" in exported.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["seimbang"] for r in rows} == {"ya"}
    seeker_total = next(
        r for r in rows if r["bagian"] == "pencari_kerja" and r["dimensi"] == "total"
    )
    assert (seeker_total["awal"], seeker_total["akhir"]) == ("2", "1")

    bad = await client.get("/api/laporan", params={"month": "2026-13"})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["query", "month"]
