"""The monthly labour-market report (IPK style): for seekers and for vacancies, the stock at the
start of the month, what came in, what went out, the stock at the end, by sex, education and
kecamatan. Month boundaries are midnight WIB.

Seekers: the stock is everyone whose latest status at that moment is registered, verified or
active. Flows are status transitions within the month: a registration (first status, into the
stock), a reactivation (lapsed back to active), a placement or a lapse/expiry out of the stock.
A lapsed seeker who is then placed left the stock when lapsing and is not counted again. So
start + registered + reactivated - placed - removed = end, row by row, and a test holds it.

Vacancies: the stock is every published vacancy not yet closed; in: published; out: filled
(closed by its last hire) or closed otherwise (closed, withdrawn, expired).
"""

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from kerjalokal.reference import education_level, kecamatan

WIB = ZoneInfo("Asia/Jakarta")
IN_STOCK = ["registered", "verified", "active"]
SEEKER_FLOWS = ("start", "registered", "reactivated", "placed", "removed", "end")
VACANCY_FLOWS = ("start", "published", "filled", "closed", "end")
DIMENSIONS = ("total", "sex", "education", "kecamatan")

_SEEKERS = """
WITH ordered AS (
    SELECT resident_id, status, since,
           lag(status) OVER (PARTITION BY resident_id ORDER BY since, version) AS prev
    FROM seeker_status WHERE since < $2
), flows AS (
    SELECT resident_id,
        count(*) FILTER (WHERE since >= $1 AND prev IS NULL AND status = ANY($3)) AS registered,
        count(*) FILTER (WHERE since >= $1 AND NOT prev = ANY($3)
                         AND status = ANY($3)) AS reactivated,
        count(*) FILTER (WHERE since >= $1 AND prev = ANY($3) AND status = 'placed') AS placed,
        count(*) FILTER (WHERE since >= $1 AND prev = ANY($3)
                         AND status IN ('lapsed', 'expired')) AS removed
    FROM ordered GROUP BY resident_id
), at_start AS (
    SELECT DISTINCT ON (resident_id) resident_id, status FROM seeker_status
    WHERE since < $1 ORDER BY resident_id, since DESC, version DESC
), at_end AS (
    SELECT DISTINCT ON (resident_id) resident_id, status FROM seeker_status
    WHERE since < $2 ORDER BY resident_id, since DESC, version DESC
), per AS (
    SELECT f.resident_id,
           (coalesce(a.status = ANY($3), false))::int AS start_n,
           f.registered, f.reactivated, f.placed, f.removed,
           (coalesce(b.status = ANY($3), false))::int AS end_n
    FROM flows f LEFT JOIN at_start a USING (resident_id) LEFT JOIN at_end b USING (resident_id)
)
SELECT GROUPING(s.sex) AS g_sex, GROUPING(s.education_level) AS g_edu,
       GROUPING(s.kecamatan_kode) AS g_kec,
       s.sex, s.education_level, s.kecamatan_kode,
       sum(start_n)::int AS start, sum(registered)::int AS registered,
       sum(reactivated)::int AS reactivated, sum(placed)::int AS placed,
       sum(removed)::int AS removed, sum(end_n)::int AS "end"
FROM per LEFT JOIN seeker s USING (resident_id)
GROUP BY GROUPING SETS ((), (s.sex), (s.education_level), (s.kecamatan_kode))
"""

_VACANCIES = """
SELECT GROUPING(sex) AS g_sex, GROUPING(education_minimum) AS g_edu,
       GROUPING(kecamatan_kode) AS g_kec,
       sex, education_minimum AS education_level, kecamatan_kode,
       count(*) FILTER (WHERE published_at < $1
                        AND (closed_at IS NULL OR closed_at >= $1))::int AS start,
       count(*) FILTER (WHERE published_at >= $1 AND published_at < $2)::int AS published,
       count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2
                        AND close_reason = 'filled')::int AS filled,
       count(*) FILTER (WHERE closed_at >= $1 AND closed_at < $2
                        AND close_reason <> 'filled')::int AS closed,
       count(*) FILTER (WHERE published_at < $2
                        AND (closed_at IS NULL OR closed_at >= $2))::int AS "end"
FROM vacancy WHERE published_at < $2
GROUP BY GROUPING SETS ((), (sex), (education_minimum), (kecamatan_kode))
"""


