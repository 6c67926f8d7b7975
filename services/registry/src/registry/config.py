from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One place for the registry's configuration, read from the environment and validated at
    start-up. Secrets have no default: development values live in deploy/dev.env."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(alias="REGISTRY_DATABASE_URL")
    amqp_url: str = Field(alias="AMQP_URL")
    nik_hmac_key: SecretStr = Field(alias="REGISTRY_NIK_HMAC_KEY")
    data_key: SecretStr = Field(alias="REGISTRY_DATA_KEY")
    nik_lookup_key: SecretStr = Field(alias="NIK_LOOKUP_KEY")
    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    """The operator's bootstrap credential; village admins and other systems get API keys
    (POST /api-keys), no longer tokens from the environment."""
    public_url: str = Field(default="http://127.0.0.1:8001", alias="REGISTRY_PUBLIC_URL")
    sweep_interval_seconds: float = Field(default=3600.0, alias="REGISTRY_SWEEP_INTERVAL")
    prefetch: int = Field(default=32, alias="REGISTRY_PREFETCH")
    max_import_bytes: int = Field(default=100 * 1024 * 1024, alias="REGISTRY_MAX_IMPORT_BYTES")
