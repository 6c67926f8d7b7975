"""Erasures as the console tracks them: the registry's `resident_erased` and each service's
`resident_data_erased` confirmation, matched by the erasure event's id. An erasure is complete
once every erasing service confirmed it, late when one has not after the configured minutes."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

STATUS_TEXT = {
    "complete": "Selesai / complete",
    "waiting": "Menunggu konfirmasi / waiting for confirmations",
    "late": "Terlambat / late",
}


@dataclass(frozen=True)
class Erasure:
    erasure_event_id: str
    resident_id: UUID
    erased_at: datetime
    confirmed: dict[str, datetime | None]
    """Each erasing service and when it confirmed (None: not yet)."""
    status: str

    @property
    def missing(self) -> list[str]:
        return [service for service, at in self.confirmed.items() if at is None]

    @property
    def status_text(self) -> str:
        return STATUS_TEXT[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "erasure_event_id": self.erasure_event_id,
            "resident_id": str(self.resident_id),
            "erased_at": self.erased_at.isoformat(),
            "confirmations": {
                s: at.isoformat() if at else None for s, at in self.confirmed.items()
            },
            "missing": self.missing,
            "complete": self.status == "complete",
            "late": self.status == "late",
            "status": self.status,
        }


def status_of(
    erased_at: datetime, confirmed: dict[str, datetime | None], *, late_after: float, now: datetime
) -> str:
    if all(at is not None for at in confirmed.values()):
        return "complete"
    return "late" if now - erased_at > timedelta(minutes=late_after) else "waiting"


async def listing(
    conn: asyncpg.Connection,
    *,
    services: Sequence[str],
    late_after: float,
    now: datetime,
    limit: int = 1000,
) -> list[Erasure]:
    """The newest erasures first, each with its confirmations."""
    rows = await conn.fetch(
        """
        SELECT e.erasure_event_id, e.resident_id, e.erased_at,
               coalesce(jsonb_object_agg(c.service, c.confirmed_at)
                        FILTER (WHERE c.service IS NOT NULL), '{}') AS confirmed
        FROM erasure e LEFT JOIN erasure_confirmation c USING (erasure_event_id)
        GROUP BY e.erasure_event_id ORDER BY e.erased_at DESC, e.erasure_event_id LIMIT $1
        """,
        limit,
    )
    found = []
    for row in rows:
        given = json.loads(row["confirmed"])
        confirmed = {
            s: datetime.fromisoformat(given[s]) if given.get(s) else None for s in services
        }
        found.append(
            Erasure(
                erasure_event_id=row["erasure_event_id"],
                resident_id=row["resident_id"],
                erased_at=row["erased_at"],
                confirmed=confirmed,
                status=status_of(row["erased_at"], confirmed, late_after=late_after, now=now),
            )
        )
    return found


def normalised(event_id: str) -> str:
    """An event id as both sides write it: a UUID in its canonical form, anything else as is."""
    try:
        return str(UUID(event_id))
    except ValueError:
        return event_id
