"""The providers behind resident channels, each answering with a `Result`.

- WhatsApp and SMS: a JSON HTTP API per kind, configured by URL. POST {to, template, params,
  idempotency_key} with the same key in `Idempotency-Key`; 2xx {message_id} is sent, other 4xx
  a permanent refusal, 5xx, 408, 429 and network errors are worth another try. The provider must
  drop a second request with a key it has seen (answering with the first message id): that is
  what makes a resend after a crash harmless.
- Email: SMTP with a small pool of open connections. The `Message-ID` is derived from the same
  key, so mail systems that deduplicate by it keep one copy.
"""

import asyncio
import contextlib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Protocol

import aiosmtplib
import httpx


@dataclass(frozen=True)
class Result:
    ok: bool
    permanent: bool = False
    message_id: str | None = None
    status_code: int | None = None
    error: str | None = None  # what kind of failure, never what the provider echoed back


class PhoneProvider(Protocol):
    async def send(self, *, to: str, template: str, params: dict[str, Any], key: str) -> Result: ...


class RateLimiter:
    """A token bucket: at most `rate` sends per second on average, bursts of one second."""

    def __init__(self, rate: float) -> None:
        self._rate = rate
        self._tokens = rate
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self._rate <= 0:
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._rate, self._tokens + (now - self._stamp) * self._rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)


RETRYABLE_STATUS = frozenset({408, 425, 429})


class ClientPool:
    """httpx clients of a few connections each, taken in turn. httpcore's connection pool
    scans all of its connections at every request and response, so one client with 64
    connections spends most of its time there (measured: 170 msg/s at 32 connections against
    590 at 8); many small pools keep that work small and still send 64 at a time."""

    def __init__(self, *, connections: int, timeout: float, per_client: int = 4) -> None:
        size = max(1, -(-connections // per_client))
        limits = httpx.Limits(max_connections=per_client, max_keepalive_connections=per_client)
        self._clients = [httpx.AsyncClient(timeout=timeout, limits=limits) for _ in range(size)]
        self._turn = 0

    def next(self) -> httpx.AsyncClient:
        self._turn = (self._turn + 1) % len(self._clients)
        return self._clients[self._turn]

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.next().post(url, **kwargs)

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


class Gateway:
    def __init__(
        self,
        url: str,
        *,
        client: httpx.AsyncClient | ClientPool,
        token: str | None,
        rate: float = 0,
    ) -> None:
        self._url = url
        self._client = client
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._limiter = RateLimiter(rate)

    async def send(self, *, to: str, template: str, params: dict[str, Any], key: str) -> Result:
        await self._limiter.acquire()
        payload = {"to": to, "template": template, "params": params, "idempotency_key": key}
        try:
            response = await self._client.post(
                self._url, json=payload, headers=self._headers | {"Idempotency-Key": key}
            )
        except httpx.TimeoutException:
            return Result(ok=False, error="timeout")
        except httpx.TransportError as exc:
            return Result(ok=False, error=f"network: {type(exc).__name__}")
        code = response.status_code
        if 200 <= code < 300:
            message_id = _message_id(response)
            if message_id:
                return Result(ok=True, message_id=message_id, status_code=code)
            return Result(ok=False, status_code=code, error="no message_id in the answer")
        permanent = 400 <= code < 500 and code not in RETRYABLE_STATUS
        return Result(ok=False, permanent=permanent, status_code=code, error=f"HTTP {code}")


def _message_id(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    value = body.get("message_id") if isinstance(body, dict) else None
    return str(value)[:200] if value else None


class Mailer:
    """SMTP with up to `connections` open sessions, reopened when a server drops one."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        tls: str = "starttls",
        username: str = "",
        password: str = "",
        connections: int = 4,
        timeout: float = 10.0,
    ) -> None:
        self._options: dict[str, Any] = {
            "hostname": host,
            "port": port,
            "use_tls": tls == "tls",
            "start_tls": True if tls == "starttls" else False if tls == "none" else None,
            "timeout": timeout,
        }
        if username:
            self._options |= {"username": username, "password": password}
        self.sender = sender
        self.domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
        self._idle: asyncio.Queue[aiosmtplib.SMTP | None] = asyncio.Queue()
        for _ in range(connections):
            self._idle.put_nowait(None)

    def message(
        self, *, to: str, subject: str, text: str, key: str, unsubscribe: str
    ) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{key}@{self.domain}>"
        message["Date"] = formatdate(localtime=False)
        message["Auto-Submitted"] = "auto-generated"
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(text)
        message["Content-Language"] = "id"  # after set_content, which resets Content-* headers
        return message

    async def send(self, message: EmailMessage) -> Result:
        client = await self._idle.get()
        try:
            if client is None or not client.is_connected:
                client = aiosmtplib.SMTP(**self._options)
                await client.connect()
            _, answer = await client.send_message(message)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            return Result(ok=False, permanent=min(codes) >= 500, status_code=min(codes),
                          error=f"SMTP {min(codes)}: recipient refused")  # fmt: skip
        except aiosmtplib.SMTPResponseException as exc:
            client = await self._reset(client)
            return Result(ok=False, permanent=exc.code >= 500, status_code=exc.code,
                          error=f"SMTP {exc.code}")  # fmt: skip
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            client = await self._reset(client)
            return Result(ok=False, error=f"SMTP connection: {type(exc).__name__}")
        finally:
            self._idle.put_nowait(client)
        return Result(ok=True, message_id=f"{message['Message-ID']} {answer}"[:200])

    @staticmethod
    async def _reset(client: aiosmtplib.SMTP | None) -> aiosmtplib.SMTP | None:
        """Drop a connection the server or the network broke; the next send opens a new one."""
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        return None

    async def close(self) -> None:
        while not self._idle.empty():
            client = self._idle.get_nowait()
            if client is not None and client.is_connected:
                with contextlib.suppress(Exception):
                    await client.quit()
