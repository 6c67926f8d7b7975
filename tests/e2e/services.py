"""Start Kerja Lokal services as real processes for end-to-end tests.

    async with running("registry", env, tmp_path) as registry:
        httpx.get(registry.url + "/ready")

Each service is started the way `make run` starts it (`python -m <name>.cli serve --host
127.0.0.1 --port N`) on a free port, with the given environment over this process's, its output
in `<log_dir>/<name>.log`; the context yields once `/ready` answers 200 and stops the process
(SIGTERM, then SIGKILL after a grace period) on the way out.
"""

import asyncio
import base64
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from kerjalokal.testing.proxy import free_port


def new_key() -> str:
    """A 32-byte key, base64, as every service's secret keys are."""
    return base64.b64encode(os.urandom(32)).decode()


@dataclass(frozen=True)
class Service:
    name: str
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


@asynccontextmanager
async def running(
    name: str,
    env: dict[str, str],
    log_dir: Path,
    *,
    ready_timeout: float = 90.0,
    stop_timeout: float = 30.0,
) -> AsyncIterator[Service]:
    port = free_port()
    log = Path(log_dir) / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", f"{name}.cli", "serve", "--host", "127.0.0.1",
             "--port", str(port)],
            env=os.environ | env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    service = Service(name=name, url=f"http://127.0.0.1:{port}", log=log, process=process)
    try:
        await _wait_ready(service, ready_timeout)
        yield service
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


async def _wait_ready(service: Service, timeout: float) -> None:
    async with httpx.AsyncClient(base_url=service.url) as http:
        try:
            async with asyncio.timeout(timeout):
                while True:
                    if service.process.poll() is not None:
                        raise RuntimeError(f"{service.name} exited:\n{service.logs()[-3000:]}")
                    try:
                        if (await http.get("/ready")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.3)
        except TimeoutError:
            raise RuntimeError(f"{service.name} not ready:\n{service.logs()[-3000:]}") from None


T = TypeVar("T")


async def until(
    check: Callable[[], Awaitable[T | None]], timeout: float = 30.0, *, every: float = 0.2
) -> T:
    """Poll `check` until it returns something truthy; that is the answer."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(every)
    return result


async def ok(response: Awaitable[httpx.Response], status: int = 200) -> Any:
    """The JSON of an answer that must have `status`."""
    answer = await response
    assert answer.status_code == status, answer.text
    return answer.json()
