"""The pure FedEx mapping layer: neutral models to FedEx JSON and back. No I/O, no clock.

Pairs, karrio-style, named as UPS's (:class:`~onebalance.carriers._rest.RestMapping`):
``rate_request`` / ``parse_rates``, ``ship_request`` / ``parse_label``, ``void_request`` /
``parse_void`` (tracking: :mod:`._mapping_tracking`); ``token_request`` and ``headers`` for the
proxy; :func:`parse_error` turns a FedEx error answer (``{"transactionId", "errors": [{"code",
"message"}]}``) into the SDK's errors. Wire names (camelCase) live only here.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal
from typing import Any

from onebalance.core import AuthenticationFailed, OneBalanceError, ProtocolError, Safety, UnknownFault, ValidationError
from onebalance.shipments import (
    Address,
    Carrier,
    CarrierAccountPayment,
    Charge,
    Label,
    LabelFormat,
    LabelSize,
    LabelSpec,
    Money,
    PackageLabel,
    PackageType,
    Rate,
    ShipmentRequest,
    VoidResult,
    choose,
    credentials_refused,
)

from .._rest._request import Request, void_result
from . import _mapping_international as international
from ._mapping_returns import check_return, mark_return
from ._settings import FedexSettings

TOKEN_PATH = "/oauth/token"  # noqa: S105 - a URL path, not a password
RATE_PATH = "/rate/v1/rates/quotes"
SHIP_PATH = "/ship/v1/shipments"
CANCEL_PATH = "/ship/v1/shipments/cancel"
#: How each call may be retried: cancel as often as needed (a shipment is cancelled once),
#: ship only when it never reached FedEx; cancel and ship move money.
SAFETY: Mapping[str, Safety] = {"rate": Safety.READ, "track": Safety.READ, "oauth": Safety.READ, "cancel": Safety.KEYED}
MONEY = frozenset({"ship", "cancel"})
#: Keys whose values never show in DEBUG logs: the label images.
REDACTED_KEYS = frozenset({"encodedLabel"})

#: Service codes this layer knows by name (others pass through with FedEx's own name).
SERVICES: dict[str, str] = {
    "FEDEX_GROUND": "FedEx Ground",
    "FEDEX_2_DAY": "FedEx 2Day",
    "STANDARD_OVERNIGHT": "FedEx Standard Overnight",
    "PRIORITY_OVERNIGHT": "FedEx Priority Overnight",
    "FEDEX_INTERNATIONAL_PRIORITY": "FedEx International Priority",
    "INTERNATIONAL_ECONOMY": "FedEx International Economy",
}
_PACKAGING: dict[PackageType, str] = {
    PackageType.PACKAGE: "YOUR_PACKAGING",
    PackageType.ENVELOPE: "FEDEX_ENVELOPE",
    PackageType.PAK: "FEDEX_PAK",
    PackageType.TUBE: "FEDEX_TUBE",
}
#: What FedEx prints (labelSpecification imageType, labelStockType): PDF and PNG on paper (PDF also a
#: whole letter sheet), ZPL II and EPL2 on 4x6 thermal stock (FedEx prints thermal formats on STOCK_
#: types, images on PAPER_ ones).
LABEL_FORMATS: dict[tuple[LabelFormat, LabelSize], tuple[str, str]] = {
    ("PDF", "4x6"): ("PDF", "PAPER_4X6"),
    ("PDF", "letter"): ("PDF", "PAPER_LETTER"),
    ("PNG", "4x6"): ("PNG", "PAPER_4X6"),
    ("ZPL", "4x6"): ("ZPLII", "STOCK_4X6"),
    ("EPL", "4x6"): ("EPL2", "STOCK_4X6"),
}
_IMAGE_TYPES: dict[str, LabelFormat] = {"PNG": "PNG", "PDF": "PDF", "ZPLII": "ZPL", "EPL2": "EPL"}
#: FedEx codes about the account number: the merchant's settings, refused by FedEx.
ACCOUNT_CODES = frozenset(
    {
        "ACCOUNT.NUMBER.MISMATCH",
        "ACCOUNT.NUMBER.INVALID",
        "ACCOUNTNUMBER.REGISTRATION.REQUIRED",
        "SHIPMENT.ACCOUNTNUMBER.UNAUTHORIZED",
    }
)


# -- OAuth and headers ----------------------------------------------------------------------------
def token_request(settings: FedexSettings) -> Request:
    """``POST /oauth/token``: the credentials in the form body (not Basic auth)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": settings.client_id,
        "client_secret": settings.client_secret.get_secret_value(),
    }
    return Request("oauth", "POST", TOKEN_PATH, form=form)


