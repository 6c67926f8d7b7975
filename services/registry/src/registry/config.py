from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    village_admin_tokens: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, alias="VILLAGE_ADMIN_TOKENS"
    )
    public_url: str = Field(default="http://127.0.0.1:8001", alias="REGISTRY_PUBLIC_URL")
    sweep_interval_seconds: float = Field(default=3600.0, alias="REGISTRY_SWEEP_INTERVAL")
    prefetch: int = Field(default=32, alias="REGISTRY_PREFETCH")
    max_import_bytes: int = Field(default=100 * 1024 * 1024, alias="REGISTRY_MAX_IMPORT_BYTES")

    @field_validator("village_admin_tokens", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """`token=desa_kode,token=desa_kode`: one village admin per token."""
        if not isinstance(value, str):
            return value
        pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
        return {token.strip(): desa.strip() for token, desa in pairs}
