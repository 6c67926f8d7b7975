"""Placement reports: a company's CSV of hires made outside the system.

Rows whose NIK the registry announced become hires (source `placement_report`); unknown NIKs come
back to the uploader as a list to register, and are neither stored nor logged; bad rows are
reported by line. The report is keyed by the file's content, and each hire by (resident, company,
start date), so uploading the same file again changes nothing, and once its unknown NIKs are
registered the same file records just them.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg

from ..domain.errors import NotFound
from ..domain.placement import NikLookup, ReportRow, parse
from ..domain.vacancy import today_in_bekasi
from ..principals import Actor, may_act_for
from . import companies, hires


@dataclass
class Outcome:
    report: asyncpg.Record
    hired: int = 0
    already_recorded: int = 0
    unknown: list[tuple[int, str]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


async def upload(
    conn: asyncpg.Connection,
    *,
    company_id: UUID,
    content: bytes,
    filename: str,
    lookup: NikLookup,
    backdate_days: int,
    actor: Actor,
    now: datetime,
) -> Outcome:
    await companies.get_visible(conn, company_id, actor=actor, lock=True)
    rows: list[ReportRow] = []
    errors: list[dict[str, Any]] = []
    for line, parsed in parse(content, today=today_in_bekasi(now), backdate_days=backdate_days):
        if isinstance(parsed, str):
            errors.append({"line": line, "reason": parsed})
        else:
            rows.append(parsed)
    report = await _report(conn, company_id, content, filename, len(rows) + len(errors), errors,
                           actor=actor, now=now)  # fmt: skip
    outcome = Outcome(report=report, errors=errors)
    residents = await _residents(conn, {row.nik: lookup(row.nik) for row in rows})
    for row in rows:
        resident_id = residents.get(row.nik)
        if resident_id is None:
            outcome.unknown.append((row.line, row.nik))
            continue
        _, new = await hires.record(
            conn,
            hires.HireIn(
                resident_id=resident_id,
                company_id=company_id,
                start_date=row.start_date,
                contract_type=row.contract_type,
                source="placement_report",
                report_id=report["report_id"],
            ),
            actor=actor,
            now=now,
        )
        outcome.hired += new
        outcome.already_recorded += not new
    outcome.report = await conn.fetchrow(
        "UPDATE placement_report SET hires = hires + $2, unknown = $3 WHERE report_id = $1"
        " RETURNING *",
        report["report_id"], outcome.hired, len(outcome.unknown),
    )  # fmt: skip
    return outcome


async def _residents(conn: asyncpg.Connection, lookups: dict[str, str]) -> dict[str, UUID]:
    """NIK → resident, through the keyed hashes; the NIKs themselves never reach the database."""
    found = await conn.fetch(
        "SELECT nik_lookup, resident_id FROM seeker WHERE nik_lookup = ANY($1::text[])",
        list(set(lookups.values())),
    )
    by_lookup = {row["nik_lookup"]: row["resident_id"] for row in found}
    return {nik: by_lookup[h] for nik, h in lookups.items() if h in by_lookup}


async def _report(
    conn: asyncpg.Connection,
    company_id: UUID,
    content: bytes,
    filename: str,
    row_count: int,
    errors: list[dict[str, Any]],
    *,
    actor: Actor,
    now: datetime,
) -> asyncpg.Record:
    row = await conn.fetchrow(
        "INSERT INTO placement_report (report_id, company_id, file_sha256, filename, uploaded_by,"
        " first_uploaded_at, last_uploaded_at, row_count, errors)"
        " VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8) ON CONFLICT (company_id, file_sha256)"
        " DO UPDATE SET uploads = placement_report.uploads + 1, last_uploaded_at = $6"
        " RETURNING *",
        uuid4(), company_id, hashlib.sha256(content).hexdigest(), filename, actor.label, now,
        row_count, errors,
    )  # fmt: skip
    assert row is not None
    return row


async def get(conn: asyncpg.Connection, *, report_id: UUID, actor: Actor) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM placement_report WHERE report_id = $1", report_id)
    if row is None or not may_act_for(actor, row["company_id"]):
        raise NotFound("report")
    return row
