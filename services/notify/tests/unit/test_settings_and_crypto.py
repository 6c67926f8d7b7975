"""NOTIFY_DATA_KEY is required and must be a real key; the rate limits must parse; sealed
values open only in their own row and column."""

from typing import Any
from uuid import uuid4

import pytest
from cryptography.exceptions import InvalidTag
from pydantic import ValidationError

from notify.config import Settings
from notify.crypto import ContactCipher, new_key

BASE = {
    "NOTIFY_DATABASE_URL": "postgresql://x/y", "AMQP_URL": "amqp://x", "OPERATOR_TOKEN": "t",
    "NOTIFY_OPT_OUT_KEY": "o",
}  # fmt: skip


def settings(**values: Any) -> Settings:
    return Settings(**(BASE | values))


def test_the_data_key_is_required_and_checked() -> None:
    with pytest.raises(ValidationError, match="NOTIFY_DATA_KEY"):
        settings()
    for bad in ("", "short", "bm90IDMyIGJ5dGVz"):
        with pytest.raises(ValidationError, match="32 bytes"):
            settings(NOTIFY_DATA_KEY=bad)
    key = new_key()
    assert settings(NOTIFY_DATA_KEY=key).data_key.get_secret_value() == key
    assert key not in repr(settings(NOTIFY_DATA_KEY=key))


def test_rate_limits_come_from_the_settings_and_must_parse() -> None:
    default = settings(NOTIFY_DATA_KEY=new_key())
    assert (default.rate_feeds, default.rate_pages) == ("300/minute", "300/minute")
    assert settings(NOTIFY_DATA_KEY=new_key(), NOTIFY_RATE_FEEDS="10/second").rate_feeds
    with pytest.raises(ValidationError, match="NOTIFY_RATE_FEEDS"):
        settings(NOTIFY_DATA_KEY=new_key(), NOTIFY_RATE_FEEDS="lots")


def test_a_sealed_value_opens_only_in_its_own_row_and_column_and_under_its_key() -> None:
    cipher, resident = ContactCipher(new_key()), uuid4()
    sealed = cipher.seal("+6281234567890", resident_id=resident, field="phone")
    assert sealed is not None
    assert b"6281234567890" not in sealed
    assert cipher.seal(None, resident_id=resident, field="phone") is None
    assert sealed != cipher.seal("+6281234567890", resident_id=resident, field="phone")  # nonce
    assert cipher.open(sealed, resident_id=resident, field="phone") == "+6281234567890"
    for other in (
        lambda: cipher.open(sealed, resident_id=uuid4(), field="phone"),
        lambda: cipher.open(sealed, resident_id=resident, field="email"),
        lambda: ContactCipher(new_key()).open(sealed, resident_id=resident, field="phone"),
    ):
        with pytest.raises(InvalidTag):
            other()
