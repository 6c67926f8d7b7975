"""The system under test: registry, vacancies, training, notify and the console as real
processes (`python -m <svc>.cli serve`), each on its own database of the private PostgreSQL and
reaching the private RabbitMQ through a proxy of its own (so a network fault hits one service),
notify sending through a fake WhatsApp gateway, a witness queue bound `#` on `kerjalokal.events`,
and a reader of the event log stream that knows its newest offset (how far the console must get).
"""

import asyncio
import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aio_pika
import asyncpg
import httpx

from kerjalokal.messaging import accounts
from kerjalokal.messaging.topology import EVENT_LOG
from kerjalokal.testing.proxy import TcpProxy, free_port
from notify.testing import FakeGateway, WebhookReceiver

from .servers import PrivateServers

SERVICES = ("registry", "vacancies", "training", "notify")  # the producers and consumers
CONSOLE = "console"  # reads the event log stream, drains the DLQs; publishes nothing
OPERATOR_TOKEN = "faults-operator"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
WITNESS = "faults.witness"
CAMPAIGN = "faults"
JAKARTA = ZoneInfo("Asia/Jakarta")  # the tracker counts a hire on its day in Jakarta


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@dataclass
class ServiceProcess:
    name: str
    env: dict[str, str]
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    extra: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> str:
        return self.env[f"{self.name.upper()}_DATABASE_URL"]

    def spawn(self, extra: dict[str, str] | None = None) -> None:
        self.extra = extra or {}
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", f"{self.name}.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port)],
                env=os.environ | self.env | self.extra, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, cwd=self.cwd,
            )  # fmt: skip

    async def start(self, extra: dict[str, str] | None = None, timeout: float = 120.0) -> None:
        self.spawn(extra)
        await self.ready(timeout)

    async def ready(self, timeout: float = 120.0) -> None:
        assert self.process is not None
        async with httpx.AsyncClient(base_url=self.url) as http:
            deadline = time.monotonic() + timeout
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited:\n{self.tail()}")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get("/ready", timeout=5)).status_code == 200:
                        return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready:\n{self.tail()}")
                await asyncio.sleep(0.3)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)

    def tail(self, n: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-n:]


@dataclass
class Witnessed:
    event_id: str
    routing_key: str
    headers: dict[str, Any]
    body: bytes
    redelivered: bool


