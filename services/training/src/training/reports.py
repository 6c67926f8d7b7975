"""Read models for the office: completion and placement rates per programme or institution,
the story's counts, and the skills that open vacancies ask for and too few seekers have.

Placement within N days counts a hire (`vacancies.resident_hired`) dated from the completion to
N days after it. The rate's denominator is the completers whose N-day window has closed or who
were placed within it, so a cohort that completed last week does not read as 0% placed."""

from datetime import date
from uuid import UUID

import asyncpg

_OUTCOMES = """
WITH e AS (
    SELECT e.*, (SELECT min(h.hired_at) FROM hire h WHERE h.resident_id = e.resident_id
                 AND e.state = 'completed' AND h.hired_at >= e.ended_at) AS first_hire
    FROM enrollment e WHERE $2::uuid IS NULL OR e.institution_id = $2
)
SELECT {columns},
    count(*) FILTER (WHERE state = 'waitlisted') AS waitlisted,
    count(*) FILTER (WHERE enrolled_at IS NOT NULL) AS enrolled_total,
    count(*) FILTER (WHERE state = 'enrolled') AS in_training,
    count(*) FILTER (WHERE state = 'completed') AS completed,
    count(*) FILTER (WHERE state = 'completed' AND passed) AS passed,
    count(*) FILTER (WHERE state = 'dropped_out') AS dropped_out,
    count(*) FILTER (WHERE state = 'withdrawn' AND enrolled_at IS NOT NULL
                     AND end_reason <> 'hired') AS withdrawn,
    count(*) FILTER (WHERE state = 'withdrawn' AND end_reason = 'hired') AS withdrawn_hired,
    count(*) FILTER (WHERE first_hire <= ended_at + interval '90 days') AS placed_90,
    count(*) FILTER (WHERE state = 'completed' AND (ended_at <= $1::date - interval '90 days'
                     OR first_hire <= ended_at + interval '90 days')) AS observed_90,
    count(*) FILTER (WHERE first_hire <= ended_at + interval '180 days') AS placed_180,
    count(*) FILTER (WHERE state = 'completed' AND (ended_at <= $1::date - interval '180 days'
                     OR first_hire <= ended_at + interval '180 days')) AS observed_180
FROM e JOIN programme p USING (programme_id)
    JOIN institution i ON i.institution_id = p.institution_id
GROUP BY {group} ORDER BY {order}
"""
_GROUPS = {
    "programme": (
        "p.programme_id, p.title, p.kind, p.vocation, p.kbji_code, i.institution_id,"
        " i.name AS institution_name",
        "p.programme_id, i.institution_id",
        "i.name, p.title",
    ),
    "institution": (
        "i.institution_id, i.name AS institution_name, i.type_kode",
        "i.institution_id",
        "i.name",
    ),
}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def outcomes(
    conn: asyncpg.Connection, *, by: str, institution_id: UUID | None, today: date
) -> list[dict[str, object]]:
    columns, group, order = _GROUPS[by]
    query = _OUTCOMES.format(columns=columns, group=group, order=order)
    rows = await conn.fetch(query, today, institution_id)
    result = []
    for row in rows:
        item = dict(row)
        exits = item["completed"] + item["dropped_out"] + item["withdrawn"]
        item |= {
            "completion_rate": _rate(item["completed"], exits),
            "pass_rate": _rate(item["passed"], item["completed"]),
            "placement_rate_90": _rate(item["placed_90"], item["observed_90"]),
            "placement_rate_180": _rate(item["placed_180"], item["observed_180"]),
        }
        result.append(item)
    return result


