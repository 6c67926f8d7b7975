"""What operators and orchestrators ask every service over HTTP, the same way everywhere:
`/health` (the process answers), `/ready` (its database and broker answer; 503 naming the one that
does not), Prometheus `/metrics`, and the AsyncAPI document of its events at `/asyncapi/` (no
try-it-out publisher: nobody publishes through a service's page) and `/asyncapi.json`."""

import logging
from typing import Any

import asyncpg
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from faststream.asgi import make_asyncapi_asgi
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from prometheus_fastapi_instrumentator import Instrumentator

log = logging.getLogger(__name__)

UNAVAILABLE = "Layanan sementara tidak tersedia, coba lagi / temporarily unavailable, try again"
# What a request meets while PostgreSQL restarts or the network to it drops: no connection, a
# server that refuses new ones (57P03), or one that ends those it had (57P01, class 08); and a
# transaction PostgreSQL rolled back to break a deadlock or a serialization conflict (class 40).
_OUTAGES: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.TransactionRollbackError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
)


def install_unavailable_handlers(app: FastAPI, *, retry_after: int = 5) -> None:
    """A request that meets a database or network outage answers 503 with Retry-After (the
    client may simply try again; nothing was written), never a 500."""

    async def unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.warning("%s %s: dependency unavailable (%s)", request.method, request.url.path,
                    type(exc).__name__)  # fmt: skip
        return JSONResponse(
            {"detail": UNAVAILABLE}, status_code=503, headers={"Retry-After": str(retry_after)}
        )

    for exc_class in _OUTAGES:
        app.add_exception_handler(exc_class, unavailable)


def install_operations(app: FastAPI, broker: RabbitBroker, *, service: str) -> None:
    """Add the operations endpoints; the app's `state.pool` is its asyncpg pool once started.
    Outages of the database answer 503 (`install_unavailable_handlers`)."""
    install_unavailable_handlers(app)
    specification = AsyncAPI(broker, title=f"Kerja Lokal: {service}", version="1.0.0")
    Instrumentator(excluded_handlers=["/health", "/ready", "/metrics"]).instrument(app).expose(
        app, include_in_schema=False
    )
    app.mount("/asyncapi", make_asyncapi_asgi(specification, try_it_out_path=None))

    @app.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> Any:
        return specification.to_specification().to_jsonable()

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready(response: Response) -> dict[str, str]:
        checks = {"database": "ok", "broker": "ok"}
        try:
            await app.state.pool.fetchval("SELECT 1")
        except Exception:
            checks["database"] = "unavailable"
        if not await broker.ping(timeout=2.0):
            checks["broker"] = "unavailable"
        if set(checks.values()) != {"ok"}:
            response.status_code = 503
        return checks
