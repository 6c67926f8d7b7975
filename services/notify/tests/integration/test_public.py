"""The public job board, vacancy pages, posters, reports, and the feeds and widgets of every
government unit, read back the way their readers do (feedparser for the feeds)."""

import json
import re
from datetime import datetime
from uuid import uuid4

import feedparser
import httpx
import pytest
from fastapi import FastAPI

from notify.config import Settings
from notify.domain.jobposting import missing_fields

from ..conftest import OPERATOR, publish, until
from ..factories import closed, published, updated

pytestmark = pytest.mark.integration
FEEDS = ("/feeds/kabupaten", "/feeds/kecamatan/32.16.21", "/feeds/desa/32.16.21.2001")


@pytest.fixture
async def two(app: FastAPI, settings: Settings):
    welder = published(
        title="Operator Las", work_kecamatan_kode="32.16.09", work_desa_kode="32.16.09.2004",
        contract_type="pkwt", outsourcing=False, kbji_code="7212.01",
        education={"minimum": 5, "track": "kejuruan"},
    )  # fmt: skip
    packer = published(
        title="Tenaga Pengemasan", work_kecamatan_kode="32.16.21",
        work_desa_kode="32.16.21.2001", contract_type="magang", outsourcing=True,
        kbji_code="9321.01", education={"minimum": 3}, company_verified=False,
    )  # fmt: skip
    await publish(settings.amqp_url, welder, packer)
    await until(lambda: _vacancies(app, 2))
    return welder, packer


async def _vacancies(app: FastAPI, n: int) -> bool:
    return await app.state.pool.fetchval("SELECT count(*) FROM vacancy") >= n


async def read(client: httpx.AsyncClient, url: str) -> feedparser.FeedParserDict:
    """RSS and Atom through feedparser (bozo 0). feedparser 6.0 reads no JSON Feed, so a JSON
    Feed is checked against the JSON Feed 1.1 rules and given feedparser's shape."""
    response = await client.get(url)
    assert response.status_code == 200, (url, response.text)
    if ".json" in url:
        assert response.headers["content-type"].startswith("application/feed+json")
        return json_feed(response.json())
    parsed = feedparser.parse(response.content)
    assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
    return parsed


def json_feed(document: dict) -> feedparser.FeedParserDict:
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(document["title"], str)
    assert document["title"]
    assert document["feed_url"].startswith("http")
    assert document["home_page_url"].startswith("http")
    assert set(document) <= {
        "version", "title", "home_page_url", "feed_url", "description", "user_comment",
        "next_url", "icon", "favicon", "authors", "language", "expired", "hubs", "items",
    }  # fmt: skip
    entries = []
    for item in document["items"]:
        assert isinstance(item["id"], str)
        assert item["id"]
        assert item.get("content_html") or item.get("content_text")
        datetime.fromisoformat(item["date_published"])
        datetime.fromisoformat(item["date_modified"])
        assert all(key in JSON_FEED_ITEM or key.startswith("_") for key in item), item.keys()
        entries.append(
            feedparser.FeedParserDict(
                title=item["title"], link=item["url"], description=item["content_html"]
            )
        )
    return feedparser.FeedParserDict(
        version="json11", entries=entries,
        feed=feedparser.FeedParserDict(title=document["title"], language=document["language"]),
    )  # fmt: skip


JSON_FEED_ITEM = {
    "id", "url", "external_url", "title", "content_html", "content_text", "summary", "image",
    "banner_image", "date_published", "date_modified", "authors", "tags", "language",
    "attachments",
}  # fmt: skip


def titles(parsed: feedparser.FeedParserDict) -> list[str]:
    return [entry.title.split(" – ")[0] for entry in parsed.entries]


async def test_every_unit_has_valid_rss_atom_and_json_feeds_nearest_first(
    client: httpx.AsyncClient, two
) -> None:
    welder, _packer = two
    for path in FEEDS:
        for fmt, version in (("rss", "rss20"), ("atom", "atom10"), ("json", "json11")):
            parsed = await read(client, f"{path}.{fmt}")
            assert parsed.version == version
            assert sorted(titles(parsed)) == ["Operator Las", "Tenaga Pengemasan"]
            assert parsed.feed.language == "id"
    desa = await read(client, "/feeds/desa/32.16.21.2001.rss")
    assert titles(desa) == ["Tenaga Pengemasan", "Operator Las"]  # its own kecamatan first
    assert desa.feed.title.startswith("Lowongan Kerja · Desa ")
    assert desa.feed.title.endswith(", Kec. Serang Baru")
    entry = next(e for e in desa.entries if e.title.startswith("Operator Las"))
    assert entry.link == f"http://notify.test/lowongan/{welder.vacancy_id}"
    assert "GRATIS, tanpa biaya" in entry.description
    assert "Perusahaan terverifikasi" in entry.description


