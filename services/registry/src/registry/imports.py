"""Bulk import of the office's existing seeker lists (CSV).

Every row passes the same checks as a registration over HTTP; bad rows are reported by line
with their reason (never their values), good rows go in by batches: COPY into a staging table,
then one INSERT .. ON CONFLICT (nik_hmac) DO NOTHING, so a NIK registered before, or again later
in the file, is counted and left alone. A file whose content was imported before changes nothing.
Each batch commits with its events and the job's progress.
"""

import asyncio
import contextlib
import csv
import hashlib
import io
import logging
import operator
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import asyncpg
from pydantic import ValidationError

from kerjalokal.messaging import outbox
from kerjalokal.messaging.consumer import describe

from .crypto import PersonalDataCipher
from .repository import _RESIDENT_COLUMNS
from .schemas import RegistrationIn
from .services import Actor, FieldError, Prepared, prepare, registered_payloads

log = logging.getLogger("registry.imports")

BATCH_SIZE = 5000
YIELD_EVERY = 100
COLUMNS = (
    "nik", "full_name", "sex", "birth_date", "birth_place", "phone", "email", "street", "rt",
    "rw", "desa_kode", "postal_code", "education_level", "education_track", "education_major",
    "skills", "consent_contact", "channels",
)  # fmt: skip
REQUIRED = (
    "nik", "full_name", "sex", "birth_date", "phone", "street", "desa_kode", "education_level",
)  # fmt: skip
_YES = {"ya", "y", "yes", "true", "1"}
Progress = Callable[[int, int], None]


def _list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(";") if item.strip()]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DAY_FIRST = re.compile(r"([0-9]{2})([-/])([0-9]{2})\2([0-9]{4})")


def _date(value: str) -> str:
    """ISO dates, or the DD-MM-YYYY / DD/MM/YYYY that office spreadsheets use."""
    value = value.strip()
    if _ISO_DATE.fullmatch(value):
        return value  # neither format reads it (a day has at most 2 digits): pydantic parses it
    if day_first := _DAY_FIRST.fullmatch(value):  # what strptime reads, without its cost
        day, month, year = (int(part) for part in day_first.group(1, 3, 4))
        with contextlib.suppress(ValueError):
            return date(year, month, day).isoformat()
    for fmt in ("%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    return value


def to_registration(row: dict[str, str | None]) -> RegistrationIn:
    def text(name: str) -> str | None:
        return (row.get(name) or "").strip() or None

    return RegistrationIn.model_validate(
        {
            "nik": text("nik") or "",
            "full_name": text("full_name") or "",
            "sex": (text("sex") or "").upper(),
            "birth_date": _date(text("birth_date") or ""),
            "birth_place": text("birth_place"),
            "phone": text("phone") or "",
            "email": text("email"),
            "address": {
                "street": text("street") or "",
                "rt": text("rt"),
                "rw": text("rw"),
                "desa_kode": text("desa_kode") or "",
                "postal_code": text("postal_code"),
            },
            "education": {
                "level": text("education_level") or 0,
                "track": text("education_track"),
                "major": text("education_major"),
            },
            "skills": _list(row.get("skills")),
            "certificates": [],  # as the defaults, without pydantic's copy of them per row
            "occupation_interests": [],
            "consent": {
                "contact": (text("consent_contact") or "").lower() in _YES,
                "channels": _list(row.get("channels")),
            },
        }
    )


def _reason(error: Exception) -> str:
    if isinstance(error, FieldError):
        return f"{'.'.join(error.loc)}: {error.reason}"
    return describe(error)


def check_rows(
    content: bytes, *, cipher: PersonalDataCipher, actor: Actor, now: datetime
) -> Iterator[tuple[int, Prepared | str]]:
    """Yield (line number, prepared row or the reason it was refused) for every data row.
    The rows are recorded as registered by a bulk import that `actor` started."""
    bulk = Actor(role="bulk_import", name=actor.label)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        yield line, "berkas bukan UTF-8 / file is not UTF-8 (save the CSV as UTF-8)"
        return
    reader = csv.DictReader(io.StringIO(text))
    missing = set(REQUIRED) - set(reader.fieldnames or ())
    if missing:
        yield 1, f"kolom wajib tidak ada / missing columns: {', '.join(sorted(missing))}"
        return
    for row in reader:
        line = reader.line_num
        try:
            yield line, prepare(cipher=cipher, data=to_registration(row), actor=bulk, now=now)
        except (ValidationError, FieldError, ValueError) as error:
            yield line, _reason(error)


async def insert_batch(conn: asyncpg.Connection, batch: list[Prepared], *, now: datetime) -> int:
    """Insert what is new, with its history and events; return how many were new. Of a NIK
    repeated in the batch only the first row is tried, as across batches."""
    firsts: dict[bytes, Prepared] = {}
    for prepared in batch:
        firsts.setdefault(prepared.columns["nik_hmac"], prepared)
    record = operator.itemgetter(*_RESIDENT_COLUMNS.split(", "))
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS resident_staging"
        " (LIKE resident INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    await conn.copy_records_to_table(
        "resident_staging",
        records=[record(p.columns) for p in firsts.values()],
        columns=_RESIDENT_COLUMNS.split(", "),
    )
    inserted = await conn.fetch(
        f"INSERT INTO resident ({_RESIDENT_COLUMNS}) SELECT {_RESIDENT_COLUMNS}"
        " FROM resident_staging ON CONFLICT (nik_hmac) DO NOTHING RETURNING resident_id"
    )
    new = {row["resident_id"] for row in inserted}
    if not new:
        return 0
    await conn.copy_records_to_table(
        "resident_history",
        records=[(rid, now, "system:import", "registered", {}) for rid in new],
        columns=("resident_id", "at", "actor", "action", "detail"),
    )
    events = [
        event
        for prepared in firsts.values()
        if prepared.columns["resident_id"] in new
        for event in registered_payloads(
            prepared.columns | {"version": 1, "in_training": False},
            prepared.personal,
            now=now,
            nik_lookup=prepared.nik_lookup,
        )
    ]
    await outbox.add_many_serialised(conn, events)
    return len(new)