_SUMMARY = """
SELECT
    (SELECT count(*) FROM seeker WHERE profile_version > 0) AS seekers_known,
    (SELECT count(*) FROM readiness WHERE state = 'ready') AS ready,
    (SELECT count(DISTINCT resident_id) FROM enrollment WHERE state = 'enrolled') AS in_training,
    (SELECT count(DISTINCT resident_id) FROM enrollment WHERE state = 'waitlisted') AS waitlisted,
    (SELECT count(*) FROM enrollment WHERE state = 'completed') AS completed,
    (SELECT count(*) FROM enrollment WHERE state = 'completed' AND passed) AS passed,
    (SELECT count(*) FROM programme) AS programmes,
    (SELECT count(*) FROM session) AS sessions,
    (SELECT count(*) FROM session WHERE starts_on <= $1 AND ends_on >= $1) AS sessions_running,
    (SELECT count(*) FROM institution) AS institutions
"""
_READY_BY_VOCATION = """
SELECT vocation, kbji_code, count(*) AS ready FROM readiness WHERE state = 'ready'
GROUP BY vocation, kbji_code ORDER BY count(*) DESC, vocation
"""


async def summary(conn: asyncpg.Connection, *, today: date) -> dict[str, object]:
    row = await conn.fetchrow(_SUMMARY, today)
    assert row is not None
    by_vocation = [dict(r) for r in await conn.fetch(_READY_BY_VOCATION)]
    return dict(row) | {"ready_by_vocation": by_vocation}


_DEMAND = """
WITH open AS (
    SELECT * FROM vacancy_demand WHERE closed_at IS NULL AND valid_until >= $1 AND openings > 0
), demand AS (
    SELECT kbji_code, skill, sum(openings)::int AS openings, count(*)::int AS vacancies,
           (array_agg(DISTINCT title))[1:3] AS titles
    FROM open, unnest(skills) AS skill GROUP BY kbji_code, skill
), holders AS (
    SELECT r.resident_id, skill, 'ready' AS source FROM readiness r
        JOIN seeker s USING (resident_id), unnest(s.skills) AS skill WHERE r.state = 'ready'
    UNION
    SELECT e.resident_id, skill, 'in_training' FROM enrollment e
        JOIN programme p USING (programme_id), unnest(p.skills) AS skill WHERE e.state = 'enrolled'
    UNION
    SELECT e.resident_id, lower(c->>'skill'), 'certified' FROM enrollment e,
        jsonb_array_elements(e.certified_skills) AS c WHERE e.state = 'completed' AND e.passed
), supply AS (
    SELECT skill,
        count(DISTINCT resident_id) AS supply,
        count(DISTINCT resident_id) FILTER (WHERE source = 'ready') AS ready,
        count(DISTINCT resident_id) FILTER (WHERE source = 'in_training') AS in_training,
        count(DISTINCT resident_id) FILTER (WHERE source = 'certified') AS certified
    FROM holders GROUP BY skill
)
SELECT d.kbji_code, d.skill, d.titles, d.openings, d.vacancies,
    coalesce(s.supply, 0)::int AS supply, coalesce(s.ready, 0)::int AS ready,
    coalesce(s.in_training, 0)::int AS in_training, coalesce(s.certified, 0)::int AS certified,
    (SELECT count(*) FROM readiness r WHERE r.state = 'ready'
        AND r.kbji_code LIKE left(d.kbji_code, 4) || '%')::int AS ready_for_vocation,
    (SELECT count(*) FROM programme p WHERE d.skill = ANY (p.skills))::int AS programmes,
    (d.openings - coalesce(s.supply, 0))::int AS gap
FROM demand d LEFT JOIN supply s USING (skill)
WHERE d.openings > coalesce(s.supply, 0) AND ($2::text IS NULL OR d.kbji_code LIKE $2 || '%')
ORDER BY gap DESC, d.openings DESC, d.kbji_code, d.skill
LIMIT $3
"""


async def skills_demand(
    conn: asyncpg.Connection, *, today: date, kbji_code: str | None, limit: int
) -> list[dict[str, object]]:
    return [dict(row) for row in await conn.fetch(_DEMAND, today, kbji_code, limit)]
