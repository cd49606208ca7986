"""The carriers: USPS through the One Balance, UPS and FedEx billed to the merchant's accounts, each in
its own folder with the same files (settings, mapping, proxy, client), and the router that rates and
buys across them (``Shipping``, ``RateShop``). Each carrier's client implements the carrier contract,
:class:`onebalance.shipments.CarrierClient`.

The face of the room: other rooms import these names from here.
"""

from onebalance.shipments import CarrierClient

from ._router import RateShop, Shipping
from .fedex import FedexClient
from .ups import UpsClient
from .usps import (
    CleansedAddress,
    LabelVoid,
    LeftOutLabel,
    PackageLocation,
    Pickup,
    PickupAvailability,
    PickupContact,
    PickupPackages,
    PickupRequest,
    PickupStatus,
    PlanLimit,
    ScanForm,
    UspsPickups,
    UspsShipping,
    plan_limits,
)

__all__ = [
    "CleansedAddress",
    "LabelVoid",
    "PackageLocation",
    "Pickup",
    "PickupAvailability",
    "PickupContact",
    "PickupPackages",
    "PickupRequest",
    "PickupStatus",
    "PlanLimit",
    "RateShop",
    "Shipping",
    "UspsPickups",
    "LeftOutLabel",
    "ScanForm",
    "UspsShipping",
    "plan_limits",
]

#: mypy holds each carrier's client to the contract here, signatures and all.
_CONTRACT: tuple[type[CarrierClient], ...] = (UspsShipping, UpsClient, FedexClient)