async def test_feeds_filter_by_kecamatan_education_occupation_contract_and_outsourcing(
    client: httpx.AsyncClient, two
) -> None:
    cases = {
        "kecamatan=32.16.21": ["Tenaga Pengemasan"],
        "education=4": ["Tenaga Pengemasan"],
        "education=5": ["Operator Las", "Tenaga Pengemasan"],
        "occupation=7212": ["Operator Las"],
        "contract=pkwt": ["Operator Las"],
        "outsourcing=false": ["Operator Las"],
        "outsourcing=false&contract=magang": [],
    }
    for query, expected in cases.items():
        for fmt in ("rss", "json"):
            parsed = await read(client, f"/feeds/kabupaten.{fmt}?{query}")
            assert sorted(titles(parsed)) == expected, (query, fmt)


async def test_bad_filters_are_named_and_unknown_units_are_not_found(
    client: httpx.AsyncClient,
) -> None:
    for query, field in (
        ("education=11", "education"), ("kecamatan=32.16.99", "kecamatan"),
        ("contract=harian", "contract"), ("occupation=abc", "occupation"),
    ):  # fmt: skip
        response = await client.get(f"/feeds/kabupaten.rss?{query}")
        assert response.status_code == 422, query
        assert response.json()["detail"][0]["loc"] == ["query", field]
    for path in ("/feeds/desa/32.16.99.9999.rss", "/feeds/kecamatan/32.75.01.atom",
                 "/feeds/kabupaten.xml", "/widget/desa/32.16.09.9999"):  # fmt: skip
        assert (await client.get(path)).status_code == 404, path


async def test_feeds_answer_not_modified_until_something_changes(
    client: httpx.AsyncClient, settings: Settings, two, app: FastAPI
) -> None:
    welder, _ = two
    first = await client.get("/feeds/desa/32.16.09.2004.atom")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = await client.get("/feeds/desa/32.16.09.2004.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304
    since = await client.get(
        "/feeds/desa/32.16.09.2004.atom", headers={"If-Modified-Since": modified}
    )
    assert since.status_code == 304
    other = await client.get(
        "/feeds/desa/32.16.09.2004.atom?contract=pkwt", headers={"If-None-Match": etag}
    )
    assert other.status_code == 200
    await publish(settings.amqp_url, updated(welder, openings=3))
    await until(lambda: _changed(client, etag))


async def _changed(client: httpx.AsyncClient, etag: str) -> bool:
    response = await client.get("/feeds/desa/32.16.09.2004.atom", headers={"If-None-Match": etag})
    return response.status_code == 200


async def test_a_closed_vacancy_leaves_every_feed_widget_and_the_board(
    client: httpx.AsyncClient, settings: Settings, two, app: FastAPI
) -> None:
    _welder, packer = two
    for path in FEEDS:
        await read(client, f"{path}.rss")  # cached before the closing: must not be served stale
    await publish(settings.amqp_url, closed(packer.vacancy_id, "withdrawn"))
    await until(lambda: _closed(app))
    for path in FEEDS:
        for fmt in ("rss", "atom", "json"):
            assert titles(await read(client, f"{path}.{fmt}")) == ["Operator Las"], path
    for page in ("/", "/widget/desa/32.16.21.2001", "/widget/kabupaten"):
        text = (await client.get(page)).text
        assert "Operator Las" in text
        assert "Tenaga Pengemasan" not in text
    gone = await client.get(f"/lowongan/{packer.vacancy_id}")
    assert gone.status_code == 410
    assert "sudah ditutup" in gone.text
    assert "ditarik" in gone.text
    assert (await client.get(f"/lowongan/{packer.vacancy_id}/poster")).status_code == 410
    assert (await client.get(f"/lowongan/{uuid4()}")).status_code == 404


async def _closed(app: FastAPI) -> bool:
    sql = "SELECT count(*) FROM vacancy WHERE closed_at IS NOT NULL"
    return await app.state.pool.fetchval(sql) >= 1


async def test_a_vacancy_page_carries_a_valid_jobposting_and_the_trust_marks(
    client: httpx.AsyncClient, two
) -> None:
    welder, packer = two
    response = await client.get(f"/lowongan/{welder.vacancy_id}")
    assert response.status_code == 200
    [script] = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', response.text, re.S
    )
    posting = json.loads(script)
    assert missing_fields(posting) == []
    assert posting["@context"] == "https://schema.org/"
    assert posting["@type"] == "JobPosting"
    assert posting["title"] == "Operator Las"
    assert posting["hiringOrganization"]["name"] == welder.company_name
    assert posting["jobLocation"]["address"]["addressCountry"] == "ID"
    assert posting["datePosted"] == welder.published_at.date().isoformat()
    assert posting["validThrough"].startswith(welder.valid_until.isoformat())
    assert posting["employmentType"] == ["FULL_TIME", "TEMPORARY"]
    assert posting["baseSalary"]["currency"] == "IDR"
    assert "Gratis, tanpa biaya" in response.text
    assert "Perusahaan terverifikasi" in response.text
    assert f"/lowongan/{welder.vacancy_id}/laporkan" in response.text
    other = await client.get(f"/lowongan/{packer.vacancy_id}")
    assert "Perusahaan terverifikasi" not in other.text


