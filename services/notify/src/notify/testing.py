"""Local stand-ins for the outside world, for tests, benchmarks and development (never for
residents): a WhatsApp/SMS gateway speaking notify's provider interface, a webhook receiver that
checks Standard Webhooks signatures, and an SMTP server that keeps what it receives.

The gateway behaves as the provider interface requires: a second request with an idempotency
key it has seen is answered with the first message id and not sent again; it can be told to
fail. Each server runs in the caller's event loop (the SMTP one in a thread, as aiosmtpd does).
"""

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from kerjalokal.testing.proxy import free_port

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class _Disconnected(Exception):
    """The client went away before its request was complete (a killed process)."""


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _answer(send: Send, status: int, payload: Any = None) -> None:
    body = b"" if payload is None else json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json")] if payload is not None else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Server:
    """A raw ASGI app under uvicorn on 127.0.0.1 and a free port."""

    def __init__(self) -> None:
        self.port = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> "_Server":
        self.port = free_port()
        config = uvicorn.Config(
            self, host="127.0.0.1", port=self.port, lifespan="off", log_level="warning",
            access_log=False,
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        raise NotImplementedError


@dataclass
class GatewayRequest:
    path: str
    key: str
    payload: dict[str, Any]
    at: float
    status: int = 0  # what the gateway answered


class FakeGateway(_Server):
    """POST {to, template, params, idempotency_key} → 200 {message_id}; the same key again →
    the same message id, not a new message. `fail(n, status)` answers the next n with status;
    `failing` answers every request with it; `refuse` lists recipients answered with 400."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[GatewayRequest] = []
        self.messages: dict[str, GatewayRequest] = {}  # by idempotency key: what was "sent"
        self.message_ids: dict[str, str] = {}
        self.failing: int | None = None
        self.refuse: set[str] = set()
        self.delay = 0.0
        self.duplicates = 0  # requests with a key already sent: answered, not sent again
        self._failures: deque[int] = deque()
        self._ids = itertools.count(1)

    def fail(self, times: int, status: int = 503) -> None:
        self._failures.extend([status] * times)

    @property
    def sends(self) -> int:
        return len(self.requests)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            payload = json.loads(await _body(receive) or b"{}")
        except _Disconnected:
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        key = headers.get("idempotency-key", "")
        request = GatewayRequest(scope["path"], key, payload, time.monotonic())
        self.requests.append(request)
        if self.delay:
            await asyncio.sleep(self.delay)
        request.status = self._decide(request)
        if request.status != 200:
            return await _answer(send, request.status, {"error": "refused or failing"})
        if key in self.message_ids:
            self.duplicates += 1
        else:
            self.message_ids[key] = f"fake-{next(self._ids)}"
            self.messages[key] = request
        await _answer(send, 200, {"message_id": self.message_ids[key]})

    def _decide(self, request: GatewayRequest) -> int:
        if not request.key or request.key != request.payload.get("idempotency_key"):
            return 400
        if self._failures:
            return self._failures.popleft()
        if self.failing:
            return self.failing
        return 400 if request.payload.get("to") in self.refuse else 200


@dataclass
class Hook:
    webhook_id: str
    timestamp: str
    payload: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class WebhookReceiver(_Server):
    """An agency's endpoint: verifies the signature and timestamp with `standardwebhooks`
    (401 when wrong, too old or too new), refuses an id it has seen (409), otherwise 204.
    `status` forces an answer (a failing agency); `delay` makes it slow."""

    def __init__(self) -> None:
        super().__init__()
        self.secret = ""
        self.received: list[Hook] = []
        self.refused: list[str] = []
        self.seen: set[str] = set()
        self.status: int | None = None
        self.delay = 0.0
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            body = await _body(receive)
        except _Disconnected:
            return
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status is not None:
            return await _answer(send, self.status, {"error": "down on purpose"})
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            self.refused.append(str(exc))
            return await _answer(send, 401, {"error": str(exc)})
        webhook_id = headers["webhook-id"]
        if webhook_id in self.seen:
            self.refused.append("replayed webhook-id")
            return await _answer(send, 409, {"error": "replayed"})
        self.seen.add(webhook_id)
        self.received.append(Hook(webhook_id, headers["webhook-timestamp"], payload))
        await _answer(send, 204)


class Mailbox:
    """An SMTP server (aiosmtpd) on a free port that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.port = 0
        self._controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 Ok: queued"

    def start(self) -> "Mailbox":
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
