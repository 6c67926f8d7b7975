"""`kerjalokal`: the operators' command line.

    kerjalokal serve [--port 8000]            the console (pages, API, projector)
    kerjalokal events tail [PATTERN] [--from first|last|next|OFFSET|TIME|30m] [--follow]
    kerjalokal dlq list|show|replay|discard   dead letters of every service
    kerjalokal agencies add|list|remove|replay
    kerjalokal projections status|rebuild
    kerjalokal export RESIDENT_ID --purpose "..." --out FILE   a resident's data from every service
    kerjalokal keys issue|list|revoke --service SERVICE        API keys of a service
    kerjalokal seed                            the whole demo (scripts/demo_data.py)

Settings come from the environment; `--env-file` (default deploy/dev.env when it exists here)
fills what the environment leaves unset.
"""

import asyncio
import importlib.util
import json
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import aio_pika
import asyncpg
import httpx
import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax
from rich.table import Table

from kerjalokal.db.migrate import migrate_url
from kerjalokal.logging import configure_logging

from . import agencies as agency_admin
from . import dlq, stream
from .config import SERVICES, ClientSettings, Settings
from .domain.agencies import AgencyRefused, available_event_types
from .domain.topics import matches
from .main import MIGRATIONS
from .queues import vhost_of

app = typer.Typer(
    help="Kerja Lokal: konsol operator / the operators' command line", no_args_is_help=True
)
events_app = typer.Typer(help="Log event / the event log stream", no_args_is_help=True)
dlq_app = typer.Typer(help="Pesan gagal / dead letters", no_args_is_help=True)
agencies_app = typer.Typer(help="Agensi / agency consumers", no_args_is_help=True)
projections_app = typer.Typer(
    help="Proyeksi konsol / the console's projections", no_args_is_help=True
)
keys_app = typer.Typer(help="Kunci API layanan / the services' API keys", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(events_app, name="events")
app.add_typer(dlq_app, name="dlq")
app.add_typer(agencies_app, name="agencies")
app.add_typer(projections_app, name="projections")
out = Console()
err = Console(stderr=True)
T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[4]


@app.callback()
def _environment(
    env_file: Annotated[
        Path | None, typer.Option(help="KEY=value lines for unset settings")
    ] = None,
) -> None:
    path = env_file or Path("deploy/dev.env")
    if env_file and not path.exists():
        raise typer.BadParameter(f"{path} does not exist", param_hint="--env-file")
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#") and "=" in line:
                key, _, value = line.partition("=")
                os.environ.setdefault(key.strip(), value.strip())


def _settings() -> Settings:
    try:
        return Settings()
    except Exception as exc:  # pydantic's ValidationError names the missing variables
        err.print(f"[red]Pengaturan kurang / settings missing:[/red] {exc}")
        raise typer.Exit(2) from None


def _run(coro: Awaitable[T]) -> T:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def _with_services(work: Callable[[asyncpg.Pool, Any], Awaitable[T]]) -> T:
    settings = _settings()
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=4)
    connection = await aio_pika.connect_robust(settings.amqp_url)
    try:
        return await work(pool, connection)
    finally:
        await connection.close()
        await pool.close()


def _bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )


@app.command()
def serve(host: str = "0.0.0.0", port: int = 8000) -> None:  # noqa: S104 - a service listens on all interfaces
    """Migrate, then serve the console: pages, API, projector, dead-letter drain, queue sampler."""
    configure_logging()
    _settings()
    uvicorn.run(
        "console.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        access_log=False,
    )


@app.command("migrate")
def migrate_command() -> None:
    """Apply the console's database migrations."""
    applied = _run(migrate_url(_settings().database_url, MIGRATIONS))
    out.print("applied: " + (", ".join(applied) or "nothing new"))


@events_app.command("tail")
def tail(
    pattern: Annotated[
        str, typer.Argument(help="pola topik / topic pattern, e.g. vacancies.#")
    ] = "#",
    start: Annotated[
        str, typer.Option("--from", help="first, last, next, an offset, an ISO time or 30m/2h/7D")
    ] = "last",
    follow: Annotated[bool, typer.Option(help="keep waiting for new events")] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="stop after this many events")] = None,
    body: Annotated[bool, typer.Option(help="print each event's JSON body")] = False,
) -> None:
    """Read the event log from first/a time/an offset and print the events that match."""
    try:
        offset = stream.parse_offset(start)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from None
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

    async def read() -> int:
        shown = 0
        connection = await aio_pika.connect_robust(url)
        try:
            async for event in stream.events(
                connection, start=offset, idle=None if follow else 2.0
            ):
                if not matches(pattern, event.routing_key):
                    continue
                s = stream.summary(event)
                out.print(
                    f"[dim]#{s['offset']}[/dim] {s['time'][:19]} [bold cyan]{s['type']}[/bold cyan]"
                    f" {s['subject']} [dim]{s['id']}[/dim]",
                    highlight=False,
                )
                if body:
                    out.print_json(event.body.decode(errors="replace"))
                shown += 1
                if limit and shown >= limit:
                    break
        finally:
            await connection.close()
        return shown

    try:
        shown = _run(read())
    except KeyboardInterrupt:
        return
    err.print(f"{shown} event")


