"""``RateShop``: every carrier's rates for one shipment, and the address check a rate shop may start with."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from onebalance.core import OneBalanceError
from onebalance.core import publish as _publish
from onebalance.shipments import Carrier, Rate, ShipmentRequest, cheapest, fastest

from .usps._client import UspsShipping
from .usps._mapping_international import abroad
from .usps._models import CleansedAddress

__all__ = ["RateShop", "checked_shipment"]


def checked_shipment(usps: UspsShipping, shipment: ShipmentRequest) -> tuple[ShipmentRequest, CleansedAddress | None]:
    """``shipment`` with its recipient checked by USPS (one CleanseAddress): to the corrected address
    when USPS matched it, as it was otherwise (ambiguous: the check has the candidates). A recipient
    abroad is not checked. :class:`AddressNotFound` when USPS knows no such address."""
    if abroad(shipment.recipient):
        return shipment, None
    check = usps.check_address(shipment.recipient)
    if check.match and check.address != shipment.recipient:
        shipment = shipment.model_copy(update={"recipient": check.address})  # validated again
    return shipment, check


class RateShop(BaseModel):
    """Every carrier's rates for one shipment, cheapest first.

    A carrier that failed is in ``errors`` with the error it raised (a :class:`OneBalanceError`, with
    its ``code``, ``http_status`` and ``operation``); :attr:`error_messages` has them as text.

    Rates the merchant's plan forbids stay in ``rates``, marked (``rate.restriction``), so the
    merchant sees them; ``cheapest`` and ``fastest`` are chosen among the ``allowed`` ones only.

    ``shipment`` is the shipment the rates were quoted for: buy with it. With
    ``Shipping.rates(shipment, check_address=True)`` it goes to the address USPS corrected the
    recipient to, and ``address_check`` is what USPS said of the recipient (None when not asked,
    or for a recipient abroad).
    """

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    rates: tuple[Rate, ...]
    errors: dict[Carrier, OneBalanceError]
    shipment: ShipmentRequest | None = None
    address_check: CleansedAddress | None = None

    @property
    def error_messages(self) -> dict[Carrier, str]:
        """Each failed carrier's error as one line: ``"AuthenticationFailed: ..."``."""
        return {carrier: f"{type(error).__name__}: {error}" for carrier, error in self.errors.items()}

    @property
    def allowed(self) -> tuple[Rate, ...]:
        """The rates the merchant's plan allows, cheapest first."""
        return tuple(rate for rate in self.rates if rate.allowed)

    @property
    def cheapest(self) -> Rate | None:
        allowed = self.allowed
        return cheapest(allowed) if allowed else None

    @property
    def fastest(self) -> Rate | None:
        allowed = self.allowed
        return fastest(allowed) if allowed else None


_publish(globals(), "onebalance", ("RateShop",))  # re-exported by onebalance
