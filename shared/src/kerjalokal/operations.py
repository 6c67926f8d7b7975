"""What operators and orchestrators ask every service over HTTP, the same way everywhere:
`/health` (the process answers), `/ready` (its database and broker answer; 503 naming the one that
does not), Prometheus `/metrics`, and the AsyncAPI document of its events at `/asyncapi/` (no
try-it-out publisher: nobody publishes through a service's page) and `/asyncapi.json`."""

from typing import Any

from fastapi import FastAPI, Response
from faststream.asgi import make_asyncapi_asgi
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from prometheus_fastapi_instrumentator import Instrumentator


def install_operations(app: FastAPI, broker: RabbitBroker, *, service: str) -> None:
    """Add the operations endpoints; the app's `state.pool` is its asyncpg pool once started."""
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