def _dead_letter_table(rows: list[asyncpg.Record]) -> Table:
    table = Table(
        "#", "service", "queue", "event", "reason", "deliveries", "first failure", "status"
    )
    for r in rows:
        table.add_row(
            str(r["dead_letter_id"]),
            r["service"],
            r["queue"],
            r["event_type"] or "",
            f"{r['reason']}: {r['error'] or ''}"[:80],
            str(r["attempts"] or ""),
            r["failed_at"].isoformat(timespec="seconds") if r["failed_at"] else "",
            r["status"],
        )
    return table


@dlq_app.command("list")
def dlq_list(
    service: Annotated[
        str | None, typer.Option(help="registry, vacancies, training, notify, console")
    ] = None,
    status: Annotated[str, typer.Option(help="pending, replayed, discarded or all")] = "pending",
) -> None:
    """Take what waits in the services' DLQs into the console, then list the dead letters."""

    async def work(pool: asyncpg.Pool, connection: Any) -> list[asyncpg.Record]:
        await dlq.drain(pool, connection, services=_settings().services)
        async with pool.acquire() as conn:
            return await dlq.listing(
                conn, service=service, status=None if status == "all" else status
            )

    rows = _run(_with_services(work))
    out.print(_dead_letter_table(rows) if rows else "Tidak ada pesan gagal / no dead letters")


@dlq_app.command("show")
def dlq_show(dead_letter_id: int) -> None:
    """One dead letter with its headers and body."""

    async def work(pool: asyncpg.Pool, connection: Any) -> asyncpg.Record:
        async with pool.acquire() as conn:
            return await dlq.get(conn, dead_letter_id)

    try:
        row = _run(_with_services(work))
    except dlq.NotFound:
        err.print(f"[red]#{dead_letter_id} tidak ada / does not exist[/red]")
        raise typer.Exit(1) from None
    out.print(_dead_letter_table([row]))
    out.print(Syntax(json.dumps(json.loads(row["headers"]), indent=2), "json"))
    out.print(Syntax(row["body"].decode(errors="replace"), "json"))


@dlq_app.command("replay")
def dlq_replay(
    dead_letter_id: Annotated[int | None, typer.Argument()] = None,
    all_: Annotated[bool, typer.Option("--all", help="every pending dead letter")] = False,
    service: Annotated[str | None, typer.Option(help="with --all: only this service")] = None,
) -> None:
    """Send a dead letter (or all) back to the queue it failed in, after a fix."""
    if (dead_letter_id is None) == (not all_):
        raise typer.BadParameter("give an id or --all", param_hint="DEAD_LETTER_ID")

    async def work(pool: asyncpg.Pool, connection: Any) -> tuple[int, list[tuple[int, str]]]:
        if dead_letter_id is not None:
            await dlq.replay(pool, connection, dead_letter_id, actor="cli")
            return 1, []
        with _bar() as bar:
            task = bar.add_task("replay", total=None)
            return await dlq.replay_all(
                pool,
                connection,
                service=service,
                actor="cli",
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )

    try:
        done, failed = _run(_with_services(work))
    except (dlq.NotFound, dlq.ReplayFailed) as exc:
        err.print(f"[red]Gagal / failed:[/red] {exc}")
        raise typer.Exit(1) from None
    out.print(f"{done} dikirim ulang / replayed")
    for failed_id, reason in failed:
        err.print(f"[red]#{failed_id}[/red] {reason}")
    if failed:
        raise typer.Exit(1)


@dlq_app.command("discard")
def dlq_discard(
    dead_letter_id: int, note: Annotated[str, typer.Option(help="why it is dropped")]
) -> None:
    """Drop a dead letter for good, with a note that says why."""
    if len(note.strip()) < 3:
        raise typer.BadParameter("a note of at least 3 characters", param_hint="--note")

    async def work(pool: asyncpg.Pool, connection: Any) -> None:
        async with pool.acquire() as conn:
            await dlq.discard(conn, dead_letter_id, note=note.strip(), actor="cli")

    try:
        _run(_with_services(work))
    except (dlq.NotFound, dlq.ReplayFailed) as exc:
        err.print(f"[red]Gagal / failed:[/red] {exc}")
        raise typer.Exit(1) from None
    out.print(f"#{dead_letter_id} dibuang / discarded")