async def run(
    pool: asyncpg.Pool,
    *,
    import_id: UUID,
    content: bytes,
    cipher: PersonalDataCipher,
    actor: Actor,
    progress: Progress | None = None,
) -> None:
    now = datetime.now(UTC)
    lines = content.count(b"\n") + (not content.endswith(b"\n"))
    total = max(lines - 1, 0)
    errors: list[dict[str, Any]] = []
    batch: list[Prepared] = []
    counts = {"processed": 0, "imported": 0, "existing": 0}

    async def flush() -> None:
        rows = max(total, counts["processed"])
        async with pool.acquire() as conn, conn.transaction():
            new = await insert_batch(conn, batch, now=now) if batch else 0
            counts["imported"] += new
            counts["existing"] += len(batch) - new
            await conn.execute(
                "UPDATE import_job SET total_rows = $2, processed_rows = $3, imported = $4,"
                " already_registered = $5, errors = errors || $6 WHERE import_id = $1",
                import_id, rows, counts["processed"], counts["imported"], counts["existing"],
                errors,
            )  # fmt: skip
        batch.clear()
        errors.clear()
        if progress:
            progress(counts["processed"], rows)
        await asyncio.sleep(0)

    for line, outcome in check_rows(content, cipher=cipher, actor=actor, now=now):
        counts["processed"] += 1
        if isinstance(outcome, str):
            errors.append({"line": line, "reason": outcome})
        else:
            batch.append(outcome)
        if len(batch) >= BATCH_SIZE:
            await flush()
        elif counts["processed"] % YIELD_EVERY == 0:
            await asyncio.sleep(0)  # validation is CPU-bound: let the service's requests in
    await flush()
    await pool.execute(
        "UPDATE import_job SET status = 'done', finished_at = now() WHERE import_id = $1", import_id
    )


async def create_job(
    pool: asyncpg.Pool, *, content: bytes, filename: str, actor: Actor
) -> tuple[asyncpg.Record, bool]:
    """The job for this file content: the earlier one if it was imported before (False).
    A job that failed starts over (True): its committed batches then count as registered."""
    digest = hashlib.sha256(content).hexdigest()
    row = await pool.fetchrow(
        "INSERT INTO import_job (import_id, file_sha256, filename, created_by, status, started_at)"
        " VALUES ($1, $2, $3, $4, 'running', now()) ON CONFLICT (file_sha256) DO UPDATE SET"
        " filename = EXCLUDED.filename, created_by = EXCLUDED.created_by, status = 'running',"
        " started_at = now(), finished_at = NULL, total_rows = 0, processed_rows = 0,"
        " imported = 0, already_registered = 0, errors = '[]'"
        " WHERE import_job.status = 'failed' RETURNING *",
        uuid4(), digest, filename, actor.label,
    )  # fmt: skip
    if row is not None:
        return row, True
    existing = await pool.fetchrow("SELECT * FROM import_job WHERE file_sha256 = $1", digest)
    assert existing is not None
    return existing, False


async def start(
    pool: asyncpg.Pool,
    *,
    cipher: PersonalDataCipher,
    content: bytes,
    filename: str,
    actor: Actor,
    background: set[asyncio.Task[None]],
) -> asyncpg.Record:
    job, is_new = await create_job(pool, content=content, filename=filename, actor=actor)
    if is_new:
        task = asyncio.create_task(
            _run_logged(pool, job["import_id"], content=content, cipher=cipher, actor=actor)
        )
        background.add(task)
        task.add_done_callback(background.discard)
    return job


async def _run_logged(
    pool: asyncpg.Pool, import_id: UUID, *, content: bytes, cipher: PersonalDataCipher, actor: Actor
) -> None:
    try:
        await run(pool, import_id=import_id, content=content, cipher=cipher, actor=actor)
    except Exception:
        log.exception("import %s failed", import_id)
        await pool.execute(
            "UPDATE import_job SET status = 'failed', finished_at = now() WHERE import_id = $1",
            import_id,
        )


async def fail_interrupted(pool: asyncpg.Pool) -> int:
    """At startup: jobs left 'running' by a stopped process failed; uploading the file again
    resumes (rows committed before the stop count as already registered)."""
    result = await pool.execute(
        "UPDATE import_job SET status = 'failed', finished_at = now(), errors = errors ||"
        ' \'[{"line": 0, "reason": "layanan berhenti saat impor / service stopped during the'
        " import: upload the file again\"}]'::jsonb WHERE status = 'running'"
    )
    return int(result.split()[-1])


async def get(pool: asyncpg.Pool, *, import_id: UUID) -> asyncpg.Record | None:
    return await pool.fetchrow("SELECT * FROM import_job WHERE import_id = $1", import_id)
