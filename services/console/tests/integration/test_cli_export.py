"""`kerjalokal export` and `kerjalokal keys` as operators run them: a real process calling real
local HTTP servers that answer as the services do."""

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.integration
TOKEN = "cli-operator"
SERVICES = ("registry", "vacancies", "training", "notify")


@dataclass
class FakeService:
    """One service's export and key endpoints, on a real socket."""

    name: str
    exports: dict[str, Any] = field(default_factory=dict)  # resident id -> data
    fail_with: int | None = None
    requests: list[tuple[str, str, dict[str, list[str]], str]] = field(default_factory=list)
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _answer(self, status: int, body: Any = None) -> None:
                raw = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                if body is not None:
                    self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _handle(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                auth = self.headers.get("Authorization", "")
                service.requests.append((method, parts.path, query, auth))
                if auth != f"Bearer {TOKEN}":
                    return self._answer(401, {"detail": "Butuh kunci API yang sah"})
                if service.fail_with:
                    return self._answer(service.fail_with, {"detail": "rusak / broken"})
                segments = parts.path.strip("/").split("/")
                if method == "GET" and len(segments) == 3 and segments[2] == "export":
                    resident = segments[1]
                    if resident not in service.exports:
                        return self._answer(404, {"detail": "Tidak ditemukan / not found"})
                    return self._answer(
                        200,
                        {
                            "service": service.name,
                            "resident_id": resident,
                            "exported_at": "2026-11-30T07:00:00+00:00",
                            "data": service.exports[resident],
                        },
                    )
                if parts.path == "/api-keys" and method == "POST":
                    if body["role"] not in ("operator", "company", "agency"):
                        detail = [{"loc": ["body", "role"], "msg": "no such role"}]
                        return self._answer(422, {"detail": detail})
                    key_id = uuid.uuid4().hex[:8]
                    record = {
                        "key_id": key_id,
                        "role": body["role"],
                        "label": body["label"],
                        "scope": body["scope"],
                        "created_by": "operator:disnaker",
                        "created_at": "2026-11-30T07:00:00+00:00",
                        "expires_at": "2027-02-28T07:00:00+00:00",
                        "revoked_at": None,
                        "last_used_at": None,
                    }
                    service.keys[key_id] = record
                    secret = "s" * 43
                    return self._answer(201, record | {"key": f"kl_x_{key_id}_{secret}"})
                if parts.path == "/api-keys" and method == "GET":
                    return self._answer(200, list(service.keys.values()))
                if parts.path.startswith("/api-keys/") and method == "DELETE":
                    if service.keys.pop(segments[1], None) is None:
                        return self._answer(404, {"detail": "Tidak ditemukan / not found"})
                    return self._answer(204)
                return self._answer(404, {"detail": "Tidak ditemukan / not found"})

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

            def do_DELETE(self) -> None:
                self._handle("DELETE")

        return Handler


@pytest.fixture
def services() -> Iterator[dict[str, FakeService]]:
    fakes = {name: FakeService(name) for name in SERVICES}
    threads = []
    for fake in fakes.values():
        fake.server = ThreadingHTTPServer(("127.0.0.1", 0), fake.handler())
        thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
        thread.start()
        threads.append(thread)
    try:
        yield fakes
    finally:
        for fake in fakes.values():
            assert fake.server
            fake.server.shutdown()
            fake.server.server_close()
        for thread in threads:
            thread.join(5)


@pytest.fixture
def kerjalokal(services, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.endswith("_URL")} | {
        "OPERATOR_TOKEN": TOKEN,
        "COLUMNS": "200",
    }
    env |= {f"{name.upper()}_URL": fake.url for name, fake in services.items()}
    env["CONSOLE_URL"] = services["registry"].url  # any fake: `keys --service console`

    async def run(*args: str) -> subprocess.CompletedProcess[str]:
        return await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "console.cli", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


async def test_export_combines_every_service_and_a_404_is_null(
    kerjalokal, services, tmp_path: Path
) -> None:
    resident = str(uuid.uuid4())
    services["registry"].exports[resident] = {"resident": {"name": "Siti"}, "history": []}
    services["vacancies"].exports[resident] = {"applications": [], "hires": []}
    services["training"].exports[resident] = {"enrollments": []}
    out = tmp_path / "ekspor" / "warga.json"
    done = await kerjalokal(
        "export", resident, "--purpose", "permintaan warga no. 12", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    assert document["resident_id"] == resident
    assert document["exported_at"]
    assert set(document["services"]) == set(SERVICES)
    assert document["services"]["notify"] is None
    registry = document["services"]["registry"]
    assert registry["service"] == "registry"
    assert registry["data"]["resident"]["name"] == "Siti"
    assert document["services"]["training"]["data"] == {"enrollments": []}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600  # personal data: the operator's only
    for fake in services.values():
        [(method, path, query, auth)] = fake.requests
        assert (method, path) == ("GET", f"/residents/{resident}/export")
        assert query == {"purpose": ["permintaan warga no. 12"]}
        assert auth == f"Bearer {TOKEN}"
    assert "3 dari 4 layanan menyimpan data" in done.stdout
    assert "3 of 4 services hold data" in done.stdout
    assert "Siti" not in done.stdout  # the summary names no personal data


async def test_export_writes_nothing_when_a_service_fails(
    kerjalokal, services, tmp_path: Path
) -> None:
    resident = str(uuid.uuid4())
    out = tmp_path / "warga.json"
    services["training"].fail_with = 500
    failed = await kerjalokal("export", resident, "--purpose", "permintaan", "--out", str(out))
    assert failed.returncode == 1
    assert "training: HTTP 500" in failed.stderr
    assert not out.exists()
    services["training"].fail_with = None
    assert services["notify"].server
    services["notify"].server.shutdown()
    services["notify"].server.server_close()
    unreachable = await kerjalokal("export", resident, "--purpose", "permintaan", "--out", str(out))
    assert unreachable.returncode == 1
    assert "notify" in unreachable.stderr
    assert not out.exists()
    bad = await kerjalokal("export", "bukan-uuid", "--purpose", "permintaan", "--out", str(out))
    assert bad.returncode == 2
    no_purpose = await kerjalokal("export", resident, "--out", str(out))
    assert no_purpose.returncode == 2


async def test_export_of_a_resident_nobody_holds(kerjalokal, tmp_path: Path) -> None:
    out = tmp_path / "kosong.json"
    done = await kerjalokal("export", str(uuid.uuid4()), "--purpose", "cek", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert set(json.loads(out.read_text())["services"].values()) == {None}
    assert "0 dari 4" in done.stdout


async def test_keys_issue_list_and_revoke(kerjalokal, services) -> None:
    company = str(uuid.uuid4())
    issued = await kerjalokal(
        "keys",
        "issue",
        "--service",
        "vacancies",
        "--role",
        "company",
        "--label",
        "HRD PT Maju",
        "--company-id",
        company,
        "--expires-in-days",
        "30",
    )
    assert issued.returncode == 0, issued.stderr
    [key_id] = services["vacancies"].keys
    assert f"kl_x_{key_id}_" in issued.stdout
    assert "shown once" in issued.stdout
    [(_, _, _, _)] = services["vacancies"].requests
    assert services["vacancies"].keys[key_id]["scope"] == {"company_id": company}
    assert not services["registry"].requests
    listed = await kerjalokal("keys", "list", "--service", "vacancies")
    assert listed.returncode == 0, listed.stderr
    assert key_id in listed.stdout
    assert "HRD PT Maju" in listed.stdout
    assert "kl_x_" not in listed.stdout
    refused = await kerjalokal(
        "keys", "issue", "--service", "vacancies", "--role", "king", "--label", "x y z"
    )
    assert refused.returncode == 2
    assert "role" in refused.stderr
    revoked = await kerjalokal("keys", "revoke", key_id, "--service", "vacancies")
    assert revoked.returncode == 0, revoked.stderr
    assert "dicabut / key" in revoked.stdout
    again = await kerjalokal("keys", "revoke", key_id, "--service", "vacancies")
    assert again.returncode == 1
    unknown = await kerjalokal("keys", "list", "--service", "payroll")
    assert unknown.returncode == 2
