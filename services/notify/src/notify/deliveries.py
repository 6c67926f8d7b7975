"""The delivery table: one row per message, its key the idempotency key handed to the provider.

    pending ──claim──▶ sending ──sent──▶ sent
       ▲                  │ ├──permanent / last try──▶ failed (residents) | parked (webhooks)
       └──retry, backoff──┘ └──lease runs out (the process died)──▶ claimed again, same key
    skipped    never sendable (no consent, no contact, over the cap...), with the reason
    cancelled  no longer wanted (opted out, vacancy closed, channel deleted)

A claim commits `sending` with a lease (in `not_before`) and a claim token; the result is
recorded only while that claim still holds. A process that dies between sending and recording
leaves the row to be claimed again after the lease: the message may go to the provider twice,
with the same idempotency key, and the provider keeps one.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg
from cryptography.exceptions import InvalidTag

from .crypto import ContactCipher

log = logging.getLogger("notify.deliveries")
WAKE_CHANNEL = "kerjalokal_delivery"  # NOTIFY at commit: new rows are due

_PLAN = """
WITH first AS (
    INSERT INTO inbox (consumer, event_id) VALUES ($1, $2)
    ON CONFLICT DO NOTHING RETURNING true AS ok
),
target AS MATERIALIZED (  -- each resident's channel worked out once, not once per use
    SELECT t.resident_id, c.resident_id IS NOT NULL AS known, c.consent, c.opted_out_at,
           s.status AS resident_status,
           (SELECT u.ch FROM unnest(c.channels) WITH ORDINALITY AS u(ch, i)
             WHERE u.ch = ANY($7::text[])
               AND CASE u.ch WHEN 'email' THEN c.email_sealed IS NOT NULL
                                       ELSE c.phone_sealed IS NOT NULL END
             ORDER BY u.i LIMIT 1) AS channel
    FROM unnest($6::uuid[]) AS t(resident_id)
    LEFT JOIN contact c ON c.resident_id = t.resident_id
    LEFT JOIN resident_state s ON s.resident_id = t.resident_id
    WHERE EXISTS (SELECT 1 FROM first)
),
decided AS (
    SELECT resident_id, channel,
           CASE WHEN NOT known THEN 'no_contact'
                WHEN NOT consent THEN 'no_consent'
                WHEN opted_out_at IS NOT NULL THEN 'opted_out'
                WHEN resident_status = ANY($12::text[]) THEN 'resident_' || resident_status
                WHEN channel IS NULL THEN 'no_channel'
                WHEN $15 AND EXISTS (
                    SELECT 1 FROM delivery x WHERE x.resident_id = target.resident_id
                       AND x.vacancy_id = $14 AND x.template = $4
                       AND x.status IN ('pending', 'sending', 'sent')) THEN 'already_told'
                END AS skip,
           CASE WHEN channel IN ('whatsapp', 'sms') THEN $9::timestamptz
                ELSE $8::timestamptz END AS not_before,
           CASE WHEN channel IN ('whatsapp', 'sms') THEN $11::date ELSE $10::date END AS day
    FROM target
),
quota AS (
    INSERT INTO daily_quota AS q (resident_id, day, used)
    SELECT resident_id, day, 1 FROM decided WHERE skip IS NULL AND $13::int IS NOT NULL
    ORDER BY resident_id
    ON CONFLICT (resident_id, day) DO UPDATE SET used = q.used + 1
    RETURNING resident_id, used
),
inserted AS (
    INSERT INTO delivery (delivery_id, kind, event_id, event_type, resident_id, channel,
                          template, params, vacancy_id, status, reason, not_before, created_at,
                          updated_at)
    SELECT md5($2 || '|' || d.resident_id || '|' || coalesce(d.channel, 'none'))::uuid,
           'resident', $2, $3, d.resident_id, coalesce(d.channel, 'none'), $4, $5, $14,
           CASE WHEN d.skip IS NULL AND coalesce(q.used, 0) <= coalesce($13, 2147483647)
                THEN 'pending' ELSE 'skipped' END,
           coalesce(d.skip, CASE WHEN q.used > $13 THEN 'cap' END),
           d.not_before, $8, $8
    FROM decided d LEFT JOIN quota q USING (resident_id)
    ON CONFLICT (delivery_id) DO NOTHING
    RETURNING status
)
SELECT (SELECT count(*) FROM first) AS first_time,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'skipped') AS skipped,
       (SELECT count(*) FROM (SELECT pg_notify('kerjalokal_delivery', '')) AS wake) AS woken
