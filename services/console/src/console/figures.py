"""The target tracker's figures, read from the projections (SQL kept here, in view)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import asyncpg

from kerjalokal.reference import desa, kecamatan

from .domain import campaign as rules
from .domain import workdays

LOCAL_DAY = "(h.hired_at AT TIME ZONE 'Asia/Jakarta')::date"
STAGES = ("ready", "waiting", "in_training", "completed")


@dataclass
class Tracker:
    campaign: rules.Campaign
    progress: rules.Progress
    today: date
    threshold: float
    daily: list[tuple[date, float]] = field(default_factory=list)
    pace: list[tuple[date, float]] = field(default_factory=list)
    companies: list[dict[str, Any]] = field(default_factory=list)
    estates: list[dict[str, Any]] = field(default_factory=list)
    kecamatan: list[dict[str, Any]] = field(default_factory=list)
    desa: list[dict[str, Any]] = field(default_factory=list)
    institutions: list[dict[str, Any]] = field(default_factory=list)
    pipeline: dict[str, int] = field(default_factory=dict)
    holidays: list[tuple[date, str]] = field(default_factory=list)

    @property
    def below_threshold(self) -> list[dict[str, Any]]:
        return [c for c in self.companies if c["mou_number"] and c["below_threshold"]]

    def as_dict(self) -> dict[str, Any]:
        p = self.progress
        return {
            "campaign": {
                "slug": self.campaign.slug,
                "name": self.campaign.name,
                "target": self.campaign.target,
                "starts_on": self.campaign.starts_on.isoformat(),
                "working_days": self.campaign.working_days,
                "deadline": p.deadline.isoformat(),
            },
            "today": self.today.isoformat(),
            "placed": p.placed,
            "hires": p.hires,
            "local_share": p.local_share,
            "percent": p.percent,
            "elapsed_working_days": p.elapsed,
            "remaining_working_days": p.remaining,
            "run_rate": p.run_rate,
            "needed_rate": p.needed_rate,
            "projection": p.projection,
            "on_track": p.on_track,
            "threshold": self.threshold,
            "companies": self.companies,
            "below_threshold": self.below_threshold,
            "industrial_estates": self.estates,
            "kecamatan": self.kecamatan,
            "desa": self.desa,
            "institutions": self.institutions,
            "pipeline": self.pipeline,
        }


async def tracker(
    conn: asyncpg.Connection, campaign: rules.Campaign, *, today: date, threshold: float
) -> Tracker:
    first, last = campaign.starts_on, campaign.deadline
    totals = await conn.fetchrow(
        f"SELECT count(*) FILTER (WHERE is_local) AS placed, count(*) AS hires FROM hire h"
        f" WHERE {LOCAL_DAY} BETWEEN $1 AND $2",
        first,
        last,
    )
    assert totals is not None
    result = Tracker(
        campaign=campaign,
        progress=rules.progress(
            campaign, placed=totals["placed"], hires=totals["hires"], today=today
        ),
        today=today,
        threshold=threshold,
        pace=rules.pace_line(campaign, upto=last),
        holidays=workdays.holidays_between(first, last),
    )
    result.daily = await _daily(conn, first, min(today, last))
    result.companies = await _companies(conn, first, last, threshold)
    result.estates = _estates(result.companies, threshold)
    result.kecamatan, result.desa = await _places(conn, first, last)
    result.institutions = await _institutions(conn, first, last)
    rows = await conn.fetch("SELECT stage, count(*) AS n FROM trainee GROUP BY stage")
    result.pipeline = {stage: 0 for stage in STAGES} | {r["stage"]: r["n"] for r in rows}
    return result


async def _daily(conn: asyncpg.Connection, first: date, last: date) -> list[tuple[date, float]]:
    """Cumulative local hires at the end of each working day; weekend hires count on the next."""
    rows = await conn.fetch(
        f"SELECT {LOCAL_DAY} AS day, count(*) AS n FROM hire h"
        f" WHERE h.is_local AND {LOCAL_DAY} BETWEEN $1 AND $2 GROUP BY 1",
        first,
        last,
    )
    per_day = {r["day"]: r["n"] for r in rows}
    points, running, day = [], 0, first
    while day <= last:
        running += per_day.get(day, 0)
        if workdays.is_working_day(day):
            points.append((day, float(running)))
        day += timedelta(days=1)
    return points


async def _companies(
    conn: asyncpg.Connection, first: date, last: date, threshold: float
) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        WITH h AS (
            SELECT company_id, count(*) AS hires, count(*) FILTER (WHERE is_local) AS local_hires
            FROM hire h WHERE {LOCAL_DAY} BETWEEN $1 AND $2 GROUP BY company_id
        ), p AS (
            SELECT DISTINCT ON (company_id) company_id, mou_number, local_share_percent,
                   local_hires_committed, status
            FROM partnership ORDER BY company_id, (status = 'active') DESC, recorded_at DESC
        )
        SELECT ids.company_id, c.name, c.industrial_estate, c.kecamatan_kode,
               p.mou_number, p.local_share_percent, p.local_hires_committed, p.status,
               coalesce(h.hires, 0) AS hires, coalesce(h.local_hires, 0) AS local_hires
        FROM (SELECT company_id FROM h UNION SELECT company_id FROM p) AS ids
        LEFT JOIN company c USING (company_id)
        LEFT JOIN p USING (company_id)
        LEFT JOIN h USING (company_id)
        ORDER BY coalesce(h.local_hires, 0) DESC, c.name
        """,
        first,
        last,
    )
    companies = []
    for r in rows:
        share = 100.0 * r["local_hires"] / r["hires"] if r["hires"] else None
        committed = r["local_hires_committed"]
        companies.append(
            dict(r)
            | {
                "company_id": str(r["company_id"]),
                "name": r["name"] or f"({str(r['company_id'])[:8]})",
                "local_share": share,
                "commitment_percent": 100.0 * r["local_hires"] / committed if committed else None,
                "below_threshold": share is not None and share < threshold,
                "below_commitment": share is not None
                and r["local_share_percent"] is not None
                and share < r["local_share_percent"],
            }
        )
    return companies


