"""Residents' personal data in notify: sealed at rest (also the rows kept in clear before),
read in clear only by an operator's audited export, never written to the logs."""

import json
import logging
from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import httpx
import pytest
from cryptography.exceptions import InvalidTag
from fastapi import FastAPI

from kerjalokal.db.migrate import chassis_migrations, migrate, service_migrations
from notify.config import Settings
from notify.crypto import ContactCipher
from notify.database import MIGRATIONS, migrate_database
from notify.testing import FakeGateway, Mailbox

from ..conftest import DATA_KEY, OPERATOR, contact, publish, until
from ..factories import matched, published

pytestmark = pytest.mark.integration

PHONE, EMAIL, NAME = "+6281299887766", "sri.wahyuni@example.org", "Sri Wahyuni Lestari"


async def test_contacts_are_sealed_at_rest(
    app: FastAPI, settings: Settings, gateway: FakeGateway
) -> None:
    resident = uuid4()
    await publish(settings.amqp_url, contact(resident, phone=PHONE, email=EMAIL, name=NAME))
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM contact"))
    row = await app.state.pool.fetchrow("SELECT * FROM contact WHERE resident_id = $1", resident)
    assert not {"phone", "email", "first_name"} & set(row.keys())  # no column in clear
    raw = b"".join(bytes(row[f"{f}_sealed"]) for f in ("first_name", "phone", "email"))
    for clear in (PHONE, PHONE.removeprefix("+"), EMAIL, "Sri"):
        assert clear.encode() not in raw
    dump = await app.state.pool.fetchval("SELECT string_agg(c::text, '') FROM contact c")
    for clear in (PHONE, EMAIL, "Sri"):
        assert clear not in dump
    opened = ContactCipher(DATA_KEY).open_contact(row, resident_id=resident)
    assert opened == {"first_name": "Sri", "phone": PHONE, "email": EMAIL}
    with pytest.raises(InvalidTag):  # a sealed value cannot be moved to another row
        ContactCipher(DATA_KEY).open_contact(row, resident_id=uuid4())


async def test_the_migration_seals_contacts_kept_in_clear(fresh_database) -> None:
    conn = await asyncpg.connect(await fresh_database())
    try:
        first = [m for m in service_migrations(MIGRATIONS) if m.name.startswith("0001")]
        await migrate(conn, chassis_migrations() + first)  # a database from before the change
        resident, now = uuid4(), datetime.now(UTC)
        await conn.execute(
            "INSERT INTO contact (resident_id, version, first_name, phone, email, channels,"
            " consent, changed_at, updated_at) VALUES ($1, 3, 'Sri', $2, $3, '{whatsapp}', true,"
            " $4, $4)",
            resident, PHONE, EMAIL, now,
        )  # fmt: skip
        await conn.execute(
            "INSERT INTO contact (resident_id, version, channels, consent, changed_at, updated_at)"
            " VALUES ($1, 1, '{}', false, $2, $2)",
            uuid4(), now,
        )  # fmt: skip
        cipher = ContactCipher(DATA_KEY)
        applied = await migrate_database(conn, cipher)
        assert [name for name in applied if not name.startswith("chassis/")] == [
            m.name for m in service_migrations(MIGRATIONS) if not m.name.startswith("0001")
        ]
        row = await conn.fetchrow("SELECT * FROM contact WHERE resident_id = $1", resident)
        assert "phone" not in dict(row)
        assert cipher.open_contact(row, resident_id=resident) == {
            "first_name": "Sri", "phone": PHONE, "email": EMAIL,
        }  # fmt: skip
        assert (row["version"], row["consent"], list(row["channels"])) == (3, True, ["whatsapp"])
        assert await migrate_database(conn, cipher) == []  # again: nothing to do
    finally:
        await conn.close()