FROM inserted
"""


@dataclass(frozen=True)
class Plan:
    """Messages to residents caused by one event, and when phones and email may have them."""

    consumer: str
    event_id: str
    event_type: str
    template: str
    params: dict[str, Any]
    residents: Sequence[UUID]
    channels: Sequence[str]
    now: datetime
    phones_from: datetime
    day: date
    phones_day: date
    vacancy_id: UUID | None = None
    cap: int | None = None
    skip_statuses: Sequence[str] = ()
    once_per_vacancy: bool = False  # a resident hears of a vacancy once, whatever rematches it


async def plan(conn: asyncpg.Connection, plan: Plan) -> tuple[int, int] | None:
    """Record the event in the inbox and its delivery rows in one statement: (pending, skipped),
    or None when the event was handled before."""
    row = await conn.fetchrow(
        _PLAN,
        plan.consumer,
        plan.event_id,
        plan.event_type,
        plan.template,
        plan.params,
        list(dict.fromkeys(plan.residents)),
        list(plan.channels),
        plan.now,
        plan.phones_from,
        plan.day,
        plan.phones_day,
        list(plan.skip_statuses),
        plan.cap,
        plan.vacancy_id,
        plan.once_per_vacancy,
    )
    assert row is not None
    if not row["first_time"]:
        return None
    return row["pending"], row["skipped"]


async def fan_out_webhooks(
    conn: asyncpg.Connection,
    *,
    event_id: str,
    event_type: str,
    channel_ids: Sequence[UUID],
    body: str,
    vacancy_id: UUID,
    now: datetime,
) -> int:
    result = await conn.execute(
        """
        INSERT INTO delivery (delivery_id, kind, event_id, event_type, channel_id, channel,
                              template, body, vacancy_id, status, not_before, created_at,
                              updated_at)
        SELECT md5($1 || '|' || c || '|webhook')::uuid, 'webhook', $1, $2, c, 'webhook', $2,
               $3, $4, 'pending', $5, $5, $5
        FROM unnest($6::uuid[]) AS c
        ON CONFLICT (delivery_id) DO NOTHING
        """,
        event_id,
        event_type,
        body,
        vacancy_id,
        now,
        list(channel_ids),
    )
    await conn.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)
    return int(result.split()[-1])


async def cancel(
    conn: asyncpg.Connection,
    *,
    reason: str,
    now: datetime,
    resident_id: UUID | None = None,
    vacancy_id: UUID | None = None,
    channel_id: UUID | None = None,
    template: str | None = None,
) -> int:
    """Cancel what is still waiting (not what is in flight) for a resident, vacancy or channel."""
    result = await conn.execute(
        """
        UPDATE delivery SET status = 'cancelled', reason = $1, updated_at = $2
        WHERE status = 'pending'
          AND ($3::uuid IS NULL OR resident_id = $3)
          AND ($4::uuid IS NULL OR vacancy_id = $4)
          AND ($5::uuid IS NULL OR channel_id = $5)
          AND ($6::text IS NULL OR template = $6)
        """,
        reason,
        now,
        resident_id,
        vacancy_id,
        channel_id,
        template,
    )
    return int(result.split()[-1])


async def release(conn: asyncpg.Connection, *, vacancy_id: UUID, now: datetime) -> int:
    """Messages that waited for this vacancy to be known are due now."""
    result = await conn.execute(
        "UPDATE delivery SET not_before = $2, updated_at = $2"
        " WHERE vacancy_id = $1 AND kind = 'resident' AND status = 'pending'"
        " AND attempts = 0 AND not_before > $2",
        vacancy_id,
        now,
    )
    await conn.execute("SELECT pg_notify($1, '')", WAKE_CHANNEL)
    return int(result.split()[-1])


# --- the dispatchers' side -------------------------------------------------------------------


async def claim_residents(
    conn: asyncpg.Connection,
    *,
    claim: UUID,
    now: datetime,
    lease_until: datetime,
    limit: int,
    phones: bool,
) -> list[asyncpg.Record]:
    """Take due resident messages for this claim: phones only outside quiet hours, job alerts
    only once their vacancy is known here (a match can overtake its vacancy: `release` wakes
    them when it arrives; after an hour they are taken, to be failed as `vacancy_unknown`)."""
    return await conn.fetch(
        """
        WITH due AS (
            SELECT delivery_id FROM delivery d
            WHERE kind = 'resident' AND status IN ('pending', 'sending') AND not_before <= $2
              AND ($5 OR channel NOT IN ('whatsapp', 'sms'))
              AND (template <> 'lowongan_cocok' OR created_at < $2 - interval '1 hour'
                   OR EXISTS (SELECT 1 FROM vacancy v WHERE v.vacancy_id = d.vacancy_id
                              AND (v.body IS NOT NULL OR v.closed_at IS NOT NULL)))
            ORDER BY not_before
            LIMIT $4
            FOR UPDATE SKIP LOCKED
        )
        UPDATE delivery d SET status = 'sending', attempts = d.attempts + 1, claim = $1,
                              not_before = $3, updated_at = $2
        FROM due WHERE d.delivery_id = due.delivery_id
        RETURNING d.delivery_id, d.event_id, d.event_type, d.resident_id, d.channel,
                  d.template, d.params, d.vacancy_id, d.attempts,
                  d.attempts - d.retry_from AS round, d.created_at
        """,
        claim,
        now,
        lease_until,
        limit,
        phones,
    )


async def claim_webhooks(
    conn: asyncpg.Connection,
    *,
    claim: UUID,
    now: datetime,
    lease_until: datetime,
    busy: Sequence[UUID],
    limit: int,
) -> list[asyncpg.Record]:
    """Take due webhook deliveries of active channels, at most each channel's in-flight limit,
    none for a channel that still has deliveries in flight here."""
    return await conn.fetch(
        """
        WITH ranked AS (
            SELECT d.delivery_id, row_number() OVER (
                       PARTITION BY d.channel_id ORDER BY d.not_before, d.created_at) AS rank,
                   c.max_in_flight
            FROM delivery d JOIN channel c ON c.channel_id = d.channel_id
            WHERE d.kind = 'webhook' AND d.status IN ('pending', 'sending')
              AND d.not_before <= $2 AND c.status = 'active'
              AND NOT (d.channel_id = ANY($4::uuid[]))
        ),
        due AS (
            SELECT d.delivery_id FROM delivery d JOIN ranked r USING (delivery_id)
            WHERE r.rank <= r.max_in_flight
            ORDER BY d.not_before LIMIT $5
            FOR UPDATE OF d SKIP LOCKED
        )
        UPDATE delivery d SET status = 'sending', attempts = d.attempts + 1, claim = $1,
                              not_before = $3, updated_at = $2
        FROM due, channel c
        WHERE d.delivery_id = due.delivery_id AND c.channel_id = d.channel_id
        RETURNING d.delivery_id, d.event_id, d.event_type, d.channel_id, d.body,
                  d.attempts - d.retry_from AS round, d.created_at, c.url, c.secret
        """,
        claim,
        now,
        lease_until,
        list(busy),
        limit,
    )


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to, and what the row becomes."""

    delivery_id: UUID
    status: str  # pending (a retry), sent, failed, parked, cancelled
    outcome: str | None  # sent, retry, failed, parked; None: nothing was attempted
    not_before: datetime
    attempted_at: datetime
    duration_ms: int
    reason: str | None = None
    provider_message_id: str | None = None
    status_code: int | None = None
    error: str | None = None


