"""notify's migrations, with the one step SQL cannot do: sealing the contacts kept in clear
before 0002 (the key is not in the database). Used at start-up and by `notify migrate`."""

from pathlib import Path

import asyncpg

from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations

from .crypto import ContactCipher

MIGRATIONS = Path(__file__).parent / "migrations"
_CLEAR_DROPPED = "0003_contact_clear_columns_dropped.sql"


async def migrate_database(conn: asyncpg.Connection, cipher: ContactCipher) -> list[str]:
    """Apply what is missing; contacts still in clear are sealed before their columns go."""
    every = chassis_migrations() + service_migrations(MIGRATIONS)
    before = [m for m in every if m.name.startswith("chassis/") or m.name < _CLEAR_DROPPED]
    applied = await migrate(conn, before)
    done = await conn.fetchval("SELECT 1 FROM schema_migration WHERE name = $1", _CLEAR_DROPPED)
    if not done:
        await seal_clear_contacts(conn, cipher)
    return applied + await migrate(conn, every)


async def seal_clear_contacts(conn: asyncpg.Connection, cipher: ContactCipher) -> int:
    """Move each contact's clear first name, phone and email into the sealed columns."""
    moved = 0
    async with conn.transaction():
        rows = await conn.fetch(
            "SELECT resident_id, first_name, phone, email FROM contact"
            " WHERE first_name IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL FOR UPDATE"
        )
        for row in rows:
            sealed = cipher.seal_contact(dict(row), resident_id=row["resident_id"])
            await conn.execute(
                "UPDATE contact SET first_name_sealed = $2, phone_sealed = $3, email_sealed = $4,"
                " first_name = NULL, phone = NULL, email = NULL WHERE resident_id = $1",
                row["resident_id"],
                *sealed,
            )
            moved += 1
    return moved
