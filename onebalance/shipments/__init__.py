"""Carrier-neutral shipping models: address, parcel, shipment, customs, rate, label, tracking, payment.

Nothing here knows any one carrier's wire format: USPS (postage from the One Balance), UPS and
FedEx (billed to the merchant's own accounts) each have a mapping layer that turns these models
into their requests and their answers back into these models.

Every input model validates when it is built and raises the SDK's own
:class:`onebalance.ValidationError` (``InvalidAmount`` for money), naming the field by its full
path (``recipient.postal_code``); results are frozen. Money is Decimal, never float.

::

    from datetime import date
    from carriers import Address, Parcel, ShipmentRequest, Weight

    request = ShipmentRequest(
        shipper=Address(name="Acme", street_lines=["1 Main St"], city="Springfield", state="IL",
                        postal_code="62701"),
        recipient=Address(name="Jane Doe", street_lines="9 Elm St", city="Austin", state="TX",
                          postal_code="78701-1234"),
        parcels=[Parcel(weight=Weight("2.5", "lb"))],
        ship_date=date(2025, 3, 3),
    )
"""

from onebalance.core._public import publish as _publish

from ._address import Address
from ._carrier import Carrier
from ._contract import CarrierClient
from ._customs import ContentsType, Customs, CustomsLine, DutiesPayer, NonDelivery
from ._documents import DocumentKind, ShippingDocument
from ._label import Label, LabelFormat, LabelSize, PackageLabel, RefundStatus, VoidResult
from ._label_spec import LabelFormatUnavailable, LabelSpec
from ._money import Money
from ._parcel import MAX_PARCEL_WEIGHT, PackageType, Parcel
from ._payment import CarrierAccountPayment, OneBalancePayment, Payment, payer_description
from ._rate import Charge, Rate, cheapest, fastest
from ._shipment import ShipmentOption, ShipmentRequest
from ._tracking import Tracking, TrackingEvent, TrackingStatus
from ._units import Dimensions, DimensionUnit, Weight, WeightUnit

__all__ = [
    "MAX_PARCEL_WEIGHT",
    "Address",
    "Carrier",
    "CarrierAccountPayment",
    "CarrierClient",
    "Charge",
    "ContentsType",
    "Customs",
    "CustomsLine",
    "DimensionUnit",
    "Dimensions",
    "DocumentKind",
    "DutiesPayer",
    "Label",
    "LabelFormat",
    "LabelFormatUnavailable",
    "LabelSize",
    "LabelSpec",
    "Money",
    "NonDelivery",
    "OneBalancePayment",
    "PackageLabel",
    "PackageType",
    "Parcel",
    "Payment",
    "Rate",
    "RefundStatus",
    "ShipmentOption",
    "ShipmentRequest",
    "ShippingDocument",
    "Tracking",
    "TrackingEvent",
    "TrackingStatus",
    "VoidResult",
    "Weight",
    "WeightUnit",
    "cheapest",
    "fastest",
    "payer_description",
]

_publish(globals(), "carriers", __all__)  # carriers.Address, not onebalance.shipments._address.Address
