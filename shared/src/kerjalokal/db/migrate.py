"""Database migrations as plain, numbered SQL files, applied at start-up.

Why not a tool: each service runs its migrations in-process with the asyncpg it already has, in
tests against a fresh database and in production before serving; dbmate would add a binary and a
subprocess, yoyo a second (sync) driver. What we need fits here: files applied in name order, each
in its own transaction, recorded with a checksum (an edited, already applied file is refused),
serialised across replicas by an advisory lock. Migrations only go forward: a fix is a new file.
The chassis tables (outbox, inbox) come first, under the `chassis/` prefix.
"""

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

_LOCK = "kerjalokal.migrations"


@dataclass(frozen=True)
class Migration:
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


class MigrationError(RuntimeError):
    pass


def chassis_migrations() -> list[Migration]:
    files = resources.files("kerjalokal.db") / "sql"
    return [
        Migration(f"chassis/{f.name}", f.read_text())
        for f in sorted(files.iterdir(), key=lambda f: f.name)
        if f.name.endswith(".sql")
    ]


def service_migrations(directory: Path) -> list[Migration]:
    return [Migration(p.name, p.read_text()) for p in sorted(directory.glob("*.sql"))]


async def migrate(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    """Apply what is missing; return the names applied now."""
    await conn.execute("SELECT pg_advisory_lock(hashtext($1))", _LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration ("
            " name text PRIMARY KEY, checksum text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        applied = dict(await conn.fetch("SELECT name, checksum FROM schema_migration"))
        done = []
        for migration in migrations:
            if migration.name in applied:
                if applied[migration.name] != migration.checksum:
                    raise MigrationError(f"{migration.name} changed after it was applied")
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migration (name, checksum) VALUES ($1, $2)",
                    migration.name,
                    migration.checksum,
                )
            done.append(migration.name)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", _LOCK)


async def migrate_url(database_url: str, directory: Path) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return await migrate(conn, chassis_migrations() + service_migrations(directory))
    finally:
        await conn.close()


async def create_database(admin_url: str, name: str) -> bool:
    """Create a database if it does not exist (used by setup and tests); True when created."""
    conn = await asyncpg.connect(admin_url)
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await conn.execute(f'CREATE DATABASE "{name}"')
        return True
    finally:
        await conn.close()
