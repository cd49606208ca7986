"""A postal address that every carrier (USPS through One Balance, UPS, FedEx) accepts as it is.

Length limits are the strictest of the three carriers' published request schemas, so an address
that passes here is never refused later for its length (and never cut short on a label):

============== ===== =====================================================================
field          limit where it comes from
============== ===== =====================================================================
name           35    UPS shipper and ship-to name (FedEx person name: 70)
company        35    UPS name, FedEx company name
street_lines   3x35  UPS and FedEx: at most 3 street lines of 35 characters
city           30    UPS city (FedEx 35, SWSIM 50)
state          5     UPS state/province code; US: a USPS state code, CA: a province code
postal_code    9     UPS postal code (FedEx 10); US: ZIP or ZIP+4
phone          10-15 digits; FedEx 10 to 15 (exactly 10 in the US and Canada), UPS at most 15
email          50    UPS email address (FedEx 80)
============== ===== =====================================================================

Sources: UPS Shipping API v2409 (``Shipping.yaml``), FedEx Ship API (``ship-api.json``), the
SWSIM v111 WSDL, all under ``../shared/specs``.

Every text field is one printed line (see ``onebalance.core._text``): whitespace at either end (a
trailing newline included) is trimmed and runs of spaces become one; a control or invisible
character anywhere else (NUL, ESC, DEL, a tab or line break inside, U+202E, U+FEFF...) is refused.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationInfo, field_validator, model_validator

from onebalance.core import one_line

from ._base import CarrierModel, fail
from ._regions import CA_PROVINCES, COUNTRIES, US_STATES, ZIP_COUNTRIES

__all__ = ["Address"]

NAME_MAX = 35
COMPANY_MAX = 35
STREET_LINE_MAX = 35
STREET_LINES_MAX = 3
CITY_MAX = 30
STATE_MAX = 5
POSTAL_CODE_MAX = 9
EMAIL_MAX = 50
PHONE_DIGITS = (10, 15)

_ZIP = re.compile(r"(\d{5})(?:[\s-]?(\d{4}))?")
_CA_POSTAL = re.compile(r"([A-Z]\d[A-Z])\s?(\d[A-Z]\d)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE_PUNCTUATION = re.compile(r"[\s().\-/]")


def _text(value: Any, field: str, limit: int, *, required: bool) -> str | None:
    if value is None:
        text = ""
    elif isinstance(value, str):
        text, problem = one_line(value)
        if problem is not None:
            fail(field, problem)
    else:
        fail(field, "must be text")
    if not text:
        if required:
            fail(field, "is required")
        return None
    if len(text) > limit:
        fail(field, f"must be at most {limit} characters (the strictest carrier's limit)")
    return text


class Address(CarrierModel):
    """A sender's or recipient's address. ``country`` is ISO 3166-1 alpha-2 and defaults to US.

    US addresses need a USPS state code and a ZIP (``62701``) or ZIP+4 (``62701-1234``, kept in
    that form); Canadian ones a province code and an ``A1A 1A1`` postal code. Elsewhere the postal
    code is free-form (and may be absent where the country has none).
    """

    name: str
    company: str | None = None
    street_lines: tuple[str, ...]
    city: str
    state: str | None = None
    postal_code: str | None = None
    country: str = "US"
    phone: str | None = None
    email: str | None = None
    residential: bool | None = None

    # -- one field at a time -------------------------------------------------------------------
    @field_validator("name", "company", "city", mode="before")
    @classmethod
    def _texts(cls, value: Any, info: ValidationInfo) -> str | None:
        field = str(info.field_name)
        limit = {"name": NAME_MAX, "company": COMPANY_MAX, "city": CITY_MAX}[field]
        return _text(value, field, limit, required=field != "company")

    @field_validator("street_lines", mode="before")
    @classmethod
    def _street_lines(cls, value: Any) -> tuple[str, ...]:
        raw = [value] if isinstance(value, str) else value
        if not isinstance(raw, (list, tuple)):
            fail("street_lines", "must be one to three lines of text")
        lines: list[str] = []
        for index, line in enumerate(raw):
            text = _text(line, f"street_lines.{index}", STREET_LINE_MAX, required=False)
            if text:
                lines.append(text)
        if not lines:
            fail("street_lines", "at least one street line is required")
        if len(lines) > STREET_LINES_MAX:
            fail("street_lines", f"at most {STREET_LINES_MAX} street lines are accepted")
        return tuple(lines)

    @field_validator("state", "postal_code", mode="before")
    @classmethod
    def _codes(cls, value: Any, info: ValidationInfo) -> str | None:
        field = str(info.field_name)
        # A ZIP+4 is 10 characters with its dash; the country's own rule is checked below.
        limit = STATE_MAX if field == "state" else 12
        text = _text(value, field, limit, required=False)
        return text.upper() if text else None

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> str:
        code = value.strip().upper() if isinstance(value, str) else ""
        if code not in COUNTRIES:
            fail("country", "must be an ISO 3166-1 alpha-2 country code such as US")
        return code

    @field_validator("email", mode="before")
    @classmethod
    def _email(cls, value: Any) -> str | None:
        text = _text(value, "email", EMAIL_MAX, required=False)
        if text is not None and not _EMAIL.fullmatch(text):
            fail("email", "must be an email address such as name@example.com")
        return text

    @field_validator("phone", mode="before")
    @classmethod
    def _phone(cls, value: Any) -> str | None:
        text = _text(value, "phone", 40, required=False)
        if text is None:
            return None
        digits = _PHONE_PUNCTUATION.sub("", text).removeprefix("+")
        if not digits.isdigit() or not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
            fail("phone", f"must be {PHONE_DIGITS[0]} to {PHONE_DIGITS[1]} digits")
        return digits

    # -- rules that depend on the country ------------------------------------------------------
    @model_validator(mode="after")
    def _by_country(self) -> Address:
        if self.country == "US" and self.state not in US_STATES:
            fail("state", "must be a two-letter USPS state code such as IL")
        if self.country in ZIP_COUNTRIES:
            self._set("postal_code", self._zip())
        elif self.country == "CA":
            if self.state not in CA_PROVINCES:
                fail("state", "must be a two-letter Canadian province code such as ON")
            match = _CA_POSTAL.fullmatch(self.postal_code or "")
            if match is None:
                fail("postal_code", "must be a Canadian postal code such as K1A 0B1")
            self._set("postal_code", f"{match.group(1)} {match.group(2)}")
        elif self.postal_code is not None and len(self.postal_code) > POSTAL_CODE_MAX:
            fail("postal_code", f"must be at most {POSTAL_CODE_MAX} characters (the strictest carrier's limit)")
        if self.phone is not None and self.country in ZIP_COUNTRIES | {"CA"}:
            digits = self.phone[1:] if len(self.phone) == 11 and self.phone.startswith("1") else self.phone
            if len(digits) != 10:
                fail("phone", "must be a 10-digit number (area code and number) in the US and Canada")
            self._set("phone", digits)
        return self

    def _zip(self) -> str:
        match = _ZIP.fullmatch(self.postal_code or "")
        if match is None:
            fail("postal_code", "must be a 5-digit ZIP code or ZIP+4 (12345 or 12345-6789)")
        return f"{match.group(1)}-{match.group(2)}" if match.group(2) else match.group(1)

    def _set(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)

    # -- reading -------------------------------------------------------------------------------
    @property
    def uses_zip_codes(self) -> bool:
        """Whether the address is in the US ZIP code system (the US, its territories, FM, MH, PW)."""
        return self.country in ZIP_COUNTRIES

    @property
    def zip5(self) -> str | None:
        """The 5-digit ZIP code, for addresses in the ZIP code system."""
        return self.postal_code[:5] if self.uses_zip_codes and self.postal_code else None

    @property
    def zip4(self) -> str | None:
        """The ZIP+4 add-on, when given."""
        if self.uses_zip_codes and self.postal_code and len(self.postal_code) == 10:
            return self.postal_code[6:]
        return None

    def one_line(self) -> str:
        """The address on one line: ``Jane Doe, Acme, 1 Main St, Springfield, IL 62701, US``."""
        region = " ".join(part for part in (self.state, self.postal_code) if part)
        parts = [self.name, self.company, *self.street_lines, self.city, region, self.country]
        return ", ".join(part for part in parts if part)

    def __str__(self) -> str:
        return self.one_line()