def transaction_id(key: str) -> str:
    """FedEx's ``x-customer-transaction-id`` for an idempotency key: the key itself."""
    return key


def headers(transaction_id: str) -> dict[str, str]:
    """The headers of every API call (beside the bearer token)."""
    return {"x-customer-transaction-id": transaction_id, "x-locale": "en_US"}


# -- shared pieces --------------------------------------------------------------------------------
def _address(address: Address) -> dict[str, Any]:
    wire: dict[str, Any] = {
        "streetLines": list(address.street_lines),
        "city": address.city,
        "countryCode": address.country,
    }
    if address.state:
        wire["stateOrProvinceCode"] = address.state
    if address.postal_code:
        wire["postalCode"] = address.postal_code
    if address.residential is not None:
        wire["residential"] = address.residential
    return wire


def _party(address: Address) -> dict[str, Any]:
    contact: dict[str, Any] = {"personName": address.name, "phoneNumber": address.phone or ""}
    if address.company:
        contact["companyName"] = address.company
    if address.email:
        contact["emailAddress"] = address.email
    return {"address": _address(address), "contact": contact}


def _weight(parcel_weight: Any) -> dict[str, Any]:
    pounds = parcel_weight.pounds.quantize(Decimal("0.1"), rounding=ROUND_CEILING)
    return {"units": "LB", "value": float(pounds)}


def _packaging(shipment: ShipmentRequest) -> str:
    kinds = {parcel.package_type for parcel in shipment.parcels}
    if len(kinds) != 1 or next(iter(kinds)) not in _PACKAGING:
        raise ValidationError(
            "parcels.package_type: FedEx takes one kind of packaging per shipment: package, envelope, pak or tube",
            field="parcels.package_type",
        )
    return _PACKAGING[next(iter(kinds))]


def _line_items(shipment: ShipmentRequest, *, ship: bool) -> list[dict[str, Any]]:
    items = []
    for index, parcel in enumerate(shipment.parcels, start=1):
        item: dict[str, Any] = {"weight": _weight(parcel.weight)}
        if ship:
            item["sequenceNumber"] = index
        else:
            item["groupPackageCount"] = 1
        if parcel.dimensions is not None:
            box = parcel.dimensions.to("in")
            item["dimensions"] = {
                "length": int(box.length.to_integral_value(ROUND_CEILING)),
                "width": int(box.width.to_integral_value(ROUND_CEILING)),
                "height": int(box.height.to_integral_value(ROUND_CEILING)),
                "units": "IN",
            }
        if parcel.declared_value is not None:
            item["declaredValue"] = {
                "amount": float(parcel.declared_value.amount),
                "currency": parcel.declared_value.currency,
            }
        if ship and parcel.reference:
            item["customerReferences"] = [{"customerReferenceType": "CUSTOMER_REFERENCE", "value": parcel.reference}]
        items.append(item)
    return items


def _payment(account_number: str) -> dict[str, Any]:
    """SENDER: charges billed to the shipper's own account, named as the payor."""
    return {"paymentType": "SENDER", "payor": {"responsibleParty": {"accountNumber": {"value": account_number}}}}


@functools.lru_cache(maxsize=4096)
def _payer(account_number: str) -> CarrierAccountPayment:
    """Who pays: the account (an immutable model), built once per account rather than per label."""
    return CarrierAccountPayment(Carrier.FEDEX, account_number)


def _money(value: Any, currency: str) -> Money:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ProtocolError("FedEx sent an amount that is not a number")
    try:
        money = Money.rounded(str(value), currency)
    except OneBalanceError:
        raise ProtocolError("FedEx sent an amount that is not a finite number of cents") from None
    if money.amount < 0:
        raise ProtocolError("FedEx sent a negative amount")
    return money


def _output(body: Mapping[str, Any], operation: str) -> Mapping[str, Any]:
    output = body.get("output")
    if not isinstance(output, Mapping):
        raise ProtocolError("FedEx's answer has no output", operation=operation)
    return output


