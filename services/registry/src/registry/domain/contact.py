import re
from enum import StrEnum

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from registry.domain.errors import DomainError

_INDONESIA = "ID"
_INDONESIA_COUNTRY_CODE = 62


class ContactChannel(StrEnum):
    WHATSAPP = "whatsapp"
    SMS = "sms"
    EMAIL = "email"


class InvalidPhone(DomainError):
    pass


# The common form, written without separators: 0 or +62, then a national number that
# phonenumbers' metadata for Indonesia (9.x) calls mobile, `8[1-35-9]\d{7,10}`, which no other
# number type of Indonesia matches and which is always valid. For these `phonenumbers` answers
# +62 and the national number; tests/unit check that against phonenumbers for every prefix and
# length, so a metadata change in an upgrade fails them rather than changing answers.
_PLAIN_MOBILE = re.compile(r"(?:0|\+62)(8[1-35-9][0-9]{7,10})")


def normalize_phone(raw: str) -> str:
    """An Indonesian mobile number (08…, +628…) in E.164: "0812-3456-7890" -> "+6281234567890".
    WhatsApp and SMS reach only mobiles, so landlines and foreign numbers are refused."""
    plain = _PLAIN_MOBILE.fullmatch(raw)
    if plain:
        return "+62" + plain[1]
    return _normalize_with_phonenumbers(raw)


def _normalize_with_phonenumbers(raw: str) -> str:
    """Every other form: separators, spaces, 62… without the plus, landlines, foreign numbers."""
    number = _parse(raw)
    if number.country_code != _INDONESIA_COUNTRY_CODE or not phonenumbers.is_valid_number(number):
        raise InvalidPhone(
            "Nomor HP tidak valid; gunakan nomor Indonesia yang diawali 08 /"
            " Phone number is not valid; use an Indonesian number starting with 08"
        )
    if phonenumbers.number_type(number) != PhoneNumberType.MOBILE:
        raise InvalidPhone(
            "Nomor ini bukan nomor HP (harus diawali 08), nomor telepon rumah tidak bisa dipakai /"
            " This is not a mobile number (must start with 08); landlines cannot be used"
        )
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def _parse(raw: str) -> phonenumbers.PhoneNumber:
    try:
        return phonenumbers.parse(raw, _INDONESIA)
    except NumberParseException as error:
        raise InvalidPhone("Nomor HP tidak bisa dibaca / Phone number cannot be read") from error
