"""Demo of notify, called by the run command after every service is ready: it adds nothing.

The job board, the feeds and the widgets show whatever vacancies the vacancies demo published,
and residents' messages follow its matches (in development no WhatsApp, SMS or SMTP provider is
configured, so the delivery log records them as skipped, `no_channel`). No agency channel is
registered, since a webhook pointing at nothing would only fill the log with retries: this prints
how an operator, or an agency with its own API key, adds one, and where to look.
"""

import httpx

BASE_URL = "http://127.0.0.1:8004"
WALUYA = "32.16.09.2004"  # Desa Waluya, Kecamatan Cikarang Utara


def seed(env: dict[str, str], base_url: str = BASE_URL) -> None:
    token = env["OPERATOR_TOKEN"]
    public = env.get("NOTIFY_PUBLIC_URL", base_url).rstrip("/")
    with httpx.Client(base_url=base_url, timeout=30) as http:
        feed = http.get("/feeds/kabupaten.json").raise_for_status().json()
        log = http.get(
            "/deliveries", params={"limit": 1}, headers={"Authorization": f"Bearer {token}"}
        ).raise_for_status()
    print(
        f"demo: job board {public}/; the regency's feed carries the {len(feed['items'])} newest"
        f" open vacancies; {log.json()['total']} resident messages logged (skipped: no provider"
        " in development)"
    )
    print(f"demo: feeds {public}/feeds/kabupaten.rss, /feeds/kecamatan/32.16.09.atom,")
    print(f"      /feeds/desa/{WALUYA}.json; widget for an OpenSID page:")
    print(
        f'      <iframe src="{public}/widget/desa/{WALUYA}" width="100%" height="460"'
        ' style="border:0" loading="lazy" title="Lowongan kerja"></iframe>'
    )
    print(
        "demo: to push vacancies to an agency's system, register its webhook (the answer holds"
        " its signing secret, once):\n"
        f"      curl -X POST {base_url}/channels -H 'Authorization: Bearer {token}'"
        ' -H \'Content-Type: application/json\' -d \'{"name": "Diskominfo",'
        ' "url": "https://agency.example/hooks/lowongan",'
        ' "events": ["vacancy_published", "vacancy_closed"]}\''
    )
    print(
        "demo: or give the agency its own key (shown once) and let it register and manage its own"
        " channels with it:\n"
        f"      curl -X POST {base_url}/api-keys -H 'Authorization: Bearer {token}'"
        ' -H \'Content-Type: application/json\' -d \'{"role": "agency", "label": "Diskominfo"}\''
    )
