"""Placement reports: a company's CSV of hires made outside the system, one person a row, by NIK.

The NIK never stays here: each one is turned into its keyed hash (the key vacancies shares with
the registry alone) and looked up among the seekers the registry announced. Bad rows are reported
by line with a reason that never repeats the row's values.
"""

import base64
import csv
import hashlib
import hmac
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

COLUMNS = ("nik", "start_date", "contract_type")
OPTIONAL = ("job_title", "kbji_code")
CONTRACTS = {
    "pkwt": "pkwt",
    "pkwtt": "pkwtt",
    "magang": "magang",
    "tetap": "pkwtt",
    "kontrak": "pkwt",
}
MAX_ROWS = 20_000


@dataclass(frozen=True, slots=True, repr=False)
class ReportRow:
    line: int
    nik: str
    start_date: date
    contract_type: str

    def __repr__(self) -> str:  # never show the NIK, even in a traceback
        return f"ReportRow(line={self.line}, start_date={self.start_date})"


class NikLookup:
    """The keyed hash the registry publishes as `nik_lookup`: hex HMAC-SHA256 of the 16 digits."""

    def __init__(self, key: str) -> None:
        raw = base64.b64decode(key)
        if len(raw) != 32:
            raise ValueError("NIK_LOOKUP_KEY must be 32 bytes, base64-encoded")
        self._key = raw

    def __call__(self, nik: str) -> str:
        return hmac.new(self._key, nik.encode(), hashlib.sha256).hexdigest()


def normalize_nik(raw: str) -> str | None:
    """The 16 digits of a well-formed NIK, or None (shape only: the registry holds the truth)."""
    value = "".join(raw.split()).replace(".", "").lstrip("'")
    if len(value) != 16 or not value.isdigit() or value[12:] == "0000":
        return None
    day, month = int(value[6:8]), int(value[8:10])
    if not (1 <= day <= 31 or 41 <= day <= 71) or not 1 <= month <= 12:
        return None
    return value


def _date(value: str) -> date | None:
    for fmt in ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y"):
        try:
            return datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    return None


def _row(line: int, row: dict[str, str | None], *, earliest: date, latest: date) -> ReportRow | str:
    nik = normalize_nik(row.get("nik") or "")
    if nik is None:
        return "nik: NIK harus 16 angka yang sah / the NIK must be 16 valid digits"
    start = _date(row.get("start_date") or "")
    if start is None:
        return "start_date: tanggal tidak sah (YYYY-MM-DD atau DD-MM-YYYY) / not a date"
    if start < earliest:
        return f"start_date: paling awal {earliest.isoformat()} / at the earliest {earliest}"
    if start > latest:
        return f"start_date: paling lambat {latest.isoformat()} / at the latest {latest}"
    contract = CONTRACTS.get((row.get("contract_type") or "").strip().lower())
    if contract is None:
        return "contract_type: pkwt, pkwtt atau magang / pkwt, pkwtt or magang"
    return ReportRow(line=line, nik=nik, start_date=start, contract_type=contract)


def parse(
    content: bytes, *, today: date, backdate_days: int, ahead_days: int = 365
) -> Iterator[tuple[int, ReportRow | str]]:
    """(line, row or the reason it was refused) for every data row of the file."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        yield line, "berkas bukan UTF-8 / the file is not UTF-8 (save the CSV as UTF-8)"
        return
    sample = text[:2048]
    dialect = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    fields = {(name or "").strip().lower() for name in reader.fieldnames or ()}
    missing = set(COLUMNS) - fields
    if missing:
        yield 1, f"kolom wajib tidak ada / missing columns: {', '.join(sorted(missing))}"
        return
    earliest = today - timedelta(days=backdate_days)
    latest = today + timedelta(days=ahead_days)
    for count, raw in enumerate(reader, start=1):
        if count > MAX_ROWS:
            yield reader.line_num, f"lebih dari {MAX_ROWS} baris / more than {MAX_ROWS} rows"
            return
        row = {(key or "").strip().lower(): value for key, value in raw.items()}
        if not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue
        yield reader.line_num, _row(reader.line_num, row, earliest=earliest, latest=latest)
