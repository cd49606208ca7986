"""The carrier contract: what every carrier client does, in the carrier-neutral models.

USPS (:class:`~onebalance.UspsShipping`, paid from the One Balance), UPS (:class:`~carriers.ups.UpsClient`)
and FedEx (:class:`~carriers.fedex.FedexClient`) each implement :class:`CarrierClient`;
:class:`~onebalance.Shipping` rates, buys, voids and tracks through it alone. A carrier may take more
than the contract asks (USPS's ``buy`` also takes a cost account), never less.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from ._carrier import Carrier
from ._label import Label, VoidResult
from ._label_spec import LabelSpec
from ._rate import Rate
from ._shipment import ShipmentRequest
from ._tracking import Tracking

__all__ = ["CarrierClient"]


@runtime_checkable
class CarrierClient(Protocol):
    """One merchant's account with one carrier: rates, labels, voids and tracking.

    ``isinstance(client, CarrierClient)`` says whether an object has the contract's methods (not
    their signatures: mypy checks those).
    """

    @property
    def carrier(self) -> Carrier:
        """The carrier this client ships with."""
        ...

    def rates(self, shipment: ShipmentRequest) -> list[Rate]:
        """Every service's price for ``shipment`` (or only ``shipment.service``'s), cheapest first."""
        ...

    def buy(
        self, rate: Rate, shipment: ShipmentRequest, *, idempotency_key: str, label_spec: LabelSpec | None = None
    ) -> Label:
        """Buy ``rate``'s label; the same ``idempotency_key`` never buys a second one.

        ``label_spec`` is the format and size to print it in (None, or a field left None: the
        carrier's default); one the carrier does not print is refused with
        :class:`~onebalance.LabelFormatUnavailable` before anything is sent."""
        ...

    def void(self, label: Label, package: str | None = None) -> VoidResult:
        """Void ``label``'s shipment, or with ``package`` (one of its packages' tracking numbers) that package."""
        ...

    def track(self, tracking_number: str) -> Tracking:
        """Where the parcel is, newest event first."""
        ...
