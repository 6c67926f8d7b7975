"""The five services as the fuzz tests build them: settings for a fresh database and vhost, the app
factory, and the service's consumers. Settings follow each service's tests/conftest.py; a setting a
service no longer reads is ignored (every Settings class has extra="ignore")."""

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from fastapi import FastAPI

OPERATOR_TOKEN = "test-operator"
OPERATOR = {"Authorization": f"Bearer {OPERATOR_TOKEN}"}
NIK_LOOKUP_KEY = base64.b64encode(b"vacancies-and-registry-share-it!").decode()


def budget(default: int) -> int:
    """Examples per operation or payloads per consumer: FUZZ_EXAMPLES raises it for a long run."""
    return int(os.getenv("FUZZ_EXAMPLES") or default)


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def _registry(database_url: str, amqp_url: str) -> Any:
    from registry.config import Settings

    return Settings(
        REGISTRY_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        REGISTRY_NIK_HMAC_KEY=_key(),
        REGISTRY_DATA_KEY=_key(),
        NIK_LOOKUP_KEY=NIK_LOOKUP_KEY,
        OPERATOR_TOKEN=OPERATOR_TOKEN,
        REGISTRY_SWEEP_INTERVAL=3600,
    )


def _vacancies(database_url: str, amqp_url: str) -> Any:
    from vacancies.config import Settings

    return Settings(
        VACANCIES_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        OPERATOR_TOKEN=OPERATOR_TOKEN,
        NIK_LOOKUP_KEY=NIK_LOOKUP_KEY,
        VACANCIES_SWEEP_INTERVAL=3600,
        VACANCIES_INDEX_REFRESH=3600,
    )


def _training(database_url: str, amqp_url: str) -> Any:
    from training.config import Settings

    return Settings(
        TRAINING_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        OPERATOR_TOKEN=OPERATOR_TOKEN,
        TRAINING_HOUSEKEEPING_INTERVAL=3600,
    )


def _notify(database_url: str, amqp_url: str) -> Any:
    from notify.config import Settings

    # No gateway, no SMTP host: notify sends nothing anywhere while it is fuzzed.
    return Settings(
        NOTIFY_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        OPERATOR_TOKEN=OPERATOR_TOKEN,
        NOTIFY_OPT_OUT_KEY="test-opt-out-key",
        NOTIFY_DATA_KEY=base64.b64encode(os.urandom(32)).decode(),
        NOTIFY_PUBLIC_URL="http://notify.test",
        NOTIFY_QUIET_HOURS="",
        NOTIFY_POLL_INTERVAL=0.5,
        NOTIFY_WEBHOOK_TIMEOUT=1,
        NOTIFY_WEBHOOK_MAX_ATTEMPTS=1,
    )


def _console(database_url: str, amqp_url: str) -> Any:
    from console.config import Settings

    return Settings(
        CONSOLE_DATABASE_URL=database_url,
        AMQP_URL=amqp_url,
        OPERATOR_TOKEN=OPERATOR_TOKEN,
        CONSOLE_SAMPLE_INTERVAL=1,
        CONSOLE_DRAIN_INTERVAL=1,
        CONSOLE_USE_RABBITMQCTL=False,
    )


@dataclass(frozen=True)
class Service:
    name: str
    settings: Callable[[str, str], Any]

    def create_app(self, settings: Any) -> FastAPI:
        module = __import__(f"{self.name}.main", fromlist=["create_app"])
        app: FastAPI = module.create_app(settings)
        return app

    def handlers(self) -> ModuleType | None:
        """The module whose router holds the service's queue consumers (None for the console,
        which reads the event log stream)."""
        if self.name == "console":
            return None
        module: ModuleType = __import__(f"{self.name}.handlers", fromlist=["router"])
        return module


SERVICES = {
    service.name: service
    for service in (
        Service("registry", _registry),
        Service("vacancies", _vacancies),
        Service("training", _training),
        Service("notify", _notify),
        Service("console", _console),
    )
}

# Settings good enough to build an app and read its OpenAPI document; nothing connects.
OFFLINE = ("postgresql://fuzz@127.0.0.1:1/none", "amqp://guest:guest@127.0.0.1:1/")
