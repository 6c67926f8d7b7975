"""Announcing matches: `candidates_matched` once per vacancy when it is published, then for each
seeker who newly qualifies (profile, certified skills or status changed). A seeker is announced
once per vacancy: the table `match_announcement` remembers who was."""

from datetime import datetime
from uuid import UUID, uuid4

import asyncpg

from kerjalokal.events import vacancies as ev
from kerjalokal.messaging import outbox

from ..domain.vacancy import today_in_bekasi
from ..matching import Criteria, Match, Seeker, SeekerIndex

SEEKER_SELECT = """
    SELECT s.*,
        coalesce((SELECT array_agg(DISTINCT skill) FROM seeker_training t,
                  unnest(t.certified_skills) AS skill
                  WHERE t.resident_id = s.resident_id AND t.state = 'completed'), '{}')
            AS training_certified,
        EXISTS (SELECT 1 FROM seeker_training t
                WHERE t.resident_id = s.resident_id AND t.state = 'enrolled') AS in_training
    FROM seeker s
"""


async def load_seeker(conn: asyncpg.Connection, resident_id: UUID) -> Seeker | None:
    row = await conn.fetchrow(SEEKER_SELECT + " WHERE s.resident_id = $1", resident_id)
    return Seeker.from_row(row) if row else None


async def load_index(conn: asyncpg.Connection, index: SeekerIndex, *, lookback: int = 1000) -> int:
    """Bring the index up to date with the table; rows changed since the last call (with a
    look-back, since a sequence number can commit out of order)."""
    since = max(index.last_change - lookback, 0)
    count = 0
    async with conn.transaction():
        cursor = conn.cursor(
            SEEKER_SELECT + " WHERE s.change_seq > $1 ORDER BY s.change_seq", since, prefetch=5000
        )
        async for row in cursor:
            index.upsert(Seeker.from_row(row))
            index.last_change = max(index.last_change, row["change_seq"])
            count += 1
        erased = await conn.fetch(
            "SELECT seq, resident_id FROM erased_resident WHERE seq > $1 ORDER BY seq",
            max(index.last_erasure - lookback, 0),
        )
        for row in erased:  # erased residents leave the index (removing twice changes nothing)
            index.remove(row["resident_id"])
            index.last_erasure = max(index.last_erasure, row["seq"])
    return count


async def announce(
    conn: asyncpg.Connection,
    vacancy: asyncpg.Record,
    match: Match,
    *,
    trigger: str,
    now: datetime,
) -> int:
    """Remember the candidates not announced before for this vacancy, and publish them."""
    match_id = uuid4()
    candidates = match.candidates
    await conn.execute(
        "INSERT INTO match_run (match_id, vacancy_id, trigger, eligible, announced, matched_at)"
        " VALUES ($1, $2, $3, $4, 0, $5)",
        match_id, vacancy["vacancy_id"], trigger, match.eligible, now,
    )  # fmt: skip
    fresh = await conn.fetch(
        "INSERT INTO match_announcement"
        " (vacancy_id, resident_id, match_id, score, certified, reasons, announced_at)"
        " SELECT $1, r, $2, s, c, string_to_array(x, '|'), $3"
        " FROM unnest($4::uuid[], $5::real[], $6::bool[], $7::text[]) AS t(r, s, c, x)"
        " WHERE NOT EXISTS (SELECT 1 FROM erased_resident e WHERE e.resident_id = t.r)"
        " ON CONFLICT DO NOTHING RETURNING resident_id",
        vacancy["vacancy_id"], match_id, now,
        [c.resident_id for c in candidates], [c.score for c in candidates],
        [c.certified for c in candidates], ["|".join(c.reasons) for c in candidates],
    )  # fmt: skip
    new = {row["resident_id"] for row in fresh}
    announced = [c for c in candidates if c.resident_id in new]
    await conn.execute(
        "UPDATE match_run SET announced = $2 WHERE match_id = $1", match_id, len(new)
    )
    if not announced and trigger != "vacancy_published":
        return 0
    await outbox.add(
        conn,
        ev.CandidatesMatchedV1(
            match_id=match_id,
            vacancy_id=vacancy["vacancy_id"],
            company_id=vacancy["company_id"],
            trigger=trigger,
            matched_at=now,
            eligible=match.eligible,
            candidates=tuple(
                ev.Candidate(
                    resident_id=c.resident_id,
                    score=c.score,
                    certified=c.certified,
                    reasons=c.reasons,
                )
                for c in announced
            ),
        ),
    )
    return len(announced)


async def match_vacancy(
    conn: asyncpg.Connection,
    vacancy: asyncpg.Record,
    *,
    index: SeekerIndex,
    cap: int,
    now: datetime,
) -> Match:
    """Rank every seeker of the index for a vacancy just published, and announce the best."""
    criteria = Criteria.from_row(vacancy, ref_year=today_in_bekasi(now).year)
    match = index.match(criteria, cap=cap)
    await announce(conn, vacancy, match, trigger="vacancy_published", now=now)
    return match


async def match_seeker(
    conn: asyncpg.Connection,
    seeker: Seeker,
    *,
    trigger: str,
    now: datetime,
    index: SeekerIndex | None = None,
) -> int:
    """A seeker whose profile, certified skills or status changed, against every open vacancy
    they were not announced for; returns for how many vacancies they were announced now. The
    vacancies are read with a share lock: one being closed at the same moment is either closed
    before (and left out) or after this transaction, never announced once it has closed."""
    if not seeker.eligible:
        return 0
    open_vacancies = await conn.fetch(
        "SELECT * FROM vacancy v WHERE status = 'published' AND valid_until >= $2"
        " AND NOT EXISTS (SELECT 1 FROM match_announcement m"
        "                 WHERE m.vacancy_id = v.vacancy_id AND m.resident_id = $1)"
        " ORDER BY published_at FOR SHARE OF v",
        seeker.resident_id, today_in_bekasi(now),
    )  # fmt: skip
    alone = SeekerIndex(capacity=1)
    alone.upsert(seeker)
    announced = 0
    for vacancy in open_vacancies:
        criteria = Criteria.from_row(vacancy, ref_year=today_in_bekasi(now).year)
        match = alone.match(criteria, cap=1)
        if not match.candidates:
            continue
        eligible = index.eligible_rows(criteria).size if index is not None else 0
        if index is not None and seeker.resident_id not in index:
            eligible += 1
        found = Match(vacancy.get("vacancy_id"), max(eligible, 1), match.candidates)
        announced += await announce(conn, vacancy, found, trigger=trigger, now=now)
    return announced
