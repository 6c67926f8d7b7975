"""`python -m kerjalokal.db create|drop NAME...`: make or remove the services' local databases."""

import asyncio
import os
import sys

import asyncpg

from .migrate import create_database


def _admin_url() -> str:
    return os.environ.get("DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _create(names: list[str]) -> None:
    for name in names:
        created = await create_database(_admin_url(), name)
        print(f"database {name}: {'created' if created else 'exists'}")


async def _drop(names: list[str]) -> None:
    conn = await asyncpg.connect(_admin_url())
    try:
        for name in names:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            print(f"database {name}: dropped")
    finally:
        await conn.close()


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("create", "drop"):
        sys.exit("usage: python -m kerjalokal.db create|drop NAME [NAME...]")
    asyncio.run((_create if sys.argv[1] == "create" else _drop)(sys.argv[2:]))
