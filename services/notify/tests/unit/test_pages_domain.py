"""A vacancy as residents and search engines read it, and the feeds built from it."""

import feedparser

from kerjalokal.events.vacancies import VacancyPublishedV1
from notify.domain.jobposting import job_posting, missing_fields
from notify.domain.listing import Listing
from notify.feeds import Feed, render
from notify.services import social_text, webhook_body
from notify.views import json_ld

VACANCY = VacancyPublishedV1.example()


def listing() -> Listing:
    assert isinstance(VACANCY, VacancyPublishedV1)
    return Listing(VACANCY)


def test_labels_are_in_bahasa_indonesia() -> None:
    item = listing()
    assert item.wage == "Rp 5.558.515 – Rp 6.000.000 per bulan"
    assert item.contract == "Kontrak (PKWT), 12 bulan"
    assert item.education == "Minimal SMK"
    assert item.age == "18–35 tahun"
    assert item.kecamatan == "Tambelang"


def test_the_jobposting_has_every_field_search_engines_require() -> None:
    posting = job_posting(listing(), url="https://l.test/lowongan/1")
    assert missing_fields(posting) == []
    assert posting["employmentType"] == ["FULL_TIME", "TEMPORARY"]
    assert posting["baseSalary"]["value"] == {
        "@type": "QuantitativeValue", "unitText": "MONTH", "minValue": 5558515,
        "maxValue": 6000000,
    }  # fmt: skip
    assert missing_fields({"title": "x"}) == [
        "description", "datePosted", "hiringOrganization", "jobLocation",
        "hiringOrganization.name", "jobLocation.address.addressCountry",
    ]  # fmt: skip


def test_json_ld_cannot_close_its_script_element() -> None:
    text = json_ld({"description": "</script><script>alert(1)</script> & more"})
    assert "</script>" not in text
    assert "<" not in text


def test_rss_and_atom_parse_cleanly_and_say_free_of_charge() -> None:
    item = listing()
    feed = Feed(
        title="Lowongan Kerja · Kabupaten Bekasi", description="d", home_url="https://l.test/",
        self_url="https://l.test/feeds/kabupaten.rss", updated=VACANCY.published_at,
        listings=[item], page_url="https://l.test/lowongan/{id}",
    )  # fmt: skip
    for fmt, version in (("rss", "rss20"), ("atom", "atom10")):
        parsed = feedparser.parse(render(feed, fmt))
        assert (parsed.bozo, parsed.version) == (0, version)
        [entry] = parsed.entries
        assert entry.link == f"https://l.test/lowongan/{item.id}"
        assert "GRATIS, tanpa biaya" in entry.description


def test_agencies_get_a_ready_to_post_text_with_the_official_link() -> None:
    body = webhook_body(
        VACANCY, listing=listing(), public_url="https://l.test", now=VACANCY.published_at
    )  # type: ignore[arg-type]
    text = social_text(VACANCY, listing=listing(), page="P", board="B")  # type: ignore[arg-type]
    assert text.startswith("LOWONGAN KERJA: Operator Las (Welder) – PT Contoh")
    assert "GRATIS, tanpa biaya" in text
    assert "Daftar: P" in text
    assert '"lowongan":"https://l.test/lowongan/' in body