@agencies_app.command("add")
def agencies_add(
    name: str,
    events: Annotated[str, typer.Option(help="comma-separated public event types")],
    max_length: Annotated[
        int | None, typer.Option(min=1, help="queue cap (oldest dropped first)")
    ] = None,
) -> None:
    """Create the agency's RabbitMQ user and capped queue; prints its credentials once."""
    settings = _settings()

    async def work(pool: asyncpg.Pool, connection: Any) -> agency_admin.Credentials:
        return await agency_admin.add(
            pool,
            connection,
            agency_admin.Rabbitmqctl(),
            name=name,
            event_types=[e.strip() for e in events.split(",") if e.strip()],
            vhost=vhost_of(settings.amqp_url),
            broker_url=settings.agency_amqp_url or settings.amqp_url,
            max_length=max_length or settings.agency_max_length,
        )

    try:
        credentials = _run(_with_services(work))
    except AgencyRefused as exc:
        err.print(f"[red]{exc.field}:[/red] {exc.reason}")
        raise typer.Exit(2) from None
    except agency_admin.AdminFailed as exc:
        err.print(f"[red]Broker:[/red] {exc}")
        raise typer.Exit(1) from None
    out.print(f"[bold]Agensi / agency {credentials.name}[/bold]")
    out.print(f"  user      {credentials.username}")
    out.print(f"  password  [bold]{credentials.password}[/bold]  (sekali ini saja / shown once)")
    out.print(f"  queue     {credentials.queue}")
    out.print(f"  events    {', '.join(credentials.event_types)}")
    out.print(f"  AMQP URL  {credentials.amqp_url}")
    out.print("\nContoh konsumen / example consumer (pip install aio-pika):")
    out.print(Syntax(agency_admin.example_consumer(credentials), "python"))


@agencies_app.command("list")
def agencies_list() -> None:
    """The agencies, their queues and event types."""
    rows = _run(_with_services(lambda pool, _: agency_admin.listing(pool)))
    table = Table("agency", "user", "queue", "events", "cap", "since")
    for r in rows:
        table.add_row(
            r["name"],
            r["username"],
            r["queue"],
            "\n".join(r["event_types"]),
            f"{r['max_length']:,}",
            r["created_at"].isoformat(timespec="minutes"),
        )
    out.print(table if rows else "Belum ada agensi / no agencies")
    out.print("Event publik / public event types: " + ", ".join(available_event_types()))


@agencies_app.command("remove")
def agencies_remove(name: str) -> None:
    """Delete the agency's user (closing its connections), queue and cap policy."""
    settings = _settings()

    async def work(pool: asyncpg.Pool, connection: Any) -> None:
        await agency_admin.remove(
            pool,
            connection,
            agency_admin.Rabbitmqctl(),
            name=name,
            vhost=vhost_of(settings.amqp_url),
        )

    try:
        _run(_with_services(work))
    except AgencyRefused as exc:
        err.print(f"[red]{exc.reason}[/red]")
        raise typer.Exit(2) from None
    out.print(f"Agensi {name} dihapus / removed")


@agencies_app.command("replay")
def agencies_replay(
    name: str,
    start: Annotated[
        str, typer.Option("--from", help="first, an offset, an ISO time or 30m/2h/7D")
    ] = "first",
) -> None:
    """Copy the agency's event types from the event log into its queue (after an outage)."""
    try:
        offset = stream.parse_offset(start)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--from") from None

    async def work(pool: asyncpg.Pool, connection: Any) -> int:
        with _bar() as bar:
            task = bar.add_task(f"replay → {name}", total=None)
            return await agency_admin.replay(
                pool,
                connection,
                name=name,
                start=offset,
                progress=lambda at, end: bar.update(task, completed=at + 1, total=end + 1),
            )

    try:
        sent = _run(_with_services(work))
    except AgencyRefused as exc:
        err.print(f"[red]{exc.reason}[/red]")
        raise typer.Exit(2) from None
    out.print(f"{sent} event dikirim ke / sent to {name}")


def _console_api() -> httpx.Client:
    settings = _settings()
    return httpx.Client(
        base_url=os.environ.get("CONSOLE_URL", settings.public_url),
        timeout=30,
        headers={"Authorization": f"Bearer {settings.operator_token.get_secret_value()}"},
    )


