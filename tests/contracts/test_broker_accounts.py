"""Each service's own RabbitMQ account (kerjalokal.messaging.accounts), against the real broker:
every refusal is the broker's ACCESS_REFUSED, and what the platform does still works under them.

Each test has its own vhost and its own users (`kl-test-<random>-<service>`), deleted afterwards
even when the test fails. The first tests need no broker: they pin the regexes themselves.
"""

import asyncio
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from uuid import uuid4

import aio_pika
import aiormq
import asyncpg
import pytest
from faststream.rabbit import RabbitBroker, RabbitMessage

from console import dlq, queues
from console import topology as console_topology
from console.domain.agencies import EXCHANGE as AGENCY_EXCHANGE
from console.domain.agencies import access as agency_access
from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from kerjalokal.events import EVENT_TYPES
from kerjalokal.events.registry import (
    ResidentContactChangedV1,
    ResidentIdentityRecordedV1,
    ResidentRegisteredV1,
)
from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.messaging import (
    EVENTS,
    OutboxRelay,
    PermanentError,
    accounts,
    consumer_queue,
    declare_topology,
    make_broker,
    outbox,
)
from kerjalokal.testing.plugin import BrokerAdmin

CONSOLE_MIGRATIONS = Path(__file__).resolve().parents[2] / "services/console/src/console/migrations"
SERVICES = [s for s in accounts.SERVICES if s != "console"]


# --- the definitions themselves (no broker) ------------------------------------------------------


def matches(regex: str, name: str) -> bool:
    """RabbitMQ matches permission regexes unanchored (re:run); ours carry their own anchors."""
    return re.search(regex, name) is not None


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_publishes_only_its_own_routing_keys(service: str) -> None:
    account = accounts.account(service)
    assert account.username == f"kerjalokal-{service}"
    for exchange in ("kerjalokal.events", "kerjalokal.restricted", "kerjalokal.dlx"):
        write = account.topic(exchange).write
        for event_type in EVENT_TYPES:
            assert not matches(write, event_type) or event_type.startswith(f"{service}.")
        assert not matches(write, "#")
    assert matches(account.topic("kerjalokal.dlx").write, f"{service}.resident_hired")
    for other in SERVICES:
        queue = f"{other}.resident_hired"
        allowed = other == service
        assert matches(account.read, queue) == allowed, queue
        assert matches(account.configure, queue) == allowed, queue
        assert matches(account.write, queue) == allowed, queue
    assert not matches(account.write, "amq.default")  # no writing into any queue by name
    assert not matches(account.read, "kerjalokal.events.log")


def test_restricted_types_each_have_exactly_one_reader() -> None:
    restricted = {t for t, e in EVENT_TYPES.items() if e.RESTRICTED}
    assert restricted == {ResidentContactChangedV1.TYPE, ResidentIdentityRecordedV1.TYPE}
    for event_type in restricted:
        readers = [
            s
            for s in accounts.SERVICES
            if matches(accounts.account(s).topic("kerjalokal.restricted").read, event_type)
        ]
        assert (
            readers
            == {
                ResidentContactChangedV1.TYPE: ["notify"],
                ResidentIdentityRecordedV1.TYPE: ["vacancies"],
            }[event_type]
        )
    for service in accounts.SERVICES:
        read = accounts.account(service).topic("kerjalokal.restricted").read
        assert not matches(read, "#")
        assert not matches(read, "registry.*")
    only_registry_writes = [
        s for s in accounts.SERVICES if matches(accounts.account(s).write, "kerjalokal.restricted")
    ]
    assert only_registry_writes == ["registry"]


def test_the_console_publishes_nothing_but_replays() -> None:
    console = accounts.account("console")
    assert matches(console.write, "amq.default")
    assert not matches(console.write, "kerjalokal.events")
    assert not matches(console.write, "kerjalokal.restricted")
    assert not matches(console.write, "kerjalokal.dlx")
    assert all(t.write == "^$" for t in console.topics)
    assert matches(console.read, "kerjalokal.events.log")
    for service in SERVICES:
        assert matches(console.read, f"{service}.dlq")
        assert not matches(console.read, f"{service}.resident_hired")