async def test_an_operator_exports_a_residents_data_and_the_read_is_audited(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings, gateway: FakeGateway
) -> None:
    resident, vacancy = uuid4(), published()
    await publish(settings.amqp_url, contact(resident, phone=PHONE, name=NAME), vacancy)
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM contact"))
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM vacancy"))
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [resident]))
    await until(
        lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM delivery WHERE status = 'sent'")
    )
    url = f"/residents/{resident}/export"
    assert (await client.get(url, headers=OPERATOR)).status_code == 422  # purpose is required
    response = await client.get(url, params={"purpose": "permintaan warga"}, headers=OPERATOR)
    assert response.status_code == 200, response.text
    export = response.json()
    assert (export["service"], export["resident_id"]) == ("notify", str(resident))
    assert datetime.fromisoformat(export["exported_at"])
    data = export["data"]
    assert (data["contact"]["phone"], data["contact"]["first_name"]) == (PHONE, "Sri")
    assert data["consent"]["consent"] is True
    assert data["channels"] == ["whatsapp"]
    [message] = data["messages"]
    assert (message["template"], message["vacancy_id"]) == (
        "lowongan_cocok",
        str(vacancy.vacancy_id),
    )
    [delivery] = data["deliveries"]
    assert delivery["status"] == "sent"
    assert [a["outcome"] for a in delivery["attempt_log"]] == ["sent"]
    [access] = await app.state.pool.fetch(
        "SELECT * FROM personal_data_access WHERE resident_id = $1", resident
    )
    assert (access["principal"], access["purpose"]) == ("operator:disnaker", "permintaan warga")
    assert set(access["fields"]) == {"first_name", "phone", "email"}
    unknown = await client.get(
        f"/residents/{uuid4()}/export", params={"purpose": "x" * 5}, headers=OPERATOR
    )
    assert (unknown.status_code, unknown.json()) == (404, {"detail": "Tidak ditemukan / not found"})
    audited = "SELECT count(*) FROM personal_data_access"
    assert await app.state.pool.fetchval(audited) == 1  # nothing read, nothing logged


async def test_sending_writes_no_personal_data_to_the_logs(
    app: FastAPI, settings: Settings, gateway: FakeGateway, mailbox: Mailbox,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    # The service logs at INFO (kerjalokal.logging); its own loggers are read even at DEBUG. (The
    # AMQP client's DEBUG wire dumps hold whole messages: never enable them in production.)
    caplog.set_level(logging.INFO)
    for name in ("notify", "kerjalokal"):
        caplog.set_level(logging.DEBUG, logger=name)
    phone, mail, failing, vacancy = uuid4(), uuid4(), uuid4(), published()
    gateway.refuse.add("+6281200000001")
    await publish(
        settings.amqp_url,
        contact(phone, phone=PHONE, name=NAME, channels=("whatsapp",)),
        contact(mail, email=EMAIL, name="Bambang Sutrisno", channels=("email",)),
        contact(failing, phone="+6281200000001", name="Dewi Kartika", channels=("sms",)),
        vacancy,
    )  # fmt: skip
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 3 FROM contact"))
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM vacancy"))
    await publish(settings.amqp_url, matched(vacancy.vacancy_id, [phone, mail, failing]))
    settled = "SELECT count(*) = 3 FROM delivery WHERE status IN ('sent', 'failed')"
    await until(lambda: app.state.pool.fetchval(settled))
    assert len(gateway.messages) == 1  # the flow did run
    assert len(mailbox.messages) == 1
    assert caplog.records, "the test must see the service's logs to mean anything"
    ours = [r for r in caplog.records if not r.name.startswith("mail.")]  # the test's SMTP server
    text = "\n".join(r.getMessage() for r in ours) + json.dumps(
        [r.__dict__ for r in ours], default=str
    )
    for personal in (
        PHONE, PHONE.removeprefix("+"), EMAIL, "Sri", "Wahyuni", "Bambang", "Dewi",
        "+6281200000001",
    ):  # fmt: skip
        assert personal not in text, personal
