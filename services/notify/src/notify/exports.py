"""A resident's data as notify holds it, for their request under UU 27/2022 (the export is one
part of the platform-wide export; operators ask every service)."""

from typing import Any
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag

from .crypto import ContactCipher

FIELDS = ("first_name", "phone", "email")
"""The personal fields an export reads in clear (the audit log names them)."""

_MESSAGE = (
    "delivery_id",
    "event_type",
    "template",
    "params",
    "channel",
    "vacancy_id",
    "created_at",
)
_DELIVERY = (
    "delivery_id", "status", "reason", "attempts", "not_before", "provider_message_id",
    "last_error", "updated_at", "sent_at",
)  # fmt: skip


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, UUID) else value


def _opened(row: asyncpg.Record, resident_id: UUID, cipher: ContactCipher) -> dict[str, Any]:
    try:
        return dict(cipher.open_contact(row, resident_id=resident_id))
    except InvalidTag:  # sealed under another key: say so rather than fail the export
        return dict.fromkeys(FIELDS) | {"unreadable": True}


async def resident_data(
    conn: asyncpg.Connection, *, resident_id: UUID, cipher: ContactCipher
) -> dict[str, Any] | None:
    """None when notify knows nothing of the resident."""
    contact = await conn.fetchrow("SELECT * FROM contact WHERE resident_id = $1", resident_id)
    state = await conn.fetchrow(
        "SELECT status, changed_at FROM resident_state WHERE resident_id = $1", resident_id
    )
    rows = await conn.fetch(
        "SELECT * FROM delivery WHERE kind = 'resident' AND resident_id = $1"
        " ORDER BY created_at, delivery_id",
        resident_id,
    )
    quota = await conn.fetch(
        "SELECT day, used FROM daily_quota WHERE resident_id = $1 ORDER BY day", resident_id
    )
    if contact is None and state is None and not rows:
        return None
    attempts: dict[UUID, list[dict[str, Any]]] = {}
    for attempt in await conn.fetch(
        "SELECT * FROM delivery_attempt WHERE delivery_id = ANY($1::uuid[])"
        " ORDER BY delivery_id, attempt",
        [row["delivery_id"] for row in rows],
    ):
        entry = {k: v for k, v in dict(attempt).items() if k != "delivery_id"}
        attempts.setdefault(attempt["delivery_id"], []).append(entry)
    return {
        "contact": None if contact is None else {
            **_opened(contact, resident_id, cipher),
            "version": contact["version"],
            "changed_at": contact["changed_at"],
            "updated_at": contact["updated_at"],
        },
        "consent": None if contact is None else {
            "consent": contact["consent"], "opted_out_at": contact["opted_out_at"],
        },
        "channels": [] if contact is None else list(contact["channels"]),
        "resident_status": None if state is None else dict(state),
        "daily_quota": [dict(q) for q in quota],
        "messages": [{k: _plain(row[k]) for k in _MESSAGE} for row in rows],
        "deliveries": [
            {k: _plain(row[k]) for k in _DELIVERY}
            | {"attempt_log": attempts.get(row["delivery_id"], [])}
            for row in rows
        ],
    }  # fmt: skip
