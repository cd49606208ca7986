"""Who pays for a label: the One Balance (USPS) or the merchant's own UPS or FedEx account.

Account numbers are checked against the carriers' formats before anything is sent:

* UPS shipper number: exactly 6 letters or digits, kept upper-case (UPS Shipping API: the shipper
  number is "six digit alphanumeric", at least and at most 6 characters).
* FedEx account number: exactly 9 digits (FedEx Ship API: "Please enter a valid 9-digit FedEx
  account number"; the account number is at most 9 characters).

Spaces and dashes typed between the characters are dropped. The number is shown only masked
(``****1234``) in ``repr()``, ``str()`` and error messages; the mapping layers read
``account_number`` itself.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from ._base import CarrierModel, fail
from ._carrier import Carrier

__all__ = ["CarrierAccountPayment", "OneBalancePayment", "Payment", "check_payer", "payer_description"]

_FORMATS: dict[Carrier, tuple[re.Pattern[str], str]] = {
    Carrier.UPS: (re.compile(r"[A-Z0-9]{6}"), "a UPS shipper number is 6 letters or digits"),
    Carrier.FEDEX: (re.compile(r"\d{9}"), "a FedEx account number is 9 digits"),
}


def mask(number: str) -> str:
    """``****`` and the last four characters."""
    return f"****{number[-4:]}"


class OneBalancePayment(CarrierModel):
    """USPS postage paid from the merchant's One Balance account."""

    kind: Literal["one_balance"] = "one_balance"

    @property
    def carrier(self) -> Carrier:
        return Carrier.USPS

    def payer_description(self) -> str:
        return "USPS postage paid from the One Balance account"


class CarrierAccountPayment(CarrierModel):
    """Charges billed to the merchant's own UPS or FedEx account, e.g.
    ``CarrierAccountPayment("ups", "A1B2C3")``."""

    kind: Literal["carrier_account"] = "carrier_account"
    carrier: Carrier
    account_number: str

    def __init__(self, carrier: Carrier | str, account_number: str, **data: Any) -> None:
        super().__init__(carrier=carrier, account_number=account_number, **data)

    @field_validator("account_number", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> str:
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            fail("account_number", "must be text")
        return re.sub(r"[\s-]", "", str(value)).upper()

    @model_validator(mode="after")
    def _format(self) -> CarrierAccountPayment:
        if self.carrier not in _FORMATS:
            fail("carrier", "USPS postage is paid from the One Balance: use OneBalancePayment")
        pattern, rule = _FORMATS[self.carrier]
        if not pattern.fullmatch(self.account_number):
            fail("account_number", f"is not a valid account number: {rule}")
        return self

    @property
    def masked_account_number(self) -> str:
        return mask(self.account_number)

    def payer_description(self) -> str:
        return f"billed to the merchant's {self.carrier.display_name} account {self.masked_account_number}"

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():
            yield (name, self.masked_account_number) if name == "account_number" else (name, value)


#: Either way of paying; ``kind`` tells them apart when read back from a dict.
Payment = Annotated[OneBalancePayment | CarrierAccountPayment, Field(discriminator="kind")]


def payer_description(payment: OneBalancePayment | CarrierAccountPayment) -> str:
    """Who pays, in words safe to show: ``billed to the merchant's UPS account ****2C3D``."""
    return payment.payer_description()


def check_payer(carrier: Carrier, payment: OneBalancePayment | CarrierAccountPayment, field: str) -> None:
    """Refuse a payment that cannot pay for ``carrier`` (USPS ↔ One Balance, UPS/FedEx ↔ their own account)."""
    if payment.carrier != carrier:
        fail(field, f"a {carrier.display_name} shipment cannot be paid that way ({payment.payer_description()})")
