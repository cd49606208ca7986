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
from typing import Any, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from onebalance.core import (
    InvalidCodewords,
    InvalidPassword,
    InvalidPaymentMethod,
    OneBalanceError,
    TermsNotAccepted,
    ValidationError,
    one_line,
)

from . import _rules
from ._models import PostalAddress
from ._rules import CodewordType

#: The text fields of a billing address that are printed lines.
_ADDRESS_TEXT = ("full_name", "company", "address1", "address2", "city")

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


class StoreProfile(_Input):
    """What the platform already knows about the merchant's store, to pre-fill a registration."""

    store_name: str
    owner_name: str
    address1: str
    address2: str | None = None
    city: str
    state: str
    zip_code: str
    email: str
    phone: str
    country: str = "US"

    @field_validator("store_name", "owner_name", "address1", "address2", "city", mode="before")
    @classmethod
    def _text(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return _line(value, str(info.field_name))


class RegistrationForm(BaseModel):
    """A One Balance registration. Pre-fill it with :meth:`from_store`, edit it, then submit it.

    Every field is checked as it is set; :meth:`check` checks the whole form before anything is
    sent (required fields, terms accepted, a payment method, codewords).
    """

    model_config = ConfigDict(validate_assignment=True, extra="forbid", str_strip_whitespace=True)

    username: str | None = None
    password: SecretStr | None = None
    email: str | None = None
    full_name: str | None = None
    company: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
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
            "full_name": profile.owner_name,
            "company": profile.store_name[:50],
            "address1": profile.address1,
            "address2": profile.address2,
            "city": profile.city,
            "state": profile.state,
            "zip_code": profile.zip_code,
            "phone": profile.phone,
        }
        values.update(overrides)
        return cls(**values)

    # -- field rules -----------------------------------------------------------------------------
    @field_validator("full_name", "company", "address1", "address2", "city", mode="before")
    @classmethod
    def _text(cls, value: Any, info: pydantic.ValidationInfo) -> Any:
        return _line(value, str(info.field_name))

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

    @field_validator("zip_code")
    @classmethod
    def _zip(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"\d{5}(-?\d{4})?", value):
            raise ValidationError("The ZIP code must be 5 digits (or ZIP+4).", field="zip_code")
        return value

    @field_validator("address1", "address2")
    @classmethod
    def _not_po_box(cls, value: str | None) -> str | None:
        if value and _rules.is_po_box(value):
            raise ValidationError(
                "The physical address must not be a PO box.", code=_rules.PO_BOX_IN_PHYSICAL_ADDRESS, field="address1"
            )
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
            "full_name",
            "address1",
            "city",
            "state",
            "zip_code",
            "phone",
            "client_ip",
        ):
            if getattr(self, name) in (None, ""):
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