# -- rate -----------------------------------------------------------------------------------------
def rate_request(shipment: ShipmentRequest, settings: FedexSettings) -> Request:
    """``POST /rate/v1/rates/quotes``: every service unless ``shipment.service`` names one."""
    check_return(shipment)
    if shipment.service:
        international.check_service(shipment, shipment.service)
    international.check_abroad(shipment)
    account_number = settings.account_number
    requested: dict[str, Any] = {
        "shipper": {"address": _address(shipment.shipper)},
        "recipient": {"address": _address(shipment.recipient)},
        "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
        "packagingType": _packaging(shipment),
        "rateRequestType": ["ACCOUNT"],
        "shipDateStamp": shipment.ship_date.isoformat(),
        "totalPackageCount": len(shipment.parcels),
        "shippingChargesPayment": _payment(account_number),
        "requestedPackageLineItems": _line_items(shipment, ship=False),
    }
    if shipment.service:
        requested["serviceType"] = shipment.service
    international.add_rate_customs(requested, shipment, account_number)
    request = {
        "accountNumber": {"value": account_number},
        "rateRequestControlParameters": {"returnTransitTimes": True},
        "requestedShipment": requested,
    }
    return Request("rate", "POST", RATE_PATH, request)


def _delivery(detail: Mapping[str, Any]) -> tuple[int | None, date | None]:
    commit = detail.get("commit") or {}
    days = None
    transit = commit.get("transitDays") or {}
    if isinstance(transit, Mapping) and isinstance(transit.get("minimumTransitTime"), str):
        days = _TRANSIT_DAYS.get(transit["minimumTransitTime"])
    when = None
    stamp = (commit.get("dateDetail") or {}).get("dayFormat")
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp).date()
        except ValueError:
            when = None
    return days, when


_TRANSIT_DAYS = {
    "ONE_DAY": 1, "TWO_DAYS": 2, "THREE_DAYS": 3, "FOUR_DAYS": 4, "FIVE_DAYS": 5, "SIX_DAYS": 6, "SEVEN_DAYS": 7,
}  # fmt: skip


def parse_rates(body: Mapping[str, Any], settings: FedexSettings, shipment: ShipmentRequest) -> list[Rate]:
    """One :class:`Rate` per ``rateReplyDetails`` entry, priced by its ACCOUNT rate when present."""
    payment = _payer(settings.account_number)
    rates = []
    for detail in _output(body, "rate").get("rateReplyDetails") or []:
        shipments = detail.get("ratedShipmentDetails") or []
        if not shipments:
            continue
        chosen = next((s for s in shipments if s.get("rateType") == "ACCOUNT"), shipments[0])
        rate_detail = chosen.get("shipmentRateDetail") or {}
        currency = chosen.get("currency") or rate_detail.get("currency") or "USD"
        surcharges = tuple(
            Charge(str(s.get("description") or s.get("type") or "Surcharge"), _money(s.get("amount", 0), currency))
            for s in rate_detail.get("surCharges") or []
        )
        base = chosen.get("totalBaseCharge")
        days, when = _delivery(detail)
        service = str(detail.get("serviceType") or "")
        if not international.serves(shipment, service):
            continue
        packaging = str(detail.get("packagingType") or "YOUR_PACKAGING")
        rates.append(
            Rate(
                carrier=Carrier.FEDEX,
                service_code=service,
                service_name=str(detail.get("serviceName") or SERVICES.get(service, service)),
                total=_money(chosen.get("totalNetCharge"), currency),
                base=_money(base, currency) if base is not None else None,
                surcharges=surcharges,
                delivery_days=days,
                estimated_delivery=when,
                guaranteed=service != "FEDEX_GROUND",
                payment=payment,
                carrier_data=(("service_type", service), ("packaging_type", packaging)),
            )
        )
    return rates


