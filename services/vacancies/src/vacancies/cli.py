"""`vacancies serve | migrate | expire`: the service's command line."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import asyncpg
import uvicorn

from kerjalokal.db.migrate import migrate_url
from kerjalokal.logging import configure_logging

from . import repository
from .config import Settings
from .main import MIGRATIONS
from .principals import SYSTEM
from .services import vacancies


async def _expire(settings: Settings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        await repository.init_connection(conn)
        print(f"expired={await vacancies.expire_due(conn, actor=SYSTEM, now=datetime.now(UTC))}")
        return 0
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vacancies", description="Kerja Lokal vacancies")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, then serve HTTP and consume events")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a service listens on all interfaces
    serve.add_argument("--port", type=int, default=8002)
    commands.add_parser("migrate", help="apply database migrations")
    commands.add_parser("expire", help="expire published vacancies past their validity now")
    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings()
    if args.command == "serve":
        uvicorn.run(
            "vacancies.main:app_from_env", factory=True, host=args.host, port=args.port,
            log_config=None, access_log=False,
        )  # fmt: skip
        return 0
    if args.command == "migrate":
        applied = asyncio.run(migrate_url(settings.database_url, MIGRATIONS))
        print("applied: " + (", ".join(applied) or "nothing new"))
        return 0
    return asyncio.run(_expire(settings))


if __name__ == "__main__":
    sys.exit(main())