def test_definitions_hold_password_hashes_only() -> None:
    passwords = accounts.generated_passwords(accounts.SERVICES)
    document = accounts.definitions(accounts.accounts(), vhost="/", passwords=passwords)
    text = json.dumps(document)
    assert not any(password in text for password in passwords.values())
    assert len(document["topic_permissions"]) == 3 * len(accounts.SERVICES)  # type: ignore[arg-type]


def test_service_url_keeps_host_port_and_vhost() -> None:
    account = accounts.account("registry")
    url = accounts.service_url("amqp://guest:guest@rabbit:5673/kl%2Fx?heartbeat=5", account, "p/w")
    assert url == "amqp://kerjalokal-registry:p%2Fw@rabbit:5673/kl%2Fx?heartbeat=5"
    assert accounts.vhost_of(url) == "kl/x"


def test_missing_passwords_are_named() -> None:
    with pytest.raises(SystemExit, match="NOTIFY_AMQP_PASSWORD"):
        accounts.passwords_from({"REGISTRY_AMQP_PASSWORD": "x"}, ["registry", "notify"])


# --- against the broker --------------------------------------------------------------------------


@dataclass
class Platform:
    admin_url: str  # guest on the test's vhost
    vhost: str
    users: dict[str, str]  # service -> AMQP URL as its own user
    admin: BrokerAdmin

    def url(self, service: str) -> str:
        return self.users[service]


def _delete_users(admin: BrokerAdmin, names: list[str]) -> None:
    if admin._container is None:  # one Erlang VM for all of them
        users = ", ".join(f'<<"{name}">>' for name in names)
        admin(
            "eval",
            f'[rabbit_auth_backend_internal:delete_user(U, <<"kl-test">>) || U <- [{users}]].',
        )
        return
    for name in names:
        admin("delete_user", name)


def _apply(admin: BrokerAdmin, selected: list[accounts.Account], vhost: str, pw: dict) -> None:
    if admin._container is None:
        accounts.apply_with_rabbitmqctl(selected, vhost=vhost, passwords=pw, run=admin)
        return
    for account in selected:  # inside the test container: one command at a time
        for command in accounts.commands(account, vhost=vhost):
            admin(*command, *([pw[account.service]] if command[0] == "add_user" else []))


@pytest.fixture
async def platform(vhost_url: str, broker_admin: BrokerAdmin) -> AsyncIterator[Platform]:
    prefix = f"kl-test-{secrets.token_hex(4)}"
    selected = accounts.accounts(prefix=prefix)
    passwords = accounts.generated_passwords(accounts.SERVICES)
    vhost = accounts.vhost_of(vhost_url)
    try:
        await asyncio.to_thread(_apply, broker_admin, selected, vhost, passwords)
        yield Platform(
            admin_url=vhost_url,
            vhost=vhost,
            users={
                a.service: accounts.service_url(vhost_url, a, passwords[a.service])
                for a in selected
            },
            admin=broker_admin,
        )
    finally:
        await asyncio.to_thread(_delete_users, broker_admin, [a.username for a in selected])


async def _topology(url: str, service: str) -> None:
    broker = make_broker(url, service=service)
    await broker.connect()
    try:
        await declare_topology(broker, service=service)
    finally:
        await broker.stop()


async def refused(action: Callable[[], Awaitable[object]]) -> str:
    with pytest.raises(aiormq.exceptions.ChannelAccessRefused) as caught:
        await action()
    return str(caught.value)


async def get(channel: aio_pika.abc.AbstractChannel, queue: str) -> object:
    return await (await channel.get_queue(queue, ensure=False)).get(fail=False)


def registered() -> ResidentRegisteredV1:
    event = ResidentRegisteredV1.example()
    assert isinstance(event, ResidentRegisteredV1)
    return event


def hired() -> ResidentHiredV1:
    return ResidentHiredV1(
        hire_id=uuid4(),
        resident_id=uuid4(),
        company_id=uuid4(),
        start_date=date(2026, 12, 1),
        contract_type="pkwt",
        source="application",
        is_local=True,
        hired_at=datetime.now(UTC),
    )


