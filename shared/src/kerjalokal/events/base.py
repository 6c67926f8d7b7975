"""The base of every integration event: an immutable fact, read tolerantly.

An event class names its routing key (= CloudEvents type) and the field that identifies its
aggregate (= CloudEvents subject). Restricted events carry personal data and travel only on the
restricted exchange, which agencies and the event log never see.
"""

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


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