# -- ship -----------------------------------------------------------------------------------------
def ship_request(
    rate: Rate, shipment: ShipmentRequest, settings: FedexSettings, key: str, label_spec: LabelSpec | None = None
) -> Request:
    """``POST /ship/v1/shipments`` for exactly ``rate``, billed (SENDER) to the settings' account
    (the idempotency ``key`` travels as the ``x-customer-transaction-id`` header); the label in
    ``label_spec``'s format and size (:data:`LABEL_FORMATS`; PNG 4x6 by default)."""
    _, _, (image_type, stock_type) = choose(label_spec, Carrier.FEDEX, LABEL_FORMATS, "PNG")
    account_number = settings.account_number
    if rate.carrier is not Carrier.FEDEX:
        raise ValidationError("rate: this is not a FedEx rate", field="rate")
    payer = rate.payment
    if not isinstance(payer, CarrierAccountPayment) or payer.account_number != account_number:
        raise ValidationError("rate.payment: the rate is for another FedEx account", field="rate.payment")
    for field, party in (("shipper", shipment.shipper), ("recipient", shipment.recipient)):
        if not party.phone:
            raise ValidationError(f"{field}.phone: FedEx needs a phone number on every label", field=f"{field}.phone")
    data = rate.data
    international.check_service(shipment, data.get("service_type", rate.service_code), field="rate")
    international.check_abroad(shipment)
    weight = sum((p.weight.pounds for p in shipment.parcels), Decimal(0))
    requested: dict[str, Any] = {
        "shipDatestamp": shipment.ship_date.isoformat(),
        "pickupType": "DROPOFF_AT_FEDEX_LOCATION",
        "serviceType": data.get("service_type", rate.service_code),
        "packagingType": data.get("packaging_type", _packaging(shipment)),
        "totalWeight": float(weight.quantize(Decimal("0.1"), rounding=ROUND_CEILING)),
        "shipper": _party(shipment.shipper),
        "recipients": [_party(shipment.recipient)],
        "shippingChargesPayment": _payment(account_number),
        "labelSpecification": {"imageType": image_type, "labelStockType": stock_type},
        "rateRequestType": ["ACCOUNT"],
        "totalPackageCount": len(shipment.parcels),
        "requestedPackageLineItems": _line_items(shipment, ship=True),
    }
    mark_return(requested, shipment)
    international.add_customs(requested, shipment, account_number, key)
    request = {
        "accountNumber": {"value": account_number},
        "labelResponseOptions": "LABEL",
        "requestedShipment": requested,
    }
    return Request("ship", "POST", SHIP_PATH, request)


def _documents(shipment: Mapping[str, Any]) -> list[tuple[str | None, Mapping[str, Any]]]:
    """``(package tracking number, document)`` for each label document, the pieces' first, then the
    shipment's (both places occur: single- and multi-piece answers differ)."""
    found: list[tuple[str | None, Mapping[str, Any]]] = []
    for piece in shipment.get("pieceResponses") or []:
        for document in piece.get("packageDocuments") or []:
            found.append((_text(document.get("trackingNumber")) or _text(piece.get("trackingNumber")), document))
    for document in shipment.get("shipmentDocuments") or []:
        found.append((_text(document.get("trackingNumber")), document))
    return [(n, d) for n, d in found if d.get("contentType", "LABEL") == "LABEL" and d.get("encodedLabel")]


def _decoded(encoded: Any) -> bytes:
    try:
        return base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("FedEx's label is not valid base64", operation="ship") from None


def _packages(shipment: Mapping[str, Any], master: str) -> tuple[list[PackageLabel], str]:
    """Every package's label, the master's first, and the first label's docType.

    The pieces (``pieceResponses``) name the packages, in sequence; each one's label is the
    document carrying its tracking number. A one-piece answer whose document names no package is
    the master's label.
    """
    documents = _documents(shipment)
    if not documents:
        raise ProtocolError("FedEx's ship answer has no label", operation="ship")
    pieces = sorted(
        (p for p in shipment.get("pieceResponses") or [] if _text(p.get("trackingNumber"))),
        key=lambda p: p.get("packageSequenceNumber") or 0,
    )
    numbers = list(dict.fromkeys([master] + [str(p["trackingNumber"]) for p in pieces]))
    by_number: dict[str, Mapping[str, Any]] = {}
    for number, document in documents:
        by_number.setdefault(number or master, document)
    if len(numbers) == 1:
        by_number.setdefault(master, documents[0][1])
    missing = [n for n in numbers if n not in by_number]
    if missing:
        raise ProtocolError("FedEx's ship answer has no label for a package of the shipment", operation="ship")
    packages = [PackageLabel(tracking_number=n, label_image=_decoded(by_number[n]["encodedLabel"])) for n in numbers]
    return packages, str(by_number[master].get("docType") or "PNG")


