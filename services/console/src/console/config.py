from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICES = ("registry", "vacancies", "training", "notify")
# The services that confirm an erasure (`<service>.resident_data_erased.v1`); registry erases first.
ERASING_SERVICES = ("vacancies", "training", "notify")


class Settings(BaseSettings):
    """The console's configuration, read from the environment and validated at start-up.
    Secrets have no default: development values live in deploy/dev.env."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(alias="CONSOLE_DATABASE_URL")
    amqp_url: str = Field(alias="AMQP_URL")
    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    public_url: str = Field(default="http://127.0.0.1:8000", alias="CONSOLE_PUBLIC_URL")
    services: Annotated[tuple[str, ...], NoDecode] = Field(
        default=SERVICES, alias="CONSOLE_SERVICES"
    )
    watch_queues: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(), alias="CONSOLE_WATCH_QUEUES"
    )
    local_hire_threshold: float = Field(
        default=30.0, ge=0, le=100, alias="CONSOLE_LOCAL_HIRE_THRESHOLD"
    )
    sample_interval_seconds: float = Field(default=15.0, gt=0, alias="CONSOLE_SAMPLE_INTERVAL")
    drain_interval_seconds: float = Field(default=5.0, gt=0, alias="CONSOLE_DRAIN_INTERVAL")
    projection_batch: int = Field(default=500, ge=1, le=5000, alias="CONSOLE_PROJECTION_BATCH")
    session_hours: float = Field(default=8.0, gt=0, le=12, alias="CONSOLE_SESSION_HOURS")
    """How long a login lasts at most (never past the key's own expiry); the key behind a
    session is checked again on every request, so revoking it ends the session at once."""
    stream_recheck_seconds: float = Field(
        default=30.0, gt=0, le=300, alias="CONSOLE_STREAM_RECHECK_SECONDS"
    )
    """How often an open live stream checks that its key is still live (it ends if not)."""
    erasure_services: Annotated[tuple[str, ...], NoDecode] = Field(
        default=ERASING_SERVICES, alias="CONSOLE_ERASURE_SERVICES"
    )
    erasure_late_minutes: float = Field(default=15.0, gt=0, alias="CONSOLE_ERASURE_LATE_MINUTES")
    use_rabbitmqctl: bool = Field(default=True, alias="CONSOLE_USE_RABBITMQCTL")
    agency_amqp_url: str | None = Field(default=None, alias="CONSOLE_AGENCY_AMQP_URL")
    agency_max_length: int = Field(default=100_000, ge=1, alias="CONSOLE_AGENCY_MAX_LENGTH")

    @field_validator("services", "watch_queues", "erasure_services", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value


class ClientSettings(BaseSettings):
    """What the `kerjalokal` commands that call the services' HTTP APIs need: the operator token
    and where each service listens (the `make run` ports by default)."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    console_url: str = Field(default="http://127.0.0.1:8000", alias="CONSOLE_URL")
    registry_url: str = Field(default="http://127.0.0.1:8001", alias="REGISTRY_URL")
    vacancies_url: str = Field(default="http://127.0.0.1:8002", alias="VACANCIES_URL")
    training_url: str = Field(default="http://127.0.0.1:8003", alias="TRAINING_URL")
    notify_url: str = Field(default="http://127.0.0.1:8004", alias="NOTIFY_URL")
    timeout_seconds: float = Field(default=30.0, gt=0, alias="KERJALOKAL_HTTP_TIMEOUT")

    def url_of(self, service: str) -> str:
        url: str = getattr(self, f"{service}_url")
        return url.rstrip("/")