@pytest.mark.integration
async def test_registry_publishes_its_own_events_and_is_refused_anothers(
    platform: Platform,
) -> None:
    await _topology(platform.url("registry"), "registry")
    admin = await aio_pika.connect(platform.admin_url)
    async with admin:
        channel = await admin.channel()
        tap = await channel.declare_queue("tap", exclusive=True)
        await tap.bind("kerjalokal.events", routing_key="#")
        await tap.bind("kerjalokal.restricted", routing_key="#")
        connection = await aio_pika.connect(platform.url("registry"))
        async with connection:
            channel = await connection.channel(publisher_confirms=True)
            events = await channel.get_exchange("kerjalokal.events", ensure=False)
            confirm = await events.publish(
                aio_pika.Message(registered().model_dump_json().encode()),
                routing_key=ResidentRegisteredV1.TYPE,
            )
            assert confirm.__class__.__name__ == "Ack"
            restricted = await channel.get_exchange("kerjalokal.restricted", ensure=False)
            await restricted.publish(
                aio_pika.Message(b"{}"), routing_key=ResidentContactChangedV1.TYPE
            )
            reason = await refused(
                lambda: events.publish(aio_pika.Message(b"{}"), routing_key=ResidentHiredV1.TYPE)
            )
            assert "ACCESS_REFUSED" in reason
            assert ResidentHiredV1.TYPE in reason
            assert channel.is_closed
            # its own dead letters only, never into another service's dead-letter queue
            channel = await connection.channel(publisher_confirms=True)
            dlx = await channel.get_exchange("kerjalokal.dlx", ensure=False)
            await dlx.publish(aio_pika.Message(b"{}"), routing_key="registry.resident_hired")
            await refused(lambda: dlx.publish(aio_pika.Message(b"{}"), routing_key="vacancies.x"))
        await asyncio.sleep(0.2)
        received: list[str] = []
        while message := await tap.get(no_ack=True, fail=False):
            received.append(message.routing_key or "")
        assert sorted(received) == [ResidentContactChangedV1.TYPE, ResidentRegisteredV1.TYPE]


@pytest.mark.integration
async def test_only_the_restricted_events_own_reader_may_bind_it(platform: Platform) -> None:
    await _topology(platform.admin_url, "kerjalokal")
    attempts = [  # service, routing key to bind on kerjalokal.restricted, allowed
        ("notify", ResidentContactChangedV1.TYPE, True),
        ("notify", ResidentIdentityRecordedV1.TYPE, False),
        ("notify", "#", False),
        ("notify", "registry.*", False),
        ("vacancies", ResidentIdentityRecordedV1.TYPE, True),
        ("vacancies", ResidentContactChangedV1.TYPE, False),
        ("training", ResidentContactChangedV1.TYPE, False),
        ("registry", ResidentContactChangedV1.TYPE, False),
        ("console", ResidentContactChangedV1.TYPE, False),
    ]
    outcomes = []
    for service, key, _ in attempts:
        connection = await aio_pika.connect(platform.url(service))
        async with connection:
            channel = await connection.channel()
            queue_name = f"{service}.probe" if service != "console" else "registry.dlq"
            queue = await channel.declare_queue(
                queue_name, durable=True, arguments={"x-queue-type": "quorum"}
            )
            try:
                await queue.bind("kerjalokal.restricted", routing_key=key)
                outcomes.append((service, key, True))
            except aiormq.exceptions.ChannelAccessRefused:
                outcomes.append((service, key, False))
    assert outcomes == attempts
    # and no service consumes another's queue (vacancies' identity queue holds NIK lookups)
    connection = await aio_pika.connect(platform.url("notify"))
    async with connection:
        channel = await connection.channel()
        reason = await refused(lambda: get(channel, "vacancies.probe"))
        assert "vacancies.probe" in reason


