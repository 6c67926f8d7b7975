"""Rate limits on the public pages, feeds, widgets and the residents' and readers' forms (per
client address, from the settings), and the security headers of every HTML page."""

import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import FastAPI

from notify.config import Settings
from notify.domain.keys import opt_out_token

from ..conftest import OPT_OUT_KEY, publish, until
from ..factories import published

pytestmark = pytest.mark.integration


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {"NOTIFY_RATE_FEEDS": "3/minute", "NOTIFY_RATE_PAGES": "4/minute",
            "NOTIFY_RATE_ACTIONS": "2/minute"}  # fmt: skip


@pytest.fixture
async def neighbour(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A reader at another address."""
    transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://notify.test") as http:
        yield http


async def test_feeds_and_widgets_are_limited_per_address_with_retry_after(
    client: httpx.AsyncClient, neighbour: httpx.AsyncClient
) -> None:
    for url in ("/feeds/kabupaten.rss", "/feeds/desa/32.16.09.2004.json", "/widget/kabupaten"):
        assert (await client.get(url)).status_code == 200
    for url in ("/feeds/kabupaten.atom", "/widget/desa/32.16.09.2004"):
        refused = await client.get(url)
        assert refused.status_code == 429
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        assert "Terlalu banyak permintaan" in refused.json()["detail"]
    assert (await neighbour.get("/feeds/kabupaten.rss")).status_code == 200
    assert (await client.get("/")).status_code == 200  # pages count apart from feeds


async def test_pages_and_forms_are_limited(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    vacancy = published()
    await publish(settings.amqp_url, vacancy)
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM vacancy"))
    page = f"/lowongan/{vacancy.vacancy_id}"
    statuses = [(await client.get(url)).status_code for url in ("/", page, f"{page}/poster")]
    assert statuses == [200, 200, 200]
    assert (await client.get(f"{page}/laporkan")).status_code == 200
    limited = await client.get("/")
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    token = opt_out_token(OPT_OUT_KEY.encode(), uuid4())
    answers = [(await client.post(f"/berhenti/{token}")).status_code for _ in range(2)]
    assert answers == [200, 200]
    assert (await client.post(f"{page}/laporkan", data={"reason": "fake"})).status_code == 429
    assert (await client.get(f"/berhenti/{token}")).status_code == 429


async def _pages(app: FastAPI, client: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    vacancy = published()
    await publish(settings.amqp_url, vacancy)
    await until(lambda: app.state.pool.fetchval("SELECT count(*) = 1 FROM vacancy"))
    page = f"/lowongan/{vacancy.vacancy_id}"
    token = opt_out_token(OPT_OUT_KEY.encode(), uuid4())
    urls = ("/", page, f"{page}/poster", f"{page}/laporkan", f"/berhenti/{token}",
            f"/lowongan/{uuid4()}", "/feeds/desa/99.99.99.9999.rss")  # fmt: skip
    return {url: await client.get(url) for url in urls}


@pytest.mark.parametrize("overrides", [{}])
async def test_every_html_page_has_the_security_headers_and_runs_no_inline_script(
    app: FastAPI, client: httpx.AsyncClient, settings: Settings
) -> None:
    pages = await _pages(app, client, settings)
    for url, response in pages.items():
        assert response.headers["content-type"].startswith("text/html"), url
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp, url
        assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0], url
        assert "frame-ancestors 'none'" in csp, url
        assert response.headers["x-frame-options"] == "DENY", url
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert "strict-transport-security" in response.headers, url
        for tag in re.findall(r"<script[^>]*>", response.text):
            # data blocks are not executed; executable scripts come from files of this site
            assert 'type="application/ld+json"' in tag or re.search(r'src="[^"]+"', tag), (url, tag)
        assert not re.search(r"\son[a-z]+=", response.text), url  # no inline event handlers
    vacancy_page = next(
        r for u, r in pages.items() if u.startswith("/lowongan/") and u.count("/") == 2
    )
    assert '<script type="application/ld+json">' in vacancy_page.text  # the job board's JSON-LD
    poster = next(r for u, r in pages.items() if u.endswith("/poster"))
    script = re.search(r'<script src="http://notify.test(/static/[a-z]+\.js)"', poster.text)
    assert script is not None
    served = await client.get(script.group(1))
    assert served.status_code == 200
    assert "window.print()" in served.text


@pytest.mark.parametrize("overrides", [{}])
async def test_the_widget_stays_embeddable_and_feeds_get_the_plain_headers(
    client: httpx.AsyncClient,
) -> None:
    for url in ("/widget/kabupaten", "/widget/desa/32.16.09.2004"):
        widget = await client.get(url)
        assert widget.status_code == 200
        assert "x-frame-options" not in widget.headers
        assert "frame-ancestors *" in widget.headers["content-security-policy"]
        assert "<script" not in widget.text
        assert widget.headers["x-content-type-options"] == "nosniff"
    feed = await client.get("/feeds/kabupaten.rss")
    assert feed.headers["x-content-type-options"] == "nosniff"
    assert "x-frame-options" not in feed.headers