def _estates(companies: list[dict[str, Any]], threshold: float) -> list[dict[str, Any]]:
    estates: dict[str, dict[str, Any]] = {}
    for c in companies:
        name = c["industrial_estate"] or "Di luar kawasan / outside an estate"
        row = estates.setdefault(
            name, {"name": name, "companies": 0, "mou": 0, "hires": 0, "local_hires": 0}
        )
        row["companies"] += 1
        row["mou"] += bool(c["mou_number"])
        row["hires"] += c["hires"]
        row["local_hires"] += c["local_hires"]
    for row in estates.values():
        row["local_share"] = 100.0 * row["local_hires"] / row["hires"] if row["hires"] else None
        row["below_threshold"] = row["local_share"] is not None and row["local_share"] < threshold
    return sorted(estates.values(), key=lambda r: (-r["local_hires"], r["name"]))


async def _places(
    conn: asyncpg.Connection, first: date, last: date
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows = await conn.fetch(
        f"""
        SELECT s.kecamatan_kode, s.desa_kode, count(*) AS local_hires
        FROM hire h LEFT JOIN seeker s USING (resident_id)
        WHERE h.is_local AND {LOCAL_DAY} BETWEEN $1 AND $2
        GROUP BY 1, 2
        """,
        first,
        last,
    )
    by_kecamatan: dict[str | None, int] = {}
    villages = []
    for r in rows:
        by_kecamatan[r["kecamatan_kode"]] = (
            by_kecamatan.get(r["kecamatan_kode"], 0) + r["local_hires"]
        )
        villages.append(
            {
                "kode": r["desa_kode"],
                "name": _name(desa, r["desa_kode"]),
                "kecamatan": _name(kecamatan, r["kecamatan_kode"]),
                "local_hires": r["local_hires"],
            }
        )
    districts = [
        {"kode": kode, "name": _name(kecamatan, kode), "local_hires": n}
        for kode, n in by_kecamatan.items()
    ]
    return (
        sorted(districts, key=lambda r: (-r["local_hires"], r["name"])),
        sorted(villages, key=lambda r: (-r["local_hires"], r["name"])),
    )


def _name(lookup: Any, kode: str | None) -> str:
    if not kode:
        return "Belum diketahui / not known yet"
    region = lookup(kode)
    return region.nama if region else kode


async def _institutions(conn: asyncpg.Connection, first: date, last: date) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        f"""
        WITH e AS (
            SELECT institution_id,
                   count(*) FILTER (WHERE completed_at IS NULL AND withdrawn_at IS NULL)
                       AS in_training,
                   count(*) FILTER (WHERE completed_at IS NOT NULL) AS completed,
                   count(*) FILTER (WHERE passed) AS passed
            FROM enrollment WHERE institution_id IS NOT NULL GROUP BY institution_id
        ), graduate AS (
            SELECT DISTINCT ON (resident_id) resident_id, institution_id
            FROM enrollment WHERE completed_at IS NOT NULL AND institution_id IS NOT NULL
            ORDER BY resident_id, completed_at DESC
        ), placed AS (
            SELECT g.institution_id, count(*) AS hires,
                   count(*) FILTER (WHERE h.is_local) AS local_hires
            FROM hire h JOIN graduate g USING (resident_id)
            WHERE {LOCAL_DAY} BETWEEN $1 AND $2 GROUP BY g.institution_id
        )
        SELECT e.institution_id, i.name, i.kind, e.in_training, e.completed, e.passed,
               coalesce(placed.hires, 0) AS hires, coalesce(placed.local_hires, 0) AS local_hires
        FROM e LEFT JOIN institution i USING (institution_id)
        LEFT JOIN placed USING (institution_id)
        ORDER BY coalesce(placed.hires, 0) DESC, e.completed DESC
        """,
        first,
        last,
    )
    return [
        dict(r)
        | {
            "institution_id": str(r["institution_id"]),
            "name": r["name"] or _institution_name(r["kind"], r["institution_id"]),
        }
        for r in rows
    ]


