from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The vacancies service's configuration, read from the environment and validated at
    start-up. Secrets have no default: development values live in deploy/dev.env."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(alias="VACANCIES_DATABASE_URL")
    amqp_url: str = Field(alias="AMQP_URL")
    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    """The office's bootstrap and break-glass credential; HR desks, village and district admins,
    agencies and other systems hold API keys issued at /api-keys (and HR desks at
    /companies/{id}/tokens)."""
    nik_lookup_key: SecretStr = Field(alias="NIK_LOOKUP_KEY")
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
