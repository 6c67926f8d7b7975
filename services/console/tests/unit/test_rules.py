"""The console's rules without I/O: working days, campaign arithmetic, topics, agencies, dead
letters, queue warnings, charts."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from console import charts
from console.domain import agencies, deadletters, health, workdays
from console.domain.campaign import Campaign, pace_line, progress
from console.domain.topics import matches
from console.report import Row, month_bounds
from console.stream import parse_offset
from kerjalokal.events import EVENT_TYPES


def test_working_days_skip_weekends_holidays_and_cuti_bersama() -> None:
    # Idul Fitri 2025: 31 Mar and 1 Apr, cuti bersama 28 Mar (Nyepi), 2, 3, 4 and 7 Apr
    assert workdays.working_days_between(date(2025, 3, 24), date(2025, 4, 11)) == 8
    assert [d for d, _ in workdays.holidays_between(date(2025, 3, 24), date(2025, 4, 11))] == [
        date(2025, 3, 28),
        date(2025, 3, 31),
        date(2025, 4, 1),
        date(2025, 4, 2),
        date(2025, 4, 3),
        date(2025, 4, 4),
        date(2025, 4, 7),
    ]
    assert workdays.holiday_name(date(2025, 4, 2)) == "Cuti Bersama Hari Raya Idul Fitri"
    assert workdays.is_working_day(date(2025, 4, 8))
    assert not workdays.is_working_day(date(2025, 4, 5))  # a Saturday


@pytest.mark.parametrize("year", [2026, 2027])
def test_the_current_and_next_year_are_covered(year: int) -> None:
    names = [n for _, n in workdays.holidays_between(date(year, 1, 1), date(year, 12, 31))]
    assert any("Idul Fitri" in n for n in names)
    assert any("Cuti Bersama" in n for n in names)
    assert workdays.holiday_name(date(year, 8, 17)) == "Hari Kemerdekaan Republik Indonesia"


def test_the_deadline_is_the_nth_working_day() -> None:
    assert workdays.nth_working_day(date(2026, 11, 2), 1) == date(2026, 11, 2)
    assert workdays.nth_working_day(date(2026, 11, 7), 1) == date(2026, 11, 9)  # Sat -> Mon
    assert workdays.nth_working_day(date(2026, 11, 2), 100) == date(2027, 4, 7)
    with pytest.raises(ValueError):
        workdays.nth_working_day(date(2026, 11, 2), 0)


def test_progress_run_rate_needed_rate_and_projection() -> None:
    campaign = Campaign("c", "100 hari", 3000, date(2026, 11, 2), 100)
    p = progress(campaign, placed=480, hires=600, today=date(2026, 11, 27))  # a Friday
    assert (p.elapsed, p.remaining) == (20, 80)
    assert p.run_rate == 24.0
    assert p.needed_rate == pytest.approx(2520 / 80)
    assert p.projection == 480 + 24 * 80
    assert not p.on_track
    assert p.local_share == 80.0
    assert p.percent == 16.0
    late = progress(campaign, placed=2999, hires=3000, today=date(2028, 1, 1))
    assert (late.elapsed, late.remaining, late.needed_rate) == (100, 0, None)
    done = progress(campaign, placed=3000, hires=3000, today=date(2026, 12, 1))
    assert done.needed_rate == 0.0
    assert done.on_track
    before = progress(campaign, placed=0, hires=0, today=date(2026, 10, 1))
    assert (before.elapsed, before.run_rate, before.local_share) == (0, 0.0, None)
    pace = pace_line(campaign, upto=date(2030, 1, 1))
    assert len(pace) == 100
    assert pace[-1] == (campaign.deadline, 3000.0)


@pytest.mark.parametrize(
    ("pattern", "key", "expected"),
    [
        ("#", "a.b.c", True),
        ("vacancies.#", "vacancies.vacancy_published.v1", True),
        ("vacancies.#", "vacancies", True),
        ("*.resident_hired.*", "vacancies.resident_hired.v1", True),
        ("*.resident_hired.*", "vacancies.resident_hired", False),
        ("a.#.b", "a.b", True),
        ("a.#.b", "a.x.y.b", True),
        ("a.#.b", "a.x.y.c", False),
        ("registry.*", "registry.a.v1", False),
        ("", "any.thing", True),
    ],
)
def test_topic_patterns_match_as_the_broker_does(pattern: str, key: str, expected: bool) -> None:
    assert matches(pattern, key) is expected


def test_agency_permissions_allow_only_its_queue_and_given_keys() -> None:
    access = agencies.access(
        "desa-waluya",
        [
            "vacancies.vacancy_published.v1",
            "vacancies.vacancy_closed.v1",
            "vacancies.vacancy_published.v1",
        ],
    )
    assert access.event_types == ("vacancies.vacancy_closed.v1", "vacancies.vacancy_published.v1")
    configure, write, read = access.vhost_permissions()
    assert re.match(configure, "agency.desa-waluya.events")
    assert not re.match(configure, "agency.desa-waluyax.events")
    assert not re.match(write, "kerjalokal.events")
    assert not re.match(write, "amq.default")
    assert re.match(read, "kerjalokal.events")
    assert not re.match(read, "kerjalokal.events.log")
    assert not re.match(read, "kerjalokal.restricted")
    assert not re.match(read, "agency.bps.events")
    topic_write, topic_read = access.topic_permissions()
    assert topic_write == "^$"
    assert re.match(topic_read, "vacancies.vacancy_published.v1")
    assert not re.match(topic_read, "vacancies.vacancy_publishedXv1")  # dots are escaped
    assert not re.match(topic_read, "#")
    assert not re.match(topic_read, "registry.resident_registered.v1")


def test_public_types_exclude_registry_and_restricted_events() -> None:
    public = agencies.available_event_types()
    assert "vacancies.vacancy_published.v1" in public
    assert not any(t.startswith("registry.") for t in public)
    assert not any(EVENT_TYPES[t].RESTRICTED for t in public)
    for name, events, field in (
        ("X", ["vacancies.vacancy_published.v1"], "name"),
        ("ok-name", [], "events"),
        ("ok-name", ["registry.resident_registered.v1"], "events"),
    ):
        with pytest.raises(agencies.AgencyRefused) as refused:
            agencies.access(name, events)
        assert refused.value.field == field


def test_dead_letter_headers_of_the_chassis_and_of_the_broker() -> None:
    ours = deadletters.failure(
        {
            "x-kerjalokal-reason": "unreadable",
            "x-kerjalokal-error": "hire_id: Field required",
            "x-kerjalokal-queue": "registry.resident_hired",
            "x-kerjalokal-attempts": 1,
            "x-kerjalokal-routing-key": "vacancies.resident_hired.v1",
            "x-kerjalokal-failed-at": "2026-11-28T10:00:00+00:00",
        },
        arrived_from="registry.resident_hired",
    )
    assert (ours.queue, ours.reason, ours.attempts) == ("registry.resident_hired", "unreadable", 1)
    assert ours.failed_at == datetime(2026, 11, 28, 10, tzinfo=UTC)
    broker = deadletters.failure(
        {
            "x-first-death-reason": "delivery_limit",
            "x-first-death-queue": "notify.vacancy_published",
            "x-death": [
                {
                    "count": 20,
                    "queue": "notify.vacancy_published",
                    "reason": "delivery_limit",
                    "routing-keys": ["vacancies.vacancy_published.v1"],
                    "time": datetime(2026, 11, 28, tzinfo=UTC),
                }
            ],
        },
        arrived_from="x",
    )
    assert (broker.queue, broker.reason, broker.attempts) == (
        "notify.vacancy_published",
        "delivery_limit",
        20,
    )
    assert broker.routing_key == "vacancies.vacancy_published.v1"
    kept = deadletters.replay_headers(
        {
            "ce-id": "1",
            "x-death": [],
            "x-kerjalokal-reason": "x",
            "x-first-death-queue": "q",
            "x-delivery-count": 3,
        }
    )
    assert kept == {"ce-id": "1"}
    a = deadletters.fingerprint(queue="q", message_id="m", failed_at=None, body=b"{}")
    assert a == deadletters.fingerprint(queue="q", message_id="m", failed_at=None, body=b"{}")
    assert a != deadletters.fingerprint(
        queue="q", message_id="m", failed_at=ours.failed_at, body=b"{}"
    )


def test_queue_warnings() -> None:
    t0 = datetime(2026, 11, 28, tzinfo=UTC)

    def samples(depths: list[int], consumers: int = 1) -> list[health.Sample]:
        return [
            health.Sample(t0 + timedelta(minutes=i), d, consumers) for i, d in enumerate(depths)
        ]

    growing = health.assess("notify.vacancy_published", samples([1, 2, 2, 5, 9]))
    assert growing.warnings == ("Terus bertambah / keeps growing",)
    assert growing.per_minute == 2.0
    assert health.assess("notify.x", samples([5, 6, 4, 7, 9])).warnings == ()
    assert health.assess("notify.x", samples([3, 3, 3, 3, 3])).warnings == ()
    idle = health.assess("notify.x", samples([0], consumers=0))
    assert idle.warnings == ("Tanpa konsumen / no consumer",)
    assert idle.per_minute is None
    assert health.assess("registry.dlq", samples([0], consumers=0)).warnings == ()
    assert health.assess("kerjalokal.unrouted", samples([4], consumers=0)).warnings == ()


def test_charts_escape_labels_and_carry_their_numbers() -> None:
    svg = str(charts.bars([("PT <Jaya> & Co", 12.0), ("PT B", 3.0)], label="a & b", marker=30))
    assert "&lt;Jaya&gt; &amp; Co" in svg
    assert "<Jaya>" not in svg
    assert 'aria-label="a &amp; b"' in svg
    assert ">12<" in svg
    assert "stroke-dasharray" in svg
    assert "Belum ada data" in str(charts.bars([], label="x"))
    assert "480 / 3.000 (16,0%)" in str(charts.progress(480, 3000, label="p"))


def test_report_rows_balance_and_months_are_wib() -> None:
    seekers = Row(
        "total",
        "",
        "Jumlah",
        {"start": 10, "registered": 5, "reactivated": 1, "placed": 3, "removed": 2, "end": 11},
    )
    assert seekers.balances("seekers")
    assert not Row("total", "", "", seekers.figures | {"end": 12}).balances("seekers")
    start, end = month_bounds(date(2026, 12, 15))
    assert start.isoformat() == "2026-12-01T00:00:00+07:00"
    assert end.isoformat() == "2027-01-01T00:00:00+07:00"


def test_stream_offsets() -> None:
    assert parse_offset("first") == "first"
    assert parse_offset("15m") == "15m"
    assert parse_offset("1234") == 1234
    assert parse_offset("2026-11-28T10:00:00") == datetime(2026, 11, 28, 10, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_offset("kemarin")