KINDS = {
    "blk_uptd": "BLK UPTD",
    "blk_komunitas": "BLK Komunitas",
    "lpk": "LPK",
    "upk": "UPK",
    "bbplvp": "BBPLVP",
}


def _institution_name(kind: str | None, institution_id: Any) -> str:
    label = KINDS.get(kind or "", (kind or "Lembaga").replace("_", " ").upper())
    return f"{label} {str(institution_id)[:8]}"


async def campaign(conn: asyncpg.Connection, slug: str | None = None) -> rules.Campaign | None:
    if slug and "\x00" in slug:  # no slug has one; PostgreSQL refuses NUL in text
        return None
    row = await conn.fetchrow(
        "SELECT * FROM campaign WHERE $1::text IS NULL OR slug = $1"
        " ORDER BY starts_on DESC, created_at DESC LIMIT 1",
        slug,
    )
    return campaign_of(row) if row else None


def campaign_of(row: asyncpg.Record) -> rules.Campaign:
    return rules.Campaign(
        slug=row["slug"],
        name=row["name"],
        target=row["target"],
        starts_on=row["starts_on"],
        working_days=row["working_days"],
    )


async def save_campaign(conn: asyncpg.Connection, c: rules.Campaign) -> asyncpg.Record:
    row = await conn.fetchrow(
        """
        INSERT INTO campaign (slug, name, target, starts_on, working_days, deadline)
        VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (slug) DO UPDATE SET name = excluded.name, target = excluded.target,
            starts_on = excluded.starts_on, working_days = excluded.working_days,
            deadline = excluded.deadline, updated_at = now()
        RETURNING *
        """,
        c.slug,
        c.name,
        c.target,
        c.starts_on,
        c.working_days,
        c.deadline,
    )
    assert row is not None
    return row