class Witness:
    """A durable quorum queue bound `#` on `kerjalokal.events`: every message that crossed it, in
    arrival order, for the privacy scan and the order check; it survives broker restarts."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.messages: list[Witnessed] = []
        self._connection: Any = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url, reconnect_interval=1)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=500)
        queue = await channel.declare_queue(
            WITNESS, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind("kerjalokal.events", routing_key="#")
        await queue.consume(self._keep)

    async def _keep(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        self.messages.append(
            Witnessed(
                event_id=message.message_id or "",
                routing_key=message.routing_key or "",
                headers=dict(message.headers or {}),
                body=message.body,
                redelivered=bool(message.redelivered),
            )
        )
        with contextlib.suppress(Exception):
            await message.ack()

    async def stop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()


class StreamTail:
    """Reads the event log stream `kerjalokal.events.log` from `first` and keeps the newest offset
    it saw: the console has caught up when its stored position reached it. After a reconnect the
    consumer starts again at `first` (aio-pika restores it with its arguments): only the maximum
    is kept, so reading twice does no harm."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.newest = -1
        self._connection: Any = None

    async def start(self) -> None:
        self._connection = await aio_pika.connect_robust(self._url, reconnect_interval=1)
        channel = await self._connection.channel()
        await channel.set_qos(prefetch_count=1000)  # a stream consumer needs a prefetch
        queue = await channel.get_queue(EVENT_LOG.name, ensure=False)
        await queue.consume(self._keep, arguments={"x-stream-offset": "first"})

    async def _keep(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        offset = (message.headers or {}).get("x-stream-offset")
        if isinstance(offset, int):
            self.newest = max(self.newest, offset)
        with contextlib.suppress(Exception):
            await message.ack()  # credit, not deletion

    async def stop(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()


class Platform:
    def __init__(self, servers: PrivateServers, logs: Path) -> None:
        self.servers = servers
        self.logs = logs
        self.gateway = FakeGateway()
        self.receiver = WebhookReceiver()  # an agency's system subscribed to vacancy_published
        self.proxies: dict[str, TcpProxy] = {}
        self.services: dict[str, ServiceProcess] = {}
        self.witness = Witness(servers.rabbit.url)
        self.stream = StreamTail(servers.rabbit.url)
        self.bindings: dict[str, list[str]] = {}  # event type -> consumer queues bound to it

    def amqp_url_for(self, name: str) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.proxies[name].port}/?heartbeat=5"

    @property
    def console(self) -> ServiceProcess:
        return self.services[CONSOLE]

    async def start(self) -> None:
        await self.gateway.start()
        await self.receiver.start()
        admin = await asyncpg.connect(self.servers.postgres.url)
        try:
            for name in SERVICES:
                await admin.execute(f'CREATE DATABASE "{name}"')
            await admin.execute(f'CREATE DATABASE "{CONSOLE}"')
        finally:
            await admin.close()
        nik_lookup = _key()
        for name in SERVICES:
            proxy = TcpProxy("127.0.0.1", self.servers.rabbit.port, port=free_port())
            await proxy.start()
            self.proxies[name] = proxy
            env = {
                f"{name.upper()}_DATABASE_URL": self.servers.postgres.database_url(name),
                "AMQP_URL": self.amqp_url_for(name),
                "OPERATOR_TOKEN": OPERATOR_TOKEN,
                "NIK_LOOKUP_KEY": nik_lookup,
                "LOG_LEVEL": "INFO",
            }
            if name == "registry":
                env |= {"REGISTRY_NIK_HMAC_KEY": _key(), "REGISTRY_DATA_KEY": _key()}
            if name == "vacancies":
                env |= {"VACANCIES_INDEX_REFRESH": "1"}
            if name == "notify":
                env |= {
                    "NOTIFY_OPT_OUT_KEY": _key(),
                    "NOTIFY_DATA_KEY": _key(),
                    "NOTIFY_PUBLIC_URL": "https://lowongan.test",
                    "WHATSAPP_GATEWAY_URL": f"{self.gateway.url}/whatsapp",
                    "NOTIFY_QUIET_HOURS": "",
                    "NOTIFY_DAILY_CAP": "1000",
                    "NOTIFY_SEND_LEASE": "5",
                    "NOTIFY_RETRY_BASE": "1",
                    "NOTIFY_RETRY_CAP": "5",
                    "NOTIFY_POLL_INTERVAL": "0.5",
                    "NOTIFY_WEBHOOK_ALLOW_PRIVATE": "true",  # the agency's receiver is local
                }
            self.services[name] = ServiceProcess(name, env, self.logs / f"{name}.log")
        # one at a time: each declares the shared topology, and the machine has two cores
        for service in self.services.values():
            await service.start()
        await self._start_console()
        await self.witness.start()
        await self.stream.start()
        self.bindings = await asyncio.to_thread(self._read_bindings)
        await self._subscribe_agency()

    async def _start_console(self) -> None:
        """The console under its own broker account (`kerjalokal-console`, the permissions of
        kerjalokal.messaging.accounts, made on the private node), so a permission it lacks fails
        here as it would in production; the other services connect as guest. It starts in its
        log dir, so the CLI finds no deploy/dev.env to fill settings from (the machine's broker
        and database), and without rabbitmqctl (which would list the machine's node's queues).
        A campaign started a week ago gives the tracker's figures the oracle compares."""
        password = _key()

        def ctl(*args: str) -> None:  # the private node, never the machine's
            self.servers.rabbit.ctl(*args)

        await asyncio.to_thread(
            accounts.apply_with_rabbitmqctl, [accounts.account(CONSOLE)], vhost="/",
            passwords={CONSOLE: password}, run=ctl,
        )  # fmt: skip
        proxy = TcpProxy("127.0.0.1", self.servers.rabbit.port, port=free_port())
        await proxy.start()
        self.proxies[CONSOLE] = proxy
        url = accounts.service_url(  # the password quoted into the URL
            f"amqp://guest:guest@127.0.0.1:{proxy.port}/?heartbeat=5",
            accounts.account(CONSOLE),
            password,
        )
        console = ServiceProcess(
            CONSOLE,
            {
                "CONSOLE_DATABASE_URL": self.servers.postgres.database_url(CONSOLE),
                "AMQP_URL": url,
                "OPERATOR_TOKEN": OPERATOR_TOKEN,
                "CONSOLE_USE_RABBITMQCTL": "false",
                "CONSOLE_DRAIN_INTERVAL": "2",
                "LOG_LEVEL": "INFO",
            },
            self.logs / f"{CONSOLE}.log",
            cwd=self.logs,
        )
        self.services[CONSOLE] = console
        await console.start()
        today = datetime.now(JAKARTA).date()
        async with httpx.AsyncClient(base_url=console.url, headers=OPERATOR, timeout=30) as http:
            answer = await http.put(f"/api/campaigns/{CAMPAIGN}", json={
                "name": "Kampanye uji (fault suite)", "target": 3000,
                "starts_on": (today - timedelta(days=7)).isoformat(), "working_days": 250,
            })  # fmt: skip
            answer.raise_for_status()

    async def _subscribe_agency(self) -> None:
        """An agency's webhook channel on notify for every published vacancy."""
        async with httpx.AsyncClient(
            base_url=self.services["notify"].url,
            headers={"Authorization": f"Bearer {OPERATOR_TOKEN}"},
            timeout=30,
        ) as http:
            answer = await http.post("/channels", json={
                "name": "Agensi uji (fault suite)", "url": f"{self.receiver.url}/hook",
                "events": ["vacancy_published"],
            })  # fmt: skip
            answer.raise_for_status()
            self.receiver.secret = answer.json()["secret"]

    def _read_bindings(self) -> dict[str, list[str]]:
        out = self.servers.rabbit.ctl(
            "list_bindings", "source_name", "destination_name", "destination_kind",
            "routing_key", "--formatter", "json",
        )  # fmt: skip
        bindings: dict[str, list[str]] = {}
        for row in json.loads(out):
            queue = row["destination_name"]
            if row["destination_kind"] != "queue" or row["source_name"] not in (
                "kerjalokal.events",
                "kerjalokal.restricted",
            ):
                continue
            if queue.split(".")[0] not in SERVICES:
                continue
            bindings.setdefault(row["routing_key"], []).append(queue)
        return bindings

    @property
    def consumer_queues(self) -> list[str]:
        return sorted({q for queues in self.bindings.values() for q in queues})

    async def stop(self) -> None:
        """Stop everything, each step whatever happened to the ones before."""
        try:
            await self.witness.stop()
            await self.stream.stop()
        finally:
            for service in self.services.values():
                try:  # in a thread: the proxies run on this loop, and a stopping service
                    await asyncio.to_thread(service.stop)  # still talks to the broker
                except BaseException:
                    service.kill()
            for proxy in self.proxies.values():
                with contextlib.suppress(Exception):
                    await proxy.cut()
            with contextlib.suppress(Exception, KeyboardInterrupt):
                await self.gateway.stop()
            with contextlib.suppress(Exception, KeyboardInterrupt):
                await self.receiver.stop()

    def service_logs(self) -> str:
        return "\n".join(s.log.read_text(errors="replace") for s in self.services.values())
