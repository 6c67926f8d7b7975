"""The feeds every government unit can show: RSS 2.0 and Atom (feedgen) and JSON Feed 1.1.

Every feed (the regency's, each kecamatan's, each desa's) lists every open vacancy of the
regency, nearest first for a unit's own feed; readers narrow it with query parameters. Closed
vacancies are never in a feed."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator
from markupsafe import escape
from pydantic import BaseModel, ConfigDict, Field

from .domain.listing import Listing

MEDIA_TYPES = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
    "json": "application/feed+json; charset=utf-8",
}
PUBLISHER = "Dinas Ketenagakerjaan Kabupaten Bekasi"


class Author(BaseModel):
    name: str
    url: str | None = None


class JsonFeedItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    url: str
    title: str
    content_html: str
    content_text: str
    summary: str
    date_published: datetime
    date_modified: datetime
    tags: list[str]
    kerjalokal: dict[str, Any] = Field(serialization_alias="_kerjalokal")


class JsonFeed(BaseModel):
    version: str = "https://jsonfeed.org/version/1.1"
    title: str
    home_page_url: str
    feed_url: str
    description: str
    language: str = "id"
    authors: list[Author]
    items: list[JsonFeedItem]


@dataclass(frozen=True)
class Feed:
    """One feed's identity and content, whatever its format."""

    title: str
    description: str
    home_url: str
    self_url: str
    updated: datetime
    listings: Sequence[Listing]
    page_url: str  # the vacancy page, `{id}` filled in


def item_html(listing: Listing) -> str:
    vacancy = listing.vacancy
    verified = " ✔ Perusahaan terverifikasi" if vacancy.company_verified else ""
    outsourcing = "Ya (yayasan/alih daya)" if vacancy.outsourcing else "Tidak, langsung perusahaan"
    rows = (
        ("Perusahaan", f"{vacancy.company_name}{verified}"),
        ("Lokasi", listing.place),
        ("Kebutuhan", f"{vacancy.openings} orang"),
        ("Kontrak", listing.contract),
        ("Outsourcing", outsourcing),
        ("Gaji", listing.wage),
        ("Pendidikan", listing.education),
        ("Berlaku s.d.", listing.valid_until),
    )
    table = "".join(f"<li><b>{escape(k)}:</b> {escape(v)}</li>" for k, v in rows)
    return (
        f"<p>{escape(vacancy.description)}</p><ul>{table}</ul>"
        "<p><b>GRATIS, tanpa biaya.</b> Jangan membayar siapa pun untuk melamar.</p>"
    )


def item_text(listing: Listing) -> str:
    return (
        f"{listing.headline}. {listing.contract}. {listing.wage}. {listing.education}."
        f" Berlaku s.d. {listing.valid_until}. GRATIS, tanpa biaya."
    )


def _tags(listing: Listing) -> list[str]:
    vacancy = listing.vacancy
    tags = [f"kec:{listing.kecamatan}", f"kontrak:{vacancy.contract_type}", vacancy.kbji_code]
    if vacancy.company_verified:
        tags.append("terverifikasi")
    if vacancy.disability_friendly:
        tags.append("ramah-disabilitas")
    return tags


def render(feed: Feed, fmt: str) -> bytes:
    if fmt == "json":
        return _json_feed(feed)
    generator = FeedGenerator()
    generator.id(feed.self_url)
    generator.title(feed.title)
    generator.subtitle(feed.description)
    generator.link(href=feed.self_url, rel="self")
    generator.link(href=feed.home_url, rel="alternate")  # the last link is RSS's <link>
    generator.language("id")
    generator.author({"name": PUBLISHER})
    generator.updated(feed.updated)
    generator.lastBuildDate(feed.updated)
    generator.generator("Kerja Lokal notify")
    for listing in feed.listings:
        url = feed.page_url.format(id=listing.id)
        vacancy = listing.vacancy
        entry = generator.add_entry(order="append")
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(listing.headline)
        entry.link(href=url)
        entry.description(item_html(listing))
        entry.summary(item_text(listing))
        entry.published(vacancy.published_at)
        entry.updated(listing.changed_at or vacancy.published_at)
        for tag in _tags(listing):
            entry.category(term=tag)
    if fmt == "atom":
        return bytes(generator.atom_str(pretty=False))
    return bytes(generator.rss_str(pretty=False))


def _json_feed(feed: Feed) -> bytes:
    items = []
    for listing in feed.listings:
        url = feed.page_url.format(id=listing.id)
        vacancy = listing.vacancy
        items.append(
            JsonFeedItem(
                id=url,
                url=url,
                title=listing.headline,
                content_html=item_html(listing),
                content_text=item_text(listing),
                summary=item_text(listing),
                date_published=vacancy.published_at,
                date_modified=listing.changed_at or vacancy.published_at,
                tags=_tags(listing),
                kerjalokal={
                    "vacancy_id": str(listing.id),
                    "company": vacancy.company_name,
                    "company_verified": vacancy.company_verified,
                    "kecamatan_kode": vacancy.work_kecamatan_kode,
                    "desa_kode": vacancy.work_desa_kode,
                    "contract_type": vacancy.contract_type,
                    "outsourcing": vacancy.outsourcing,
                    "valid_until": vacancy.valid_until.isoformat(),
                    "free_of_charge": True,
                },
            )
        )
    document = JsonFeed(
        title=feed.title,
        home_page_url=feed.home_url,
        feed_url=feed.self_url,
        description=feed.description,
        authors=[Author(name=PUBLISHER)],
        items=items,
    )
    return document.model_dump_json(by_alias=True, exclude_none=True).encode()
