"""Events as the producers publish them, with fresh ids."""

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from kerjalokal.events.vacancies import (
    CandidatesMatchedV1,
    VacancyClosedV1,
    VacancyPublishedV1,
    VacancyUpdatedV1,
)


def published(**overrides: Any) -> VacancyPublishedV1:
    body = VacancyPublishedV1.example().model_dump(mode="json")
    body |= {
        "vacancy_id": str(uuid4()),
        "published_at": datetime.now(UTC).isoformat(),
        "valid_until": (date.today() + timedelta(days=30)).isoformat(),
    }
    return VacancyPublishedV1.model_validate(body | overrides)


def updated(vacancy: VacancyPublishedV1, *, version: int = 2, **changes: Any) -> VacancyUpdatedV1:
    body = vacancy.model_dump(mode="json") | changes
    return VacancyUpdatedV1.model_validate(
        body | {"version": version, "changed": list(changes), "updated_at": datetime.now(UTC)}
    )


def closed(vacancy_id: UUID, reason: str = "filled") -> VacancyClosedV1:
    return VacancyClosedV1(
        vacancy_id=vacancy_id, company_id=uuid4(), reason=reason, hires=1,
        closed_at=datetime.now(UTC),
    )  # fmt: skip


def matched(vacancy_id: UUID, residents: list[UUID]) -> CandidatesMatchedV1:
    return CandidatesMatchedV1(
        match_id=uuid4(), vacancy_id=vacancy_id, company_id=uuid4(), trigger="vacancy_published",
        matched_at=datetime.now(UTC), eligible=len(residents),
        candidates=[
            {"resident_id": r, "score": 0.9, "certified": False, "reasons": []} for r in residents
        ],
    )  # fmt: skip