async def test_the_board_shows_every_open_vacancy_free_of_charge_with_filters(
    client: httpx.AsyncClient, two
) -> None:
    board = await client.get("/")
    assert board.status_code == 200
    assert board.text.count('class="badge free-tag">Gratis, tanpa biaya') == 2
    assert board.text.count("Laporkan lowongan ini") == 2
    assert board.text.count("✔ Terverifikasi") == 1
    narrowed = await client.get("/", params={"kecamatan": "", "outsourcing": "false"})
    assert "Operator Las" in narrowed.text
    assert "Tenaga Pengemasan" not in narrowed.text


async def test_the_poster_is_a4_with_a_qr_code_to_the_vacancy(
    client: httpx.AsyncClient, two
) -> None:
    welder, _ = two
    poster = await client.get(f"/lowongan/{welder.vacancy_id}/poster")
    assert poster.status_code == 200
    assert "size: A4" in poster.text
    assert '<svg viewBox="0 0' in poster.text
    assert "GRATIS, TANPA BIAYA" in poster.text
    assert f"http://notify.test/lowongan/{welder.vacancy_id}" in poster.text


async def test_the_widget_can_sit_in_any_village_site(client: httpx.AsyncClient, two) -> None:
    widget = await client.get("/widget/desa/32.16.09.2004", params={"limit": 1})
    assert widget.status_code == 200
    assert "frame-ancestors *" in widget.headers["content-security-policy"]
    assert "x-frame-options" not in widget.headers
    assert "<script" not in widget.text
    assert "Desa Waluya" in widget.text
    assert widget.text.count("/lowongan/") == 1
    assert "Lihat semua lowongan (2)" in widget.text


async def test_a_report_is_stored_for_operators_and_bad_input_is_named(
    client: httpx.AsyncClient, two
) -> None:
    welder, _ = two
    form = await client.get(f"/lowongan/{welder.vacancy_id}/laporkan")
    assert form.status_code == 200
    assert 'name="reason"' in form.text
    url = f"/lowongan/{welder.vacancy_id}/laporkan"
    bad = await client.post(url, data={"reason": "bosan", "details": "x"})
    assert bad.status_code == 422
    assert "reason:" in bad.text
    long = await client.post(url, data={"reason": "fake", "details": "x" * 2001})
    assert long.status_code == 422
    assert "details:" in long.text
    done = await client.post(url, data={"reason": "asked_to_pay", "details": "Diminta Rp 3 juta"})
    assert done.status_code == 201
    assert (
        await client.post(f"/lowongan/{uuid4()}/laporkan", data={"reason": "fake"})
    ).status_code == 404
    [report] = (await client.get("/reports", headers=OPERATOR)).json()
    assert (report["vacancy_id"], report["reason"], report["status"]) == (
        str(welder.vacancy_id), "asked_to_pay", "new",
    )  # fmt: skip
    reviewed = await client.patch(
        f"/reports/{report['report_id']}", json={"status": "actioned", "note": "diteruskan"},
        headers=OPERATOR,
    )  # fmt: skip
    assert reviewed.json()["status"] == "actioned"
    assert (await client.get("/reports?status=new", headers=OPERATOR)).json() == []
    assert (await client.get("/reports")).status_code == 401