@projections_app.command("status")
def projections_status() -> None:
    """Where the running console's projections stand in the event log."""
    with _console_api() as http:
        out.print_json(data=http.get("/api/projection").raise_for_status().json())


@projections_app.command("rebuild")
def projections_rebuild() -> None:
    """Drop the running console's projections and read the event log again from the first offset."""
    url = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

    async def end() -> int:
        connection = await aio_pika.connect_robust(url)
        try:
            return await stream.end_offset(connection)
        finally:
            await connection.close()

    last = _run(end())
    with _console_api() as http, _bar() as bar:
        http.post("/api/projection/rebuild").raise_for_status()
        task = bar.add_task("rebuild", total=last + 1)
        while True:
            position = http.get("/api/projection").raise_for_status().json()
            done = (position.get("last_offset") or -1) + 1
            bar.update(task, completed=done)
            if done >= last + 1:
                break
            time.sleep(0.5)
    out.print(f"Selesai / done: offset {last}")


def _client_settings() -> ClientSettings:
    try:
        return ClientSettings()
    except Exception as exc:
        err.print(f"[red]Pengaturan kurang / settings missing:[/red] {exc}")
        raise typer.Exit(2) from None


def _service_api(settings: ClientSettings, service: str) -> httpx.Client:
    return httpx.Client(
        base_url=settings.url_of(service),
        timeout=settings.timeout_seconds,
        headers={"Authorization": f"Bearer {settings.operator_token.get_secret_value()}"},
    )


def _refused(service: str, response: httpx.Response) -> str:
    try:
        detail: Any = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    return f"{service}: HTTP {response.status_code} {json.dumps(detail, ensure_ascii=False)[:300]}"


@app.command("export")
def export(
    resident_id: Annotated[str, typer.Argument(help="the resident's id (UUID)")],
    purpose: Annotated[
        str, typer.Option(help="why: the resident's request, its reference (audit log)")
    ],
    out_file: Annotated[Path, typer.Option("--out", help="the JSON file to write")],
) -> None:
    """Everything the services hold about one resident (UU 27/2022 access request), from each
    service's GET /residents/{id}/export, in one JSON file. A service that holds nothing (404)
    is `null`; any other failure writes no file."""
    try:
        resident = str(uuid.UUID(resident_id))
    except ValueError:
        raise typer.BadParameter("bukan UUID / not a UUID", param_hint="RESIDENT_ID") from None
    if len(purpose.strip()) < 3:
        raise typer.BadParameter("at least 3 characters", param_hint="--purpose")
    settings = _client_settings()
    answers: dict[str, Any] = {}
    failures: list[str] = []
    for service in SERVICES:
        try:
            with _service_api(settings, service) as http:
                response = http.get(
                    f"/residents/{resident}/export", params={"purpose": purpose.strip()}
                )
        except httpx.HTTPError as exc:
            failures.append(f"{service}: {settings.url_of(service)} {type(exc).__name__}")
            continue
        if response.status_code == 404:
            answers[service] = None
        elif response.status_code == 200:
            answers[service] = response.json()
        else:
            failures.append(_refused(service, response))
    if failures:
        for failure in failures:
            err.print(f"[red]Gagal / failed:[/red] {failure}", highlight=False)
        err.print("Tidak ada berkas yang ditulis / no file written")
        raise typer.Exit(1)
    document = {
        "resident_id": resident,
        "exported_at": datetime.now(UTC).isoformat(),
        "purpose": purpose.strip(),
        "services": answers,
    }
    out_file.parent.mkdir(parents=True, exist_ok=True)
    # Personal data: readable by the operator's account only.
    descriptor = os.open(out_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, indent=2)
    os.chmod(out_file, 0o600)
    table = Table("layanan / service", "data")
    for service, answer in answers.items():
        if answer is None:
            table.add_row(service, "tidak ada data / nothing held (404)")
        else:
            data = answer.get("data") if isinstance(answer, dict) else None
            parts = ", ".join(sorted(data)) if isinstance(data, dict) else "–"
            table.add_row(service, f"ada data / data held: {parts}")
    out.print(table)
    held = sum(answer is not None for answer in answers.values())
    out.print(
        f"Ekspor warga {resident}: {held} dari {len(answers)} layanan menyimpan data, ditulis ke"
        f" {out_file} / export of resident {resident}: {held} of {len(answers)} services hold"
        f" data, written to {out_file}",
        highlight=False,
    )


KEY_SERVICES = (*SERVICES, "console")
ServiceOption = Annotated[
    str, typer.Option("--service", help="registry, vacancies, training, notify or console")
]


def _key_service(service: str) -> str:
    if service not in KEY_SERVICES:
        raise typer.BadParameter(f"one of {', '.join(KEY_SERVICES)}", param_hint="--service")
    return service


