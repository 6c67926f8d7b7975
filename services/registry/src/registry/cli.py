"""`registry serve | migrate | import FILE | sweep`: the service's command line."""

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import uvicorn

from kerjalokal.db.migrate import migrate_url
from kerjalokal.logging import configure_logging

from . import imports, repository, services
from .config import Settings
from .crypto import PersonalDataCipher
from .main import MIGRATIONS


def _cipher(settings: Settings) -> PersonalDataCipher:
    return PersonalDataCipher(
        hmac_key=settings.nik_hmac_key.get_secret_value(),
        data_key=settings.data_key.get_secret_value(),
        lookup_key=settings.nik_lookup_key.get_secret_value(),
    )


def _progress(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    print(f"\r[{bar}] {done:,}/{total:,}", end="", file=sys.stderr, flush=True)


async def _import(settings: Settings, path: Path) -> int:
    """Import a CSV directly into the database; the running service relays its events."""
    content = await asyncio.to_thread(path.read_bytes)
    actor = services.Actor(role="operator", name="cli")
    pool = await asyncpg.create_pool(settings.database_url, init=repository.init_connection)
    try:
        job, is_new = await imports.create_job(
            pool, content=content, filename=path.name, actor=actor
        )
        if is_new:
            await imports.run(
                pool, import_id=job["import_id"], content=content, cipher=_cipher(settings),
                actor=actor, progress=_progress,
            )  # fmt: skip
            print(file=sys.stderr)
        else:
            print("File ini sudah pernah diimpor / this file was imported before", file=sys.stderr)
        job = await imports.get(pool, import_id=job["import_id"])
        assert job is not None
        print(
            f"imported={job['imported']} already_registered={job['already_registered']}"
            f" errors={len(job['errors'])} rows={job['processed_rows']}"
        )
        for error in job["errors"][:50]:
            print(f"  line {error['line']}: {error['reason']}")
        return 0
    finally:
        await pool.close()


async def _sweep(settings: Settings) -> int:
    conn = await asyncpg.connect(settings.database_url)
    try:
        print(f"moved={await services.sweep(conn, now=datetime.now(UTC))}")
        return 0
    finally:
        await conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="registry", description="Kerja Lokal registry")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="migrate, then serve HTTP and consume events")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a service listens on all interfaces
    serve.add_argument("--port", type=int, default=8001)
    commands.add_parser("migrate", help="apply database migrations")
    load = commands.add_parser("import", help="import a CSV of job seekers")
    load.add_argument("file", type=Path)
    commands.add_parser("sweep", help="lapse overdue seekers and expire old cards now")
    args = parser.parse_args(argv)
    configure_logging()
    settings = Settings()
    if args.command == "serve":
        uvicorn.run(
            "registry.main:app_from_env", factory=True, host=args.host, port=args.port,
            log_config=None, access_log=False,
        )  # fmt: skip
        return 0
    if args.command == "migrate":
        applied = asyncio.run(migrate_url(settings.database_url, MIGRATIONS))
        print("applied: " + (", ".join(applied) or "nothing new"))
        return 0
    if args.command == "import":
        return asyncio.run(_import(settings, args.file))
    return asyncio.run(_sweep(settings))


if __name__ == "__main__":
    sys.exit(main())
