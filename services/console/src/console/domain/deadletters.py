"""What a dead letter says about itself. The chassis (kerjalokal.messaging.consumer) writes
`x-kerjalokal-*` headers; a message the broker dead-lettered after its delivery limit carries
RabbitMQ's `x-death` / `x-first-death-*` headers instead."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

# Headers that describe the failure, not the event: removed before a replay.
FAILURE_HEADERS = (
    "x-death",
    "x-delivery-count",
    "x-first-death-",
    "x-last-death-",
    "x-kerjalokal-",
)


@dataclass(frozen=True)
class Failure:
    queue: str
    exchange: str | None
    routing_key: str | None
    reason: str
    error: str | None
    attempts: int | None
    failed_at: datetime | None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if text := _text(value):
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    return None


def failure(headers: dict[str, Any], *, arrived_from: str) -> Failure:
    """`arrived_from` is the DLQ's routing key (the consumer queue's name for the chassis)."""
    if "x-kerjalokal-reason" in headers:
        attempts = headers.get("x-kerjalokal-attempts")
        return Failure(
            queue=_text(headers.get("x-kerjalokal-queue")) or arrived_from,
            exchange=_text(headers.get("x-kerjalokal-exchange")),
            routing_key=_text(headers.get("x-kerjalokal-routing-key")),
            reason=_text(headers["x-kerjalokal-reason"]) or "failed",
            error=_text(headers.get("x-kerjalokal-error")),
            attempts=int(attempts) if attempts is not None else None,
            failed_at=_time(headers.get("x-kerjalokal-failed-at")),
        )
    deaths = headers.get("x-death") or [{}]
    death = deaths[0] if isinstance(deaths, list | tuple) and deaths else {}
    keys = death.get("routing-keys") or []
    return Failure(
        queue=_text(headers.get("x-first-death-queue") or death.get("queue")) or arrived_from,
        exchange=_text(headers.get("x-first-death-exchange") or death.get("exchange")),
        routing_key=_text(keys[0]) if keys else None,
        reason=_text(headers.get("x-first-death-reason") or death.get("reason")) or "unknown",
        error=None,
        attempts=int(death["count"]) if "count" in death else None,
        failed_at=_time(death.get("time")),
    )


def replay_headers(headers: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in headers.items() if not k.startswith(FAILURE_HEADERS)}


def fingerprint(
    *, queue: str, message_id: str | None, failed_at: datetime | None, body: bytes
) -> str:
    """The same dead letter read twice (a crash between commit and ack) is stored once; the
    same message failing again after a replay is a new dead letter."""
    digest = hashlib.sha256()
    for part in (queue, message_id or "", failed_at.isoformat() if failed_at else "", ""):
        digest.update(part.encode() + b"\0")
    digest.update(body)
    return digest.hexdigest()
