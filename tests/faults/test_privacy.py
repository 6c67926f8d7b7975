"""The privacy scan, after the scenarios: no NIK, phone or email the load made up appears in any
message that crossed `kerjalokal.events` (bodies and headers, as the witness queue kept them), in
any service's log but the registry's (it holds the register), or in plain text in any row of any
other service's database. Notify holds the restricted contact data, sealed (AES-GCM): neither its
log nor its tables may show it in clear."""

import json
import re

import asyncpg
import pytest

from .load import Load
from .platform import Platform

pytestmark = [pytest.mark.faults, pytest.mark.integration, pytest.mark.e2e]
ALLOWED = {"registry"}
DIGITS = re.compile(r"\+?\d{6,}")
EMAILS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def leaked(text: str, secrets: set[str]) -> set[str]:
    """The secrets in `text`: every digit run and email in it against the set (a search per
    secret over megabytes of logs would take minutes), digit runs also for what they contain."""
    found = set(EMAILS.findall(text)) & secrets
    digit_secrets = {s for s in secrets if "@" not in s}
    for run in set(DIGITS.findall(text)):
        if run in digit_secrets:
            found.add(run)
        elif len(run) > 11:
            found |= {s for s in digit_secrets if s in run}
    return found


def test_the_scan_finds_what_it_looks_for() -> None:
    secrets = {"3216091705000042", "081234567890", "+6281234567890", "warga7@example.org"}
    text = 'x "nik": "3216091705000042" to=+6281234567890, mail warga7@example.org 99081234567890'
    assert leaked(text, secrets) == secrets
    assert leaked("nothing 3216091705000043 warga8@example.org", secrets) == set()


async def test_no_generated_nik_phone_or_email_outside_the_registry(
    platform: Platform, load: Load
) -> None:
    if load.rounds == 0:
        pytest.skip("no load ran (no scenario was selected)")
    assert platform.witness.messages
    wire = "\n".join(
        m.body.decode(errors="replace") + json.dumps(m.headers, default=str)
        for m in platform.witness.messages
    )
    assert not leaked(wire, load.secrets), "generated NIKs/phones/emails on kerjalokal.events"
    for name, service in platform.services.items():
        if name in ALLOWED:
            continue
        found = leaked(service.log.read_text(errors="replace"), load.secrets)
        assert not found, f"{len(found)} generated NIKs/phones/emails in {name}'s log"


async def database_text(url: str) -> str:
    """Every row of every table of one database, as PostgreSQL prints it (sealed columns are
    bytea and print as hex)."""
    conn = await asyncpg.connect(url)
    try:
        tables = await conn.fetch(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) AS name"
            " FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
        parts = []
        for table in tables:
            rows = await conn.fetchval(f"SELECT string_agg(t::text, E'\\n') FROM {table['name']} t")
            parts.append(rows or "")
        return "\n".join(parts)
    finally:
        await conn.close()


async def test_no_generated_nik_phone_or_email_in_clear_in_other_services_databases(
    platform: Platform, load: Load
) -> None:
    if load.rounds == 0:
        pytest.skip("no load ran (no scenario was selected)")
    registry = await database_text(platform.services["registry"].database)
    assert leaked(registry, load.secrets), "the scan reads the register (its restricted events)"
    for name, service in platform.services.items():
        if name in ALLOWED:
            continue
        text = await database_text(service.database)
        assert text, f"nothing read from {name}'s database"
        found = leaked(text, load.secrets)
        assert not found, f"{len(found)} generated NIKs/phones/emails in clear in {name}'s database"
