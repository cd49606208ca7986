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

from onebalance.core import publish as _publish

from ._address import Address
from ._carrier import Carrier
from ._contract import CarrierClient
from ._customs import ContentsType, Customs, CustomsLine, DutiesPayer, NonDelivery
from ._documents import DocumentKind, ShippingDocument
from ._label import Label, LabelFormat, LabelSize, PackageLabel, RefundStatus, VoidResult
from ._label_spec import LabelFormatUnavailable, LabelSpec
from ._listing import ShipmentPage, ShipmentRecord, ShipmentStatus
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
    "ShipmentPage",
    "ShipmentRecord",
    "ShipmentRequest",
    "ShipmentStatus",
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


# The names other rooms use (they import them from here, not from the modules).
from ._base import CarrierModel as CarrierModel
from ._base import credentials_refused as credentials_refused
from ._base import fail as fail
from ._label import tracking_number as tracking_number
from ._label_codec import label_from_json as label_from_json
from ._label_codec import label_to_json as label_to_json
from ._label_spec import choose as choose
from ._label_spec import label_spec as label_spec
from ._listing import shipment_statuses as shipment_statuses
from ._purchase_errors import ChargeAboveQuote as ChargeAboveQuote
from ._purchase_errors import IdempotencyKeyReused as IdempotencyKeyReused
from ._purchase_errors import RateMismatch as RateMismatch
from ._quote import bind as bind
from ._quote import check_quote as check_quote
from ._quote import purchase_fingerprint as purchase_fingerprint
from ._quote import with_quote as with_quote
from ._recent import KeyUse as KeyUse
from ._recent import KeyUses as KeyUses
from ._recent import OncePerKey as OncePerKey
from ._recent import RecentLabels as RecentLabels
from ._recent import maybe_bought as maybe_bought
from ._recent import read_sold_label as read_sold_label
from ._shipment import MAX_PARCELS as MAX_PARCELS
from ._shipment import check_idempotency_key as check_idempotency_key

_publish(globals(), "carriers", __all__)  # carriers.Address, not onebalance.shipments._address.Address