@pytest.mark.integration
async def test_an_agency_cannot_read_the_restricted_exchange(platform: Platform) -> None:
    await _topology(platform.admin_url, "kerjalokal")
    agency = agency_access(f"t{secrets.token_hex(5)}", ["vacancies.vacancy_published.v1"])
    password = secrets.token_urlsafe(16)
    configure, write, read = agency.vhost_permissions()
    topic_write, topic_read = agency.topic_permissions()
    definitions = {
        "users": [
            {
                "name": agency.username,
                "password_hash": accounts.password_hash(password),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": [],
            }
        ],
        "permissions": [
            {
                "user": agency.username,
                "vhost": platform.vhost,
                "configure": configure,
                "write": write,
                "read": read,
            }
        ],
        "topic_permissions": [
            {
                "user": agency.username,
                "vhost": platform.vhost,
                "exchange": AGENCY_EXCHANGE,
                "write": topic_write,
                "read": topic_read,
            }
        ],
    }
    try:
        with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
            json.dump(definitions, file)
            file.flush()
            os.chmod(file.name, 0o644)
            await asyncio.to_thread(platform.admin, "import_definitions", file.name)
        url = accounts.service_url(
            platform.admin_url,
            accounts.Account("agency", agency.username, "", "", "", ()),
            password,
        )
        connection = await aio_pika.connect(url)
        async with connection:
            channel = await connection.channel()
            queue = await channel.declare_queue(
                agency.queue, durable=True, arguments={"x-queue-type": "quorum"}
            )
            await queue.bind(AGENCY_EXCHANGE, routing_key="vacancies.vacancy_published.v1")
            for key in (ResidentContactChangedV1.TYPE, ResidentIdentityRecordedV1.TYPE, "#"):
                channel = await connection.channel()
                queue = await channel.get_queue(agency.queue, ensure=False)
                reason = await refused(partial(queue.bind, RESTRICTED, routing_key=key))
                assert "kerjalokal.restricted" in reason
            for name in ("kerjalokal.unrouted", "kerjalokal.events.log"):
                channel = await connection.channel()
                await refused(partial(get, channel, name))
    finally:
        await asyncio.to_thread(_delete_users, platform.admin, [agency.username])


RESTRICTED = "kerjalokal.restricted"


@pytest.mark.integration
async def test_dead_letters_under_the_accounts_and_the_console_replays_them(
    platform: Platform, fresh_database: Callable[[], Awaitable[str]]
) -> None:
    """Vacancies publishes a hire, registry's handler fails for good and the chassis dead-letters
    it (as registry's user); the console, as its own user, drains, samples and replays it the
    way it does in production, and registry then handles it."""
    database_url = await fresh_database()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, chassis_migrations() + service_migrations(CONSOLE_MIGRATIONS))
    console = await aio_pika.connect_robust(platform.url("console"))
    await console_topology.declare(console)  # the console starts first, as in production

    seen: list[str] = []
    registry = make_broker(platform.url("registry"), service="registry", retry_backoff=0.01)

    @registry.subscriber(consumer_queue("registry", "resident_hired", ResidentHiredV1), EVENTS)
    async def on_hired(event: ResidentHiredV1, msg: RabbitMessage) -> None:
        seen.append(msg.headers.get("x-kerjalokal-replay-of", "first"))
        if len(seen) == 1:
            raise PermanentError("not yet")

    vacancies = make_broker(platform.url("vacancies"), service="vacancies")
    try:
        await registry.connect()
        await declare_topology(registry, service="registry")
        await registry.start()
        await vacancies.connect()
        await declare_topology(vacancies, service="vacancies")
        await vacancies.publish(
            hired().model_dump(mode="json"),
            exchange=EVENTS,
            routing_key=ResidentHiredV1.TYPE,
            message_id=str(uuid4()),
        )
        taken = 0
        for _ in range(100):
            taken += await dlq.drain(pool, console, services=tuple(SERVICES))
            if taken:
                break
            await asyncio.sleep(0.1)
        assert taken == 1
        assert seen == ["first"]
        async with pool.acquire() as conn:
            (row,) = await dlq.listing(conn)
        assert (row["service"], row["queue"]) == ("registry", "registry.resident_hired")
        assert await queues.sample(pool, console, ["registry.resident_hired", "registry.dlq"]) == 2

        await dlq.replay(pool, console, row["dead_letter_id"], actor="test")
        for _ in range(100):
            if len(seen) == 2:
                break
            await asyncio.sleep(0.1)
        assert seen == ["first", row["dead_letter_id"]]

        channel = await console.channel()  # and the console publishes no events of its own
        events = await channel.get_exchange("kerjalokal.events", ensure=False)
        await refused(
            lambda: events.publish(aio_pika.Message(b"{}"), routing_key=ResidentHiredV1.TYPE)
        )
    finally:
        await vacancies.stop()
        await registry.stop()
        await console.close()
        await pool.close()