def parse_label(
    body: Mapping[str, Any], rate: Rate, settings: FedexSettings, now: datetime, label_spec: LabelSpec | None = None
) -> Label:
    """The :class:`Label`: every package's tracking number and label image (base64-decoded), the
    master package's in the label's own fields, in the format FedEx says it is (``docType``) and
    the size asked (``label_spec``); the shipment's cost; the payer; ``rate``'s amount as ``quoted_cost``."""
    shipments = _output(body, "ship").get("transactionShipments") or []
    if not shipments:
        raise ProtocolError("FedEx's ship answer has no transactionShipments", operation="ship")
    shipment = shipments[0]
    tracking = _text(shipment.get("masterTrackingNumber"))
    if not tracking:
        raise ProtocolError("FedEx's ship answer has no tracking number or no label", operation="ship")
    packages, doc_type = _packages(shipment, tracking)
    label_format = _IMAGE_TYPES.get(doc_type.upper())
    if label_format is None:
        raise ProtocolError("FedEx answered a label in a format the SDK did not ask for", operation="ship")
    _, label_size, _ = choose(label_spec, Carrier.FEDEX, LABEL_FORMATS, "PNG")
    details = ((shipment.get("completedShipmentDetail") or {}).get("shipmentRating") or {}).get(
        "shipmentRateDetails"
    ) or []
    if details:
        chosen = next((d for d in details if d.get("rateType") == "ACCOUNT"), details[0])
        cost = _money(chosen.get("totalNetCharge"), chosen.get("currency") or "USD")
    else:
        pieces = shipment.get("pieceResponses") or []
        cost = Money.total(_money(p.get("netChargeAmount", 0), "USD") for p in pieces)
    return Label(
        carrier=Carrier.FEDEX,
        tracking_number=tracking,
        service_code=str(shipment.get("serviceType") or "UNKNOWN"),
        cost=cost,
        paid_by=_payer(settings.account_number),
        label_image=packages[0].label_image,
        label_format=label_format,
        label_size=label_size,
        created_at=now,
        quoted_cost=rate.total,  # what buy sets (with_quote): set here, no copy made
        carrier_reference=tracking,
        packages=tuple(packages),
        documents=international.parse_documents(shipment),
    )


# -- cancel ---------------------------------------------------------------------------------------
def void_request(label: Label, settings: FedexSettings, package: str | None = None) -> Request:
    """``PUT /ship/v1/shipments/cancel``: the whole shipment (its master tracking number with
    ``deletionControl`` DELETE_ALL_PACKAGES), or with ``package`` only that package (its own
    tracking number, without ``deletionControl``, whose one value cancels every package)."""
    if label.carrier is not Carrier.FEDEX or not label.tracking_number:
        raise ValidationError("label: this is not a FedEx label", field="label")
    request: dict[str, Any] = {"accountNumber": {"value": settings.account_number}}
    if package is None:
        request["trackingNumber"] = label.carrier_reference or label.tracking_number
        request["deletionControl"] = "DELETE_ALL_PACKAGES"
    else:
        request["trackingNumber"] = label.package_number(package)
    request["emailShipment"] = False
    request["senderCountryCode"] = "US"
    return Request("cancel", "PUT", CANCEL_PATH, request, repeat_refused=_already_cancelled)


def _already_cancelled(body: Any) -> bool:
    """FedEx's answer to cancelling a shipment that is already cancelled."""
    output = body.get("output") if isinstance(body, Mapping) else None
    return (
        isinstance(output, Mapping)
        and output.get("cancelledShipment") is False
        and output.get("cancelledHistory") is True
    )


def parse_void(body: Mapping[str, Any], label: Label, package: str | None = None) -> VoidResult:
    """Voided or not; billed to an account, so there is no refund to wait for."""
    return void_result(Carrier.FEDEX, label, package, voided=_output(body, "cancel").get("cancelledShipment") is True)


# -- errors ---------------------------------------------------------------------------------------
def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_error(status: int, body: Any, operation: str, transaction_id: str | None = None) -> OneBalanceError:
    """The SDK error for a FedEx error answer (any non-2xx), mapped in this one place.

    401/403 → :class:`AuthenticationFailed`; an account-number code → :class:`ValidationError`
    naming ``account_number``; any other 400 → :class:`ValidationError`; the rest (404, 429, 5xx)
    → :class:`UnknownFault`. The FedEx code is in ``code``, the transactionId in ``transaction_id``.
    """
    errors = body.get("errors") if isinstance(body, Mapping) else None
    first = errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], Mapping) else {}
    code = _text(first.get("code"))
    message = _text(first.get("message")) or f"FedEx answered HTTP {status}"
    message = message[:300]
    common: dict[str, Any] = {
        "operation": operation,
        "code": code,
        "http_status": status,
        "transaction_id": (_text(body.get("transactionId")) if isinstance(body, Mapping) else None) or transaction_id,
    }
    if code in ACCOUNT_CODES:
        return ValidationError(f"account_number: {message}", field="account_number", **common)
    if status == 401 and operation == "oauth":
        return credentials_refused("FedEx", message, **common)
    if status in (401, 403):
        return AuthenticationFailed(message, **common)
    if status == 400:
        return ValidationError(message, **common)
    return UnknownFault(message, **common)