_RECORD = """
WITH r AS (
    SELECT * FROM unnest($2::uuid[], $3::text[], $4::text[], $5::timestamptz[], $6::text[],
                         $7::text[], $8::int[], $9::timestamptz[], $10::int[], $11::text[])
        AS r(delivery_id, status, outcome, not_before, provider_message_id, error, status_code,
             attempted_at, duration_ms, reason)
),
updated AS (
    UPDATE delivery d SET status = r.status, not_before = r.not_before, claim = NULL,
        attempts = d.attempts - CASE WHEN r.outcome IS NULL THEN 1 ELSE 0 END,  -- none made
        reason = coalesce(r.reason, d.reason),
        provider_message_id = coalesce(r.provider_message_id, d.provider_message_id),
        last_error = r.error, updated_at = r.attempted_at,
        sent_at = CASE WHEN r.status = 'sent' THEN r.attempted_at END
    FROM r WHERE d.delivery_id = r.delivery_id AND d.claim = $1
    RETURNING d.delivery_id, d.attempts
),
logged AS (
    INSERT INTO delivery_attempt (delivery_id, attempt, attempted_at, outcome,
                                  provider_message_id, status_code, error, duration_ms)
    SELECT u.delivery_id, u.attempts, r.attempted_at, r.outcome, r.provider_message_id,
           r.status_code, r.error, r.duration_ms
    FROM updated u JOIN r USING (delivery_id)
    WHERE r.outcome IS NOT NULL
    ON CONFLICT DO NOTHING
)
SELECT delivery_id FROM updated
"""


