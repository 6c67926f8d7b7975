"""Chassis pieces that need no server."""

from datetime import UTC, datetime
from uuid import uuid4

import asyncpg
import httpx
import pytest
from asyncpg.exceptions import UniqueViolationError
from fastapi import FastAPI
from pydantic import ValidationError

from kerjalokal.events.vacancies import ResidentHiredV1
from kerjalokal.logging import redact
from kerjalokal.messaging import consumer_queue
from kerjalokal.messaging.consumer import describe
from kerjalokal.messaging.envelope import ce_headers
from kerjalokal.operations import install_unavailable_handlers


def test_cloudevents_headers() -> None:
    event_id = uuid4()
    headers = ce_headers(
        event_id=event_id, event_type="registry.resident_registered.v1", service="registry",
        subject="abc", time=datetime(2026, 11, 28, tzinfo=UTC),
    )  # fmt: skip
    assert headers == {
        "ce-specversion": "1.0", "ce-id": str(event_id), "ce-source": "/kerjalokal/registry",
        "ce-type": "registry.resident_registered.v1", "ce-time": "2026-11-28T00:00:00+00:00",
        "ce-subject": "abc",
    }  # fmt: skip


def test_consumer_queues_are_quorum_with_a_delivery_limit_and_dead_letters() -> None:
    queue = consumer_queue("registry", "resident_hired", ResidentHiredV1)
    assert queue.name == "registry.resident_hired"
    assert queue.routing_key == "vacancies.resident_hired.v1"
    assert queue.arguments["x-queue-type"] == "quorum"
    assert queue.arguments["x-delivery-limit"] >= 10
    assert queue.arguments["x-dead-letter-exchange"] == "kerjalokal.dlx"
    assert queue.arguments["x-dead-letter-strategy"] == "at-least-once"
    assert queue.arguments["x-overflow"] == "reject-publish"


def test_a_validation_reason_names_fields_but_never_repeats_values() -> None:
    payload = ResidentHiredV1.example().model_dump(mode="json") | {
        "contract_type": "3216014508010003"
    }
    with pytest.raises(ValidationError) as invalid:
        ResidentHiredV1.model_validate(payload)
    reason = describe(invalid.value)
    assert reason.startswith("contract_type:")
    assert "3216014508010003" not in reason


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nik 3216014508010003 rejected", "nik [NIK] rejected"),
        ("call +6281234567890 or 081234567890", "call [PHONE] or [PHONE]"),
        ("mail siti@example.org now", "mail [EMAIL] now"),
        ("order 12345 of 2026-11-28", "order 12345 of 2026-11-28"),
    ],
)
def test_log_lines_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_database_error_is_described_without_the_values_it_quotes() -> None:
    exc = UniqueViolationError(
        'duplicate key value violates unique constraint "seeker_nik_lookup_key"'
    )
    exc.detail = "Key (nik_lookup)=(9f86d081884c7d659a2feaa0c55ad015) already exists."
    exc.constraint_name = "seeker_nik_lookup_key"
    exc.table_name = "seeker"
    exc.sqlstate = "23505"
    reason = describe(exc)
    assert "9f86d081884c7d659a2feaa0c55ad015" not in reason
    assert reason == (
        "UniqueViolationError (SQLSTATE 23505) table seeker, constraint seeker_nik_lookup_key"
    )


@pytest.mark.parametrize(
    "outage",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.DeadlockDetectedError("deadlock detected"),  # rolled back: nothing was written
    ],
)
async def test_a_database_outage_answers_503_with_retry_after(outage: Exception) -> None:
    app = FastAPI()
    install_unavailable_handlers(app)

    @app.post("/residents")
    async def register() -> None:
        raise outage

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        answer = await http.post("/residents")
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "5"
    assert answer.json()["detail"].startswith("Layanan sementara tidak tersedia")