def _call(service: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    settings = _client_settings()
    try:
        with _service_api(settings, service) as http:
            return http.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        err.print(f"[red]Gagal / failed:[/red] {service} {settings.url_of(service)}: {exc}")
        raise typer.Exit(1) from None


@keys_app.command("issue")
def keys_issue(
    service: ServiceOption,
    role: Annotated[str, typer.Option(help="operator, company, institution, village_admin, ...")],
    label: Annotated[str, typer.Option(help="who holds it, e.g. 'HRD PT Maju'")],
    company_id: Annotated[str | None, typer.Option(help="scope of a company key")] = None,
    institution_id: Annotated[str | None, typer.Option(help="scope of an institution key")] = None,
    desa_kode: Annotated[str | None, typer.Option(help="scope of a village admin key")] = None,
    kecamatan_kode: Annotated[
        str | None, typer.Option(help="scope of a district admin key")
    ] = None,
    expires_in_days: Annotated[int, typer.Option(min=1, max=400)] = 90,
) -> None:
    """Issue an API key of a service; the key is printed this once (only its hash is kept)."""
    service = _key_service(service)
    scope = {
        name: value
        for name, value in (
            ("company_id", company_id),
            ("institution_id", institution_id),
            ("desa_kode", desa_kode),
            ("kecamatan_kode", kecamatan_kode),
        )
        if value
    }
    body = {"role": role, "label": label, "scope": scope, "expires_in_days": expires_in_days}
    response = _call(service, "POST", "/api-keys", json=body)
    if response.status_code != 201:
        err.print(f"[red]Ditolak / refused:[/red] {_refused(service, response)}", highlight=False)
        raise typer.Exit(2 if response.status_code == 422 else 1)
    key = response.json()
    out.print(f"[bold]Kunci {service} / {service} key {key['key_id']}[/bold]", highlight=False)
    out.print(f"  role     {key['role']} {json.dumps(key['scope'])}", highlight=False)
    out.print(f"  label    {key['label']}", highlight=False)
    out.print(f"  expires  {key['expires_at']}", highlight=False)
    out.print(f"  key      [bold]{key['key']}[/bold]", highlight=False)
    out.print(
        "Simpan sekarang: kunci ini tidak akan ditampilkan lagi / store it now: it is shown once"
    )


@keys_app.command("list")
def keys_list(
    service: ServiceOption,
    all_: Annotated[bool, typer.Option("--all", help="also expired and revoked keys")] = False,
) -> None:
    """A service's keys (never their secrets)."""
    service = _key_service(service)
    response = _call(service, "GET", "/api-keys", params={"include_ended": str(all_).lower()})
    if response.status_code != 200:
        err.print(f"[red]Ditolak / refused:[/red] {_refused(service, response)}", highlight=False)
        raise typer.Exit(1)
    rows = response.json()
    table = Table("key id", "role", "scope", "label", "expires", "revoked", "last used")
    for r in rows:
        table.add_row(
            r["key_id"],
            r["role"],
            json.dumps(r["scope"]) if r["scope"] else "",
            r["label"],
            r["expires_at"][:16],
            (r["revoked_at"] or "")[:16],
            (r["last_used_at"] or "")[:16],
        )
    out.print(table if rows else f"Belum ada kunci / no keys ({service})")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id (8 hex digits)")],
    service: ServiceOption,
) -> None:
    """End a key of a service at once."""
    service = _key_service(service)
    response = _call(service, "DELETE", f"/api-keys/{key_id}")
    if response.status_code == 404:
        err.print(f"[red]Kunci {key_id} tidak ada / no key {key_id}[/red] ({service})")
        raise typer.Exit(1)
    if response.status_code != 204:
        err.print(f"[red]Ditolak / refused:[/red] {_refused(service, response)}", highlight=False)
        raise typer.Exit(1)
    out.print(f"Kunci {key_id} dicabut / key {key_id} revoked ({service})")


@app.command()
def seed() -> None:
    """The whole demo through the services' HTTP APIs (scripts/demo.py, which calls each
    service's demo in the story's order); the services must be running (`make run` starts them
    and seeds)."""
    path = ROOT / "scripts" / "demo.py"
    if not path.exists():
        err.print(f"[red]{path} tidak ada / not found: run from the repository[/red]")
        raise typer.Exit(2)
    spec = importlib.util.spec_from_file_location("demo", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    spec.loader.exec_module(module)
    with err.status("Mengisi data demo / seeding the demo…"):
        module.seed(dict(os.environ))
    out.print("Data demo siap / demo data ready")


if __name__ == "__main__":
    app()