@dataclass(frozen=True)
class Row:
    dimension: str
    key: str
    label: str
    figures: dict[str, int]

    def balances(self, kind: str) -> bool:
        f = self.figures
        if kind == "seekers":
            flow = f["start"] + f["registered"] + f["reactivated"] - f["placed"] - f["removed"]
        else:
            flow = f["start"] + f["published"] - f["filled"] - f["closed"]
        return flow == f["end"]


@dataclass(frozen=True)
class Report:
    month: date
    seekers: list[Row]
    vacancies: list[Row]

    def balances(self) -> bool:
        return all(r.balances("seekers") for r in self.seekers) and all(
            r.balances("vacancies") for r in self.vacancies
        )

    def section(self, kind: str, dimension: str) -> list[Row]:
        rows = self.seekers if kind == "seekers" else self.vacancies
        return [r for r in rows if r.dimension == dimension]


def month_bounds(month: date) -> tuple[datetime, datetime]:
    first = month.replace(day=1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return (
        datetime(first.year, first.month, 1, tzinfo=WIB),
        datetime(following.year, following.month, 1, tzinfo=WIB),
    )


def _label(dimension: str, value: Any, *, vacancy: bool) -> tuple[str, str]:
    if dimension == "total":
        return "", "Jumlah / total"
    if value is None:
        blank = (
            "Semua / any" if vacancy and dimension != "kecamatan" else "Tidak diketahui / unknown"
        )
        return "", blank
    if dimension == "sex":
        return value, {"L": "Laki-laki / male", "P": "Perempuan / female"}.get(value, value)
    if dimension == "education":
        level = education_level(int(value))
        return str(value), level.label.title() if level else str(value)
    region = kecamatan(value)
    return value, region.nama if region else value


def _rows(records: list[asyncpg.Record], flows: tuple[str, ...], *, vacancy: bool) -> list[Row]:
    rows = []
    for r in records:
        if not r["g_sex"] and r["g_edu"] and r["g_kec"]:
            dimension, value = "sex", r["sex"]
        elif r["g_sex"] and not r["g_edu"] and r["g_kec"]:
            dimension, value = "education", r["education_level"]
        elif r["g_sex"] and r["g_edu"] and not r["g_kec"]:
            dimension, value = "kecamatan", r["kecamatan_kode"]
        else:
            dimension, value = "total", None
        key, label = _label(dimension, value, vacancy=vacancy)
        rows.append(Row(dimension, key, label, {f: r[f] or 0 for f in flows}))
    order = {d: i for i, d in enumerate(DIMENSIONS)}
    return sorted(rows, key=lambda r: (order[r.dimension], r.key == "", r.key))


async def monthly(conn: asyncpg.Connection, month: date) -> Report:
    start, end = month_bounds(month)
    seekers = await conn.fetch(_SEEKERS, start, end, IN_STOCK)
    vacancies = await conn.fetch(_VACANCIES, start, end)
    return Report(
        month=month.replace(day=1),
        seekers=_rows(seekers, SEEKER_FLOWS, vacancy=False) or [_empty(SEEKER_FLOWS)],
        vacancies=_rows(vacancies, VACANCY_FLOWS, vacancy=True) or [_empty(VACANCY_FLOWS)],
    )


def _empty(flows: tuple[str, ...]) -> Row:
    return Row("total", "", "Jumlah / total", dict.fromkeys(flows, 0))


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "bulan",
            "bagian",
            "dimensi",
            "kode",
            "kelompok",
            "awal",
            "masuk",
            "diaktifkan_kembali",
            "ditempatkan_atau_terisi",
            "dihapus_atau_ditutup",
            "akhir",
            "seimbang",
        ]
    )
    month = report.month.strftime("%Y-%m")
    for r in report.seekers:
        f = r.figures
        writer.writerow(
            [
                month,
                "pencari_kerja",
                r.dimension,
                r.key,
                r.label,
                f["start"],
                f["registered"],
                f["reactivated"],
                f["placed"],
                f["removed"],
                f["end"],
                "ya" if r.balances("seekers") else "tidak",
            ]
        )
    for r in report.vacancies:
        f = r.figures
        writer.writerow(
            [
                month,
                "lowongan",
                r.dimension,
                r.key,
                r.label,
                f["start"],
                f["published"],
                0,
                f["filled"],
                f["closed"],
                f["end"],
                "ya" if r.balances("vacancies") else "tidak",
            ]
        )
    return out.getvalue()