@pytest.mark.integration
async def test_the_relay_survives_a_refused_publish_and_logs_no_payload(
    platform: Platform,
    fresh_database: Callable[[], Awaitable[str]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An event of another service in registry's outbox (a bug) is refused by the broker: the
    relay logs the routing key and the broker's reason, not the payload, keeps the row for an
    operator, and publishes again on a new channel once the row is gone."""
    database_url = await fresh_database()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=4)
    async with pool.acquire() as conn:
        await migrate(conn, chassis_migrations())
    await _topology(platform.admin_url, "kerjalokal")
    admin = await aio_pika.connect(platform.admin_url)
    broker: RabbitBroker = make_broker(platform.url("registry"), service="registry")
    try:
        channel = await admin.channel()
        tap = await channel.declare_queue("tap", exclusive=True)
        await tap.bind("kerjalokal.events", routing_key="#")
        await broker.connect()
        foreign = hired()
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, foreign)
            await outbox.add(conn, registered())
        relay = OutboxRelay(pool, broker, service="registry", poll_interval=0.05)
        with caplog.at_level(logging.WARNING, logger="kerjalokal.outbox"):
            async with pool.acquire() as conn:
                await relay.relay_once(conn)
        assert relay.published == 0
        (record,) = [r for r in caplog.records if r.name == "kerjalokal.outbox"]
        assert ResidentHiredV1.TYPE in record.getMessage()
        assert "ACCESS_REFUSED" in record.getMessage()
        assert str(foreign.hire_id) not in record.getMessage()
        assert str(foreign.resident_id) not in record.getMessage()
        row = await pool.fetchrow("SELECT attempts, last_error FROM outbox ORDER BY seq LIMIT 1")
        assert row["attempts"] == 1
        assert "ACCESS_REFUSED" in row["last_error"]

        await pool.execute("DELETE FROM outbox WHERE event_type = $1", ResidentHiredV1.TYPE)
        async with pool.acquire() as conn:
            await relay.relay_once(conn)
        assert relay.published == 1
        message = None
        for _ in range(50):
            if message := await tap.get(no_ack=True, fail=False):
                break
            await asyncio.sleep(0.1)
        assert message is not None
        assert message.routing_key == ResidentRegisteredV1.TYPE
    finally:
        await broker.stop()
        await admin.close()
        await pool.close()


def test_the_management_api_path_puts_users_and_permissions() -> None:
    """docker compose's broker-accounts step: the management plugin is not enabled on these
    machines, so a local HTTP server stands in for it and records what would be sent."""
    received: list[tuple[str, str, dict, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else {}
            received.append((self.command, self.path, body, self.headers["Authorization"]))
            self.send_response(204 if self.command == "PUT" else 200)
            self.end_headers()

        do_GET = do_PUT = _answer

        def log_message(self, *_: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {
        "RABBITMQ_USER": "admin",
        "RABBITMQ_PASSWORD": "s3cret",
        **{accounts.password_variable(s): f"pw-{s}" for s in accounts.SERVICES},
    }
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            url = f"http://127.0.0.1:{server.server_port}"
            assert accounts.main(["apply", "--vhost", "/", "--management-url", url]) == 0
    finally:
        server.shutdown()
    assert received[0][:2] == ("GET", "/api/whoami")
    assert {auth for *_, auth in received} == {"Basic YWRtaW46czNjcmV0"}  # admin:s3cret
    puts = [(path, body) for method, path, body, _ in received if method == "PUT"]
    assert ("/api/users/kerjalokal-notify", {"password": "pw-notify", "tags": ""}) in puts
    notify = accounts.account("notify")
    assert (
        "/api/permissions/%2F/kerjalokal-notify",
        {"configure": notify.configure, "write": notify.write, "read": notify.read},
    ) in puts
    assert (
        "/api/topic-permissions/%2F/kerjalokal-notify",
        {
            "exchange": "kerjalokal.restricted",
            "write": "^$",
            "read": r"^(registry\.resident_contact_changed\.v1)$",
        },
    ) in puts
    assert len(puts) == len(accounts.SERVICES) * 5
