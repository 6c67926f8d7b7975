"""The office's figures: hires per company against its commitment, the local share of new hires
per company and per industrial estate against the Perbup threshold, per kecamatan and per period.
Every hire counts once (the hire table's unique key); locality is the one taken at hire time."""

from datetime import date
from typing import Any, Literal
from uuid import UUID

import asyncpg

Period = Literal["day", "week", "month"]
_HIRED_ON = "(h.hired_at AT TIME ZONE 'Asia/Jakarta')::date"
_WINDOW = f"($1::date IS NULL OR {_HIRED_ON} >= $1) AND ($2::date IS NULL OR {_HIRED_ON} <= $2)"


def _share(local: int, hires: int) -> float | None:
    return round(100.0 * local / hires, 1) if hires else None


def _with_share(row: asyncpg.Record, threshold: float) -> dict[str, Any]:
    values = dict(row)
    share = _share(values["local_hires"], values["hires"])
    return values | {
        "local_share_percent": share,
        "meets_threshold": None if share is None else share >= threshold,
    }


async def figures(
    conn: asyncpg.Connection,
    *,
    since: date | None,
    until: date | None,
    threshold: float,
    target: int,
    period: Period,
    company_id: UUID | None = None,
) -> dict[str, Any]:
    scope = "($3::uuid IS NULL OR h.company_id = $3)"
    args = (since, until, company_id)
    totals = await conn.fetchrow(
        "SELECT count(*) AS hires, count(*) FILTER (WHERE h.is_local) AS local_hires,"
        " count(*) FILTER (WHERE h.source = 'placement_report') AS from_reports"
        f" FROM hire h WHERE {_WINDOW} AND {scope}",
        *args,
    )
    assert totals is not None
    companies = await conn.fetch(
        "SELECT c.company_id, c.name, c.industrial_estate,"
        " p.local_hires_committed, p.local_share_percent AS committed_share_percent,"
        " count(h.hire_id) AS hires, count(h.hire_id) FILTER (WHERE h.is_local) AS local_hires"
        " FROM company c"
        " LEFT JOIN LATERAL (SELECT * FROM partnership p WHERE p.company_id = c.company_id"
        "   AND p.status = 'active' ORDER BY p.starts_on DESC LIMIT 1) p ON true"
        f" LEFT JOIN hire h ON h.company_id = c.company_id AND {_WINDOW}"
        " WHERE ($3::uuid IS NULL OR c.company_id = $3)"
        " GROUP BY c.company_id, p.local_hires_committed, p.local_share_percent"
        " ORDER BY c.name",
        *args,
    )
    estates = await conn.fetch(
        "SELECT coalesce(c.industrial_estate, '(di luar kawasan / outside an estate)')"
        " AS industrial_estate, count(*) AS hires, count(*) FILTER (WHERE h.is_local)"
        f" AS local_hires FROM hire h JOIN company c USING (company_id)"
        f" WHERE {_WINDOW} AND {scope} GROUP BY 1 ORDER BY 1",
        *args,
    )
    kecamatan = await conn.fetch(
        "SELECT h.kecamatan_kode, count(*) AS hires, count(*) FILTER (WHERE h.is_local)"
        f" AS local_hires FROM hire h WHERE {_WINDOW} AND {scope}"
        " GROUP BY 1 ORDER BY 1 NULLS LAST",
        *args,
    )
    periods = await conn.fetch(
        f"SELECT date_trunc('{period}', {_HIRED_ON})::date AS period_start, count(*) AS hires,"
        f" count(*) FILTER (WHERE h.is_local) AS local_hires FROM hire h"
        f" WHERE {_WINDOW} AND {scope} GROUP BY 1 ORDER BY 1",
        *args,
    )
    local = totals["local_hires"]
    return {
        "since": since,
        "until": until,
        "threshold_percent": threshold,
        "target_local_hires": target,
        "hires": totals["hires"],
        "local_hires": local,
        "from_placement_reports": totals["from_reports"],
        "local_share_percent": _share(local, totals["hires"]),
        "target_progress_percent": round(100.0 * local / target, 1),
        "companies": [_company(row, threshold) for row in companies],
        "industrial_estates": [_with_share(row, threshold) for row in estates],
        "kecamatan": [_with_share(row, threshold) for row in kecamatan],
        "periods": [_with_share(row, threshold) | {"period": period} for row in periods],
    }


def _company(row: asyncpg.Record, threshold: float) -> dict[str, Any]:
    values = _with_share(row, threshold)
    committed = values["local_hires_committed"]
    wanted = max(threshold, values["committed_share_percent"] or 0)
    share = values["local_share_percent"]
    return values | {
        "commitment_progress_percent": (
            round(100.0 * values["local_hires"] / committed, 1) if committed else None
        ),
        "meets_commitment_share": None if share is None else share >= wanted,
    }
