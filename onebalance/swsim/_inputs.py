"""Validated inputs: registration forms, payment methods, codewords.

Input models raise the SDK's own typed errors (never pydantic's), name the offending field,
and never echo a secret value (card and account numbers, passwords, codeword answers).
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import date
from ipaddress import ip_address
from typing import Any, ClassVar, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from onebalance.core import (
    InvalidCodewords,
    InvalidPassword,
    InvalidPaymentMethod,
    OldName,
    OneBalanceError,
    Renamed,
    TermsNotAccepted,
    ValidationError,
    one_line,
)

from . import _rules
from ._models import ADDRESS_OLD_NAMES, NAME_OLD_NAME, PostalAddress
from ._rules import CodewordType

#: The text fields of a billing address that are printed lines (and its street lines, each one).
_ADDRESS_TEXT = ("name", "company", "city")
#: The service's addresses have two street lines (Address1, Address2).
STREET_LINES_MAX = 2

CardType = Literal["Visa", "MasterCard", "AmericanExpress", "Discover"]
AccountType = Literal["Individual", "HomeOffice", "HomeBasedBusiness", "OfficeBasedBusiness"]


def _translate(exc: pydantic.ValidationError) -> OneBalanceError:
    """pydantic's error as the SDK's: our own error if a validator raised one, else ValidationError."""
    first = exc.errors(include_url=False, include_input=False)[0]
    original = (first.get("ctx") or {}).get("error")
    if isinstance(original, OneBalanceError):
        return original
    field = ".".join(str(p) for p in first["loc"]) or None
    message = str(first["msg"]).removeprefix("Value error, ")
    return ValidationError(f"{field}: {message}" if field else message, field=field)


def _line(value: Any, field: str) -> Any:
    """A text field as one printed line (``_text``): trimmed, or refused for a control or invisible character."""
    if not isinstance(value, str):
        return value
    text, problem = one_line(value)
    if problem is not None:
        raise ValidationError(f"{field}: {problem}", field=field)
    return text


def _lines(model: BaseModel, fields: tuple[str, ...], prefix: str = "") -> None:
    for name in fields:
        _line(getattr(model, name), prefix + name)


def checked_lines(value: Any, *, required: bool, field: str = "street_lines") -> tuple[str, ...]:
    """An address's street lines (``field``): one line (a string) or a list of them, each a printed
    line (``_line``); empty lines dropped; at most :data:`STREET_LINES_MAX`; at least one if ``required``."""
    raw = [value] if isinstance(value, str) or value is None else value
    if not isinstance(raw, (list, tuple)):
        raise ValidationError(f"{field}: must be one or two lines of text", field=field)
    if not all(line is None or isinstance(line, str) for line in raw):
        raise ValidationError(f"{field}: must be one or two lines of text", field=field)
    lines = tuple(text for i, line in enumerate(raw) if (text := _line(line, f"{field}.{i}")))
    if required and not lines:
        raise ValidationError(f"{field}: at least one street line is required", field=field)
    if len(lines) > STREET_LINES_MAX:
        raise ValidationError(f"{field}: at most {STREET_LINES_MAX} street lines", field=field)
    return lines


class _Input(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    def __init__(self, **data: Any) -> None:
        # The error is raised outside the except block: pydantic's own error (which shows the input,
        # card numbers included) must not ride along as __context__.
        error: OneBalanceError | None = None
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            error = _translate(exc)
        if error is not None:
            raise error


def generate_password() -> str:
    """A random password that meets the service's rules (for platforms that keep it for the merchant)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(18))
        if _rules.password_violation(candidate) is None:
            return candidate


def check_password(password: str, field: str = "password") -> None:
    violation = _rules.password_violation(password)
    if violation is not None:
        raise InvalidPassword(violation[1], code=violation[0], field=field)


def ipv4(address: str) -> str:
    """``address`` when it is an IPv4 address (what the service takes as the merchant's), else
    :class:`ValidationError` naming ``client_ip``."""
    try:
        if ip_address(address).version == 4:
            return address
    except ValueError:
        pass
    raise ValidationError("client_ip must be the merchant's IPv4 address", field="client_ip")


