from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One place for training's configuration, read from the environment and validated at
    start-up. Secrets have no default: development values live in deploy/dev.env."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    database_url: str = Field(alias="TRAINING_DATABASE_URL")
    amqp_url: str = Field(alias="AMQP_URL")
    operator_token: SecretStr = Field(alias="OPERATOR_TOKEN")
    housekeeping_interval_seconds: float = Field(
        default=3600.0, alias="TRAINING_HOUSEKEEPING_INTERVAL"
    )
    prefetch: int = Field(default=32, alias="TRAINING_PREFETCH")
