"""Which events a role sees in the live stream, and when an erasure is late."""

from datetime import UTC, datetime, timedelta

from console.api import visible
from console.domain.agencies import PUBLIC_EVENT_TYPES
from console.erasures import status_of
from kerjalokal.auth.principal import OPERATOR, Principal

AGENCY = Principal(role="agency", subject="BPS", key_id="0000abcd")
SERVICE = Principal(role="service", subject="monitor", key_id="0000abce")


def test_agencies_and_services_see_public_event_types_only() -> None:
    for who in (AGENCY, SERVICE):
        assert visible(who, "vacancies.vacancy_published.v1")
        assert not visible(who, "registry.resident_registered.v1")
        assert not visible(who, "registry.resident_erased.v1")
        assert not visible(who, "vacancies.resident_data_erased.v1")
    assert all(visible(AGENCY, t) for t in PUBLIC_EVENT_TYPES)
    assert visible(OPERATOR, "registry.resident_registered.v1")


def test_an_erasure_is_late_after_the_deadline_unless_every_service_confirmed() -> None:
    now = datetime(2027, 1, 15, 3, 30, tzinfo=UTC)
    erased = now - timedelta(minutes=15, seconds=1)
    some = {"vacancies": now, "training": None, "notify": None}
    every = dict.fromkeys(some, now)
    assert status_of(erased, some, late_after=15, now=now) == "late"
    assert status_of(erased, some, late_after=20, now=now) == "waiting"
    assert status_of(now - timedelta(minutes=14), some, late_after=15, now=now) == "waiting"
    assert status_of(erased - timedelta(days=3), every, late_after=15, now=now) == "complete"