class CreditCard(_Input):
    """A credit card. The type is worked out from the number when not given."""

    number: SecretStr
    expiration_month: int = pydantic.Field(ge=1, le=12)
    expiration_year: int = pydantic.Field(ge=2000, le=2100)
    cvn: SecretStr | None = None
    card_type: CardType | None = None
    billing_address: PostalAddress | None = None

    @field_validator("number", mode="before")
    @classmethod
    def _digits(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        return SecretStr(re.sub(r"[\s-]", "", str(raw)))

    @model_validator(mode="after")
    def _check(self) -> CreditCard:
        if self.billing_address is not None:
            _lines(self.billing_address, _ADDRESS_TEXT, "billing_address.")
            checked_lines(self.billing_address.street_lines, required=False, field="billing_address.street_lines")
        number = self.number.get_secret_value()
        card_type: str | None = self.card_type or next(
            (name for name, pattern in _rules.CARD_PREFIXES.items() if pattern.fullmatch(number)), None
        )
        if card_type is None:
            raise InvalidPaymentMethod(
                "The card number is not a Visa, MasterCard, American Express or Discover number.", field="number"
            )
        problem = _rules.card_problem(
            card_type,
            number,
            date(self.expiration_year, self.expiration_month, 1),
            self.cvn.get_secret_value() if self.cvn else None,
            date.today(),
        )
        if problem:
            raise InvalidPaymentMethod(problem, field="number" if "number" in problem else "card")
        object.__setattr__(self, "card_type", card_type)
        return self

    @property
    def last4(self) -> str:
        return self.number.get_secret_value()[-4:]


class BankAccount(_Input):
    """A US bank account for ACH payments."""

    account_type: Literal["Checking", "Savings"] = "Checking"
    bank_name: str = pydantic.Field(min_length=1, max_length=60)
    routing_number: str
    account_number: SecretStr
    holder_name: str = pydantic.Field(min_length=1, max_length=60)

    @field_validator("bank_name", "holder_name", mode="before")
    @classmethod
    def _text(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return _line(value, str(info.field_name))

    @model_validator(mode="after")
    def _check(self) -> BankAccount:
        problem = _rules.bank_account_problem(self.routing_number, self.account_number.get_secret_value())
        if problem:
            raise InvalidPaymentMethod(problem, field="routing_number" if "routing" in problem else "account_number")
        return self

    @property
    def last4(self) -> str:
        return self.account_number.get_secret_value()[-4:]


PaymentMethod = CreditCard | BankAccount


class Codewords(_Input):
    """The two security questions and answers used to reset a forgotten password."""

    question1: CodewordType
    answer1: SecretStr
    question2: CodewordType
    answer2: SecretStr

    @model_validator(mode="after")
    def _check(self) -> Codewords:
        violation = _rules.codewords_violation(
            self.question1, self.answer1.get_secret_value(), self.question2, self.answer2.get_secret_value()
        )
        if violation:
            raise InvalidCodewords(violation[1], code=violation[0], field="codewords")
        return self


class StoreProfile(_Input, Renamed):
    """What the platform already knows about the merchant's store, to pre-fill a registration.

    The address is spelled as ``carriers.Address``'s: ``street_lines`` and ``postal_code``.
    """

    __old_names__: ClassVar[tuple[OldName, ...]] = ADDRESS_OLD_NAMES

    store_name: str
    owner_name: str
    street_lines: tuple[str, ...]
    """One or two lines (a string is one line)."""
    city: str
    state: str
    postal_code: str
    """The ZIP code (or ZIP+4)."""
    email: str
    phone: str
    country: str = "US"

    @field_validator("store_name", "owner_name", "city", mode="before")
    @classmethod
    def _text(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return _line(value, str(info.field_name))

    @field_validator("street_lines", mode="before")
    @classmethod
    def _street_lines(cls, value: Any) -> tuple[str, ...]:
        return checked_lines(value, required=True)


class RegistrationForm(Renamed):
    """A One Balance registration. Pre-fill it with :meth:`from_store`, edit it, then submit it.

    Every field is checked as it is set; :meth:`check` checks the whole form before anything is
    sent (required fields, terms accepted, a payment method, codewords).
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid", str_strip_whitespace=True)
    __old_names__: ClassVar[tuple[OldName, ...]] = (NAME_OLD_NAME, *ADDRESS_OLD_NAMES)

    username: str | None = None
    password: SecretStr | None = None
    email: str | None = None
    name: str | None = None
    """The account holder's full name."""
    company: str | None = None
    street_lines: tuple[str, ...] = ()
    """One or two lines (a string is one line), never a PO box."""
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    """A ZIP or ZIP+4."""
    phone: str | None = None
    account_type: AccountType = "OfficeBasedBusiness"
    codewords: Codewords | None = None
    payment: CreditCard | BankAccount | None = None
    terms_accepted: bool = False
    promo_code: str | None = None
    client_ip: str | None = None

    def __init__(self, **data: Any) -> None:
        # The error is raised outside the except block: pydantic's own error (which shows the input,
        # card numbers included) must not ride along as __context__.
        error: OneBalanceError | None = None
        try:
            super().__init__(**data)
        except pydantic.ValidationError as exc:
            error = _translate(exc)
        if error is not None:
            raise error

    def __setattr__(self, name: str, value: Any) -> None:
        error: OneBalanceError | None = None
        try:
            super().__setattr__(name, value)
        except pydantic.ValidationError as exc:
            error = _translate(exc)
        if error is not None:
            raise error

    def __repr_args__(self) -> Any:
        return [(k, v) for k, v in super().__repr_args__() if k not in ("payment", "codewords")]

    @classmethod
    def from_store(cls, profile: StoreProfile, **overrides: Any) -> RegistrationForm:
        """A form pre-filled with the store's details; ``overrides`` set or replace fields."""
        base = re.sub(r"[^a-z0-9]", "", profile.store_name.lower())[:32] or "merchant"
        values: dict[str, Any] = {
            "username": base,
            "email": profile.email,
            "name": profile.owner_name,
            "company": profile.store_name[:50],
            "street_lines": profile.street_lines,
            "city": profile.city,
            "state": profile.state,
            "postal_code": profile.postal_code,
            "phone": profile.phone,
        }
        values.update(overrides)
        return cls(**values)

    # -- field rules -----------------------------------------------------------------------------
    @field_validator("name", "company", "city", mode="before")
    @classmethod
    def _text(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return _line(value, str(info.field_name))

    @field_validator("street_lines", mode="before")
    @classmethod
    def _street_lines(cls, value: Any) -> tuple[str, ...]:
        lines = checked_lines(value, required=False)
        if any(_rules.is_po_box(line) for line in lines):
            raise ValidationError(
                "The physical address must not be a PO box.",
                code=_rules.PO_BOX_IN_PHYSICAL_ADDRESS,
                field="street_lines",
            )
        return lines

    @field_validator("username")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        if value is not None and (problem := _rules.username_problem(value)):
            raise ValidationError(problem, field="username")
        return value

    @field_validator("password")
    @classmethod
    def _password(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            check_password(value.get_secret_value())
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and (problem := _rules.email_problem(value)):
            raise ValidationError(problem, field="email")
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digits = _rules.normalize_phone(value)
        if digits is None:
            raise ValidationError("The phone number must be a 10-digit US number.", field="phone")
        return digits

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z]{2}", value):
            raise ValidationError("The state must be a 2-letter code.", field="state")
        return value.upper() if value else value

    @field_validator("postal_code")
    @classmethod
    def _zip(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{5}(-?\d{4})?", value):
            raise ValidationError("The ZIP code must be 5 digits (or ZIP+4).", field="postal_code")
        return value

    @field_validator("client_ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                if ip_address(value).version != 4:
                    raise ValueError
            except ValueError:
                raise ValidationError("client_ip must be the merchant's IPv4 address.", field="client_ip") from None
        return value

    # -- the whole form --------------------------------------------------------------------------
    def check(self) -> None:
        """Raise the first problem that would stop the registration; nothing is sent."""
        for name in (
            "username",
            "password",
            "email",
            "name",
            "street_lines",
            "city",
            "state",
            "postal_code",
            "phone",
            "client_ip",
        ):
            if getattr(self, name) in (None, "", ()):
                raise ValidationError(f"{name} is required", field=name)
        if not self.terms_accepted:
            raise TermsNotAccepted(field="terms_accepted")
        if self.payment is None:
            raise InvalidPaymentMethod("A credit card or bank account is required.", field="payment")
        if self.codewords is None:
            raise InvalidCodewords(
                "Two codeword questions and answers are required (they unlock password resets).",
                code=_rules.INVALID_CODEWORDS,
                field="codewords",
            )
