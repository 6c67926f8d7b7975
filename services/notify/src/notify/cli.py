"""`notify serve | migrate`: the service's command line."""

import argparse
import asyncio
import sys

import asyncpg
import uvicorn

from kerjalokal.logging import configure_logging

from .config import Settings
from .crypto import ContactCipher
from .database import migrate_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="notify", description="Kerja Lokal notify")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, then serve HTTP, consume and send")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a service listens on all interfaces
    serve.add_argument("--port", type=int, default=8004)
    commands.add_parser("migrate", help="apply database migrations")
    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings()
    if args.command == "serve":
        uvicorn.run(
            "notify.main:app_from_env", factory=True, host=args.host, port=args.port,
            log_config=None, access_log=False,
        )  # fmt: skip
        return 0
    applied = asyncio.run(_migrate(settings))
    print("applied: " + (", ".join(applied) or "nothing new"))
    return 0


async def _migrate(settings: Settings) -> list[str]:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await migrate_database(conn, ContactCipher(settings.data_key.get_secret_value()))
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
