from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """The vacancies service's configuration, read from the environment and validated at
    start-up. Secrets have no default: development values live in deploy/dev.env."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(alias="VACANCIES_DATABASE_URL")
    amqp_url: str = Field(alias="AMQP_URL")
    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    nik_lookup_key: SecretStr = Field(alias="NIK_LOOKUP_KEY")
    village_admin_tokens: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=dict, alias="VILLAGE_ADMIN_TOKENS"
    )
    public_url: str = Field(default="http://127.0.0.1:8002", alias="VACANCIES_PUBLIC_URL")
    sweep_interval_seconds: float = Field(default=300.0, alias="VACANCIES_SWEEP_INTERVAL")
    index_refresh_seconds: float = Field(default=5.0, alias="VACANCIES_INDEX_REFRESH")
    prefetch: int = Field(default=32, alias="VACANCIES_PREFETCH")
    hire_backdate_days: int = Field(default=7, ge=0, alias="VACANCIES_HIRE_BACKDATE_DAYS")
    report_backdate_days: int = Field(default=90, ge=0, alias="VACANCIES_REPORT_BACKDATE_DAYS")
    local_share_threshold: float = Field(
        default=30.0, ge=0, le=100, alias="VACANCIES_LOCAL_SHARE_THRESHOLD"
    )
    local_hire_target: int = Field(default=3000, ge=1, alias="VACANCIES_LOCAL_HIRE_TARGET")
    match_cap: int = Field(default=10_000, ge=1, alias="VACANCIES_MATCH_CAP")
    max_report_bytes: int = Field(default=10 * 1024 * 1024, alias="VACANCIES_MAX_REPORT_BYTES")

    @field_validator("village_admin_tokens", mode="before")
    @classmethod
    def _pairs(cls, value: object) -> object:
        """`token=desa_kode,token=desa_kode`: one village admin per token, as in the registry."""
        if not isinstance(value, str):
            return value
        pairs = (item.split("=", 1) for item in value.split(",") if item.strip())
        return {token.strip(): desa.strip() for token, desa in pairs}
