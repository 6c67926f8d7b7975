"""`kerjalokal` as operators run it: a real process against the real database and broker."""

import asyncio
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import aio_pika
import pytest

from kerjalokal.events import vacancies as vac

from ..conftest import Publisher, example

pytestmark = pytest.mark.integration


@pytest.fixture
async def kerjalokal(fresh_database, vhost_url, tmp_path: Path):
    env = os.environ | {
        "CONSOLE_DATABASE_URL": await fresh_database(),
        "AMQP_URL": vhost_url,
        "OPERATOR_TOKEN": "cli-operator",
        "COLUMNS": "200",
    }

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "console.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert (await run("migrate")).returncode == 0
    return run


async def test_agencies_add_list_and_remove(kerjalokal, vhost_url) -> None:
    name = f"cli{uuid.uuid4().hex[:8]}"
    added = await kerjalokal("agencies", "add", name, "--events", vac.VacancyPublishedV1.TYPE)
    assert added.returncode == 0, added.stderr
    password = re.search(r"password\s+(\S+)", added.stdout).group(1)
    assert f"agency.{name}.events" in added.stdout
    assert "aio_pika.connect_robust" in added.stdout
    try:
        listed = await kerjalokal("agencies", "list")
        assert name in listed.stdout
        assert vac.VacancyPublishedV1.TYPE in listed.stdout
        async with Publisher(vhost_url) as publisher:
            sent = await publisher.event(example(vac.VacancyPublishedV1))
        url = vhost_url.replace("guest:guest", f"agency-{name}:{password}")
        connection = await aio_pika.connect(url)
        async with connection:
            queue = await (await connection.channel()).get_queue(
                f"agency.{name}.events", ensure=False
            )
            message = await queue.get(no_ack=True, timeout=5)
            assert message.message_id == sent
        refused = await kerjalokal(
            "agencies", "add", "x" + name, "--events", "registry.resident_registered.v1"
        )
        assert refused.returncode == 2
        assert "events" in refused.stderr
    finally:
        removed = await kerjalokal("agencies", "remove", name)
    assert removed.returncode == 0, removed.stderr
    assert name not in (await kerjalokal("agencies", "list")).stdout


async def test_dlq_commands_list_show_and_discard(kerjalokal, vhost_url) -> None:
    connection = await aio_pika.connect(vhost_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        dlx = await channel.declare_exchange("kerjalokal.dlx", type="topic", durable=True)
        dlq = await channel.declare_queue(
            "vacancies.dlq", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await dlq.bind(dlx, routing_key="vacancies.#")
        await dlx.publish(
            aio_pika.Message(
                b'{"broken": true}',
                message_id="m-1",
                headers={
                    "x-kerjalokal-reason": "unreadable",
                    "x-kerjalokal-error": "vacancy_id: Field required",
                    "x-kerjalokal-queue": "vacancies.resident_verified",
                    "x-kerjalokal-attempts": 1,
                },
            ),
            routing_key="vacancies.resident_verified",
        )
    listed = await kerjalokal("dlq", "list")
    assert listed.returncode == 0, listed.stderr
    assert "vacancies.resident_verified" in listed.stdout
    assert "unreadable" in listed.stdout
    shown = await kerjalokal("dlq", "show", "1")
    assert '"broken": true' in shown.stdout
    no_note = await kerjalokal("dlq", "discard", "1", "--note", "")
    assert no_note.returncode == 2
    assert (await kerjalokal("dlq", "discard", "1", "--note", "uji / test")).returncode == 0
    assert "Tidak ada pesan gagal" in (await kerjalokal("dlq", "list")).stdout
    missing = await kerjalokal("dlq", "replay", "99")
    assert missing.returncode == 1