async def record(
    conn: asyncpg.Connection, *, claim: UUID, outcomes: Sequence[Outcome]
) -> set[UUID]:
    """Settle the attempts of one claim in one statement; return the rows still held by it."""
    columns = (
        "delivery_id", "status", "outcome", "not_before", "provider_message_id", "error",
        "status_code", "attempted_at", "duration_ms", "reason",
    )  # fmt: skip
    arrays = [[getattr(o, name) for o in outcomes] for name in columns]
    rows = await conn.fetch(_RECORD, claim, *arrays)
    return {row["delivery_id"] for row in rows}


async def contacts(
    conn: asyncpg.Connection, resident_ids: Sequence[UUID], *, cipher: ContactCipher
) -> dict[UUID, dict[str, Any]]:
    """Residents' contacts with the first name, phone and email opened, for sending only. A
    contact that cannot be opened (sealed under another key) is left out: its messages are
    cancelled as `no_contact` instead of blocking the batch."""
    rows = await conn.fetch(
        "SELECT resident_id, first_name_sealed, phone_sealed, email_sealed, consent, opted_out_at"
        " FROM contact WHERE resident_id = ANY($1::uuid[])",
        list(set(resident_ids)),
    )
    found = {}
    for row in rows:
        try:
            opened = cipher.open_contact(row, resident_id=row["resident_id"])
        except InvalidTag:
            log.error("contact of resident %s cannot be opened with NOTIFY_DATA_KEY", row[0])
            continue
        found[row["resident_id"]] = {
            "consent": row["consent"], "opted_out_at": row["opted_out_at"], **opened,
        }  # fmt: skip
    return found


async def vacancies(conn: asyncpg.Connection, vacancy_ids: Sequence[UUID]) -> dict[UUID, Any]:
    rows = await conn.fetch(
        "SELECT vacancy_id, body, closed_at, close_reason FROM vacancy"
        " WHERE vacancy_id = ANY($1::uuid[])",
        list(set(vacancy_ids)),
    )
    return {row["vacancy_id"]: row for row in rows}


async def channel_failed(
    conn: asyncpg.Connection, *, channel_id: UUID, pause_after: int, now: datetime
) -> bool:
    """Count a failure against the channel; True when it has just been paused."""
    paused = await conn.fetchval(
        """
        UPDATE channel SET consecutive_failures = consecutive_failures + 1, updated_at = $3,
            status = CASE WHEN consecutive_failures + 1 >= $2 AND status = 'active'
                          THEN 'paused' ELSE status END,
            paused_reason = CASE WHEN consecutive_failures + 1 >= $2 AND status = 'active'
                                 THEN 'failing: ' || (consecutive_failures + 1)
                                      || ' consecutive failed deliveries'
                                 ELSE paused_reason END
        WHERE channel_id = $1
        RETURNING status = 'paused' AND consecutive_failures = $2
        """,
        channel_id,
        pause_after,
        now,
    )
    return bool(paused)


async def channel_succeeded(conn: asyncpg.Connection, *, channel_id: UUID) -> None:
    await conn.execute(
        "UPDATE channel SET consecutive_failures = 0 WHERE channel_id = $1"
        " AND consecutive_failures <> 0",
        channel_id,
    )
