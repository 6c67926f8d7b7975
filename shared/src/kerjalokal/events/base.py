"""The base of every integration event: an immutable fact, read tolerantly.

An event class names its routing key (= CloudEvents type) and the field that identifies its
aggregate (= CloudEvents subject). Restricted events carry personal data and travel only on the
restricted exchange, which agencies and the event log never see.
"""

from typing import Any, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    TYPE: ClassVar[str]
    SUBJECT: ClassVar[str]
    RESTRICTED: ClassVar[bool] = False

    @property
    def subject(self) -> str:
        return str(getattr(self, self.SUBJECT))

    @classmethod
    def producer(cls) -> str:
        return cls.TYPE.split(".", 1)[0]

    @classmethod
    def example(cls) -> "Event":
        extra = cls.model_config.get("json_schema_extra")
        if not isinstance(extra, dict):
            raise TypeError(f"{cls.__name__} has no example")
        examples: Any = extra["examples"]
        return cls.model_validate(examples[0])


def example(payload: dict[str, Any]) -> ConfigDict:
    """Model config that keeps the event frozen and tolerant and documents one example payload."""
    return ConfigDict(frozen=True, extra="ignore", json_schema_extra={"examples": [payload]})


class ResidentDataErased(Event):
    """What every service that erases a resident's data confirms it with (each its own type:
    `<service>.resident_data_erased.v1`); never published as such."""

    SUBJECT: ClassVar[str] = "resident_id"
    model_config = example(
        {
            "resident_id": "7b0f6a6e-2f0e-4d7e-9a57-2f1c1f0b9a01",
            "erasure_event_id": "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a",
            "erased_at": "2027-01-15T10:00:02+07:00",
        }
    )

    resident_id: UUID
    erasure_event_id: UUID
    erased_at: AwareDatetime
