from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One place for notify's configuration, read from the environment and validated at
    start-up. Secrets have no default: development values live in deploy/dev.env. A channel whose
    provider is not configured (no gateway URL, no SMTP host) is simply not used."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(alias="NOTIFY_DATABASE_URL")
    amqp_url: str = Field(alias="AMQP_URL")
    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    opt_out_key: SecretStr = Field(alias="NOTIFY_OPT_OUT_KEY")
    # contacts' first name, phone and email at rest: AES-256-GCM, 32 bytes base64-encoded
    data_key: SecretStr = Field(alias="NOTIFY_DATA_KEY")
    public_url: str = Field(default="http://127.0.0.1:8004", alias="NOTIFY_PUBLIC_URL")
    prefetch: int = Field(default=16, alias="NOTIFY_PREFETCH")

    # residents: the provider interface (a JSON HTTP API per kind) and SMTP
    sms_gateway_url: str = Field(default="", alias="SMS_GATEWAY_URL")
    whatsapp_gateway_url: str = Field(default="", alias="WHATSAPP_GATEWAY_URL")
    gateway_token: SecretStr | None = Field(default=None, alias="NOTIFY_GATEWAY_TOKEN")
    gateway_rate: float = Field(default=0.0, ge=0, alias="NOTIFY_GATEWAY_RATE")
    smtp_host: str = Field(default="", alias="SMTP_HOST")
    smtp_port: int = Field(default=587, alias="SMTP_PORT")
    smtp_from: str = Field(
        default="Disnaker Kabupaten Bekasi <lowongan@disnaker.bekasikab.go.id>", alias="SMTP_FROM"
    )
    smtp_tls: Literal["none", "starttls", "tls"] = Field(default="starttls", alias="SMTP_TLS")
    smtp_username: str = Field(default="", alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(default=None, alias="SMTP_PASSWORD")
    smtp_connections: int = Field(default=4, ge=1, alias="SMTP_CONNECTIONS")

    # when and how often residents hear from us
    quiet_hours: str = Field(default="21:00-06:00", alias="NOTIFY_QUIET_HOURS")
    daily_cap: int = Field(default=3, ge=1, alias="NOTIFY_DAILY_CAP")

    # the resident dispatcher
    send_concurrency: int = Field(default=64, ge=1, alias="NOTIFY_SEND_CONCURRENCY")
    send_batch: int = Field(default=200, ge=1, alias="NOTIFY_SEND_BATCH")
    send_workers: int = Field(default=3, ge=1, alias="NOTIFY_SEND_WORKERS")
    send_timeout: float = Field(default=10.0, gt=0, alias="NOTIFY_SEND_TIMEOUT")
    send_lease: float = Field(default=60.0, gt=0, alias="NOTIFY_SEND_LEASE")
    send_max_attempts: int = Field(default=6, ge=1, alias="NOTIFY_SEND_MAX_ATTEMPTS")
    retry_base: float = Field(default=30.0, gt=0, alias="NOTIFY_RETRY_BASE")
    retry_cap: float = Field(default=3600.0, gt=0, alias="NOTIFY_RETRY_CAP")
    poll_interval: float = Field(default=1.0, gt=0, alias="NOTIFY_POLL_INTERVAL")

    # agencies' webhook channels
    webhook_timeout: float = Field(default=10.0, gt=0, alias="NOTIFY_WEBHOOK_TIMEOUT")
    webhook_max_attempts: int = Field(default=8, ge=1, alias="NOTIFY_WEBHOOK_MAX_ATTEMPTS")
    webhook_retry_base: float = Field(default=10.0, gt=0, alias="NOTIFY_WEBHOOK_RETRY_BASE")
    webhook_retry_cap: float = Field(default=3600.0, gt=0, alias="NOTIFY_WEBHOOK_RETRY_CAP")
    webhook_pause_after: int = Field(default=20, ge=1, alias="NOTIFY_WEBHOOK_PAUSE_AFTER")
    webhook_in_flight: int = Field(default=4, ge=1, alias="NOTIFY_WEBHOOK_IN_FLIGHT")
    webhook_allow_private: bool = Field(default=False, alias="NOTIFY_WEBHOOK_ALLOW_PRIVATE")

    feed_items: int = Field(default=100, ge=1, alias="NOTIFY_FEED_ITEMS")

    # per client address (limits notation, e.g. "300/minute"); the demo and benchmarks raise them
    rate_pages: str = Field(default="300/minute", alias="NOTIFY_RATE_PAGES")
    rate_feeds: str = Field(default="300/minute", alias="NOTIFY_RATE_FEEDS")
    rate_actions: str = Field(default="30/minute", alias="NOTIFY_RATE_ACTIONS")

    @field_validator("data_key")
    @classmethod
    def _data_key(cls, value: SecretStr) -> SecretStr:
        from .crypto import check_key

        check_key(value.get_secret_value())
        return value

    @field_validator("rate_pages", "rate_feeds", "rate_actions")
    @classmethod
    def _rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"a rate like 300/minute, not {value!r}") from exc
        return value

    @field_validator("gateway_token", "smtp_password", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value  # docker compose passes unset as ""

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def gateways(self) -> dict[str, str]:
        """The phone channels that have a gateway, by channel kind."""
        urls = {"whatsapp": self.whatsapp_gateway_url, "sms": self.sms_gateway_url}
        return {kind: url for kind, url in urls.items() if url}

    @property
    def channels(self) -> tuple[str, ...]:
        """Every resident channel notify can use with this configuration."""
        return (*self.gateways, *(("email",) if self.smtp_host else ()))
