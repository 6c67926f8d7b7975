"""`python -m kerjalokal.db create NAME...`: create the services' databases if missing."""

import asyncio
import os
import sys

from .migrate import create_database


async def _create(names: list[str]) -> None:
    admin_url = os.environ.get(
        "DATABASE_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
    )
    for name in names:
        created = await create_database(admin_url, name)
        print(f"database {name}: {'created' if created else 'exists'}")


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] != "create":
        sys.exit("usage: python -m kerjalokal.db create NAME [NAME...]")
    asyncio.run(_create(sys.argv[2:]))
