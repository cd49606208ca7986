"""The UPS wire format: pure functions from the neutral models to UPS JSON and back. No I/O.

Pairs, karrio-style, named as FedEx's (:class:`~onebalance.carriers._rest.RestMapping`):
``rate_request`` / ``parse_rates``, ``ship_request`` / ``parse_label``, ``void_request`` /
``parse_void`` (tracking: :mod:`._mapping_tracking`); ``token_request`` and ``headers`` for the
proxy; ``parse_error`` turns UPS's error body (``{"response": {"errors": [{"code", "message"}]}}``)
into the SDK's typed errors. UPS sends every scalar as a string and sometimes collapses
one-element arrays to an object: the parsers accept both.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from onebalance.core import (
    AuthenticationFailed,
    LabelNotFound,
    OneBalanceError,
    PaymentMethodRefused,
    PermissionDenied,
    ProtocolError,
    Safety,
    SchemaViolation,
    ServiceError,
    UnknownFault,
    ValidationError,
    VoidRefused,
)
from onebalance.shipments import (
    Carrier,
    CarrierAccountPayment,
    Charge,
    Label,
    LabelFormat,
    LabelSize,
    LabelSpec,
    Money,
    PackageLabel,
    Rate,
    ShipmentRequest,
    VoidResult,
    choose,
    credentials_refused,
    tracking_number,
)

from .._rest._request import Request, asked, void_result
from . import _mapping_international as international
from ._mapping_returns import check_return_void, mark_return
from ._mapping_shipment import shipment_body
from ._settings import UpsSettings

API_VERSION = "v2409"
TOKEN_PATH = "/security/v1/oauth/token"  # noqa: S105 - a URL path, not a password
RATE_PATH = f"/api/rating/{API_VERSION}/Shop"
SHIP_PATH = f"/api/shipments/{API_VERSION}/ship"
VOID_PATH = f"/api/shipments/{API_VERSION}/void/cancel/"
#: UPS's ``transactionSrc`` header: who sends the request.
TRANSACTION_SRC = "onebalance"
#: How each call may be retried: void as often as needed (a shipment is voided once),
#: ship only when it never reached UPS; void and ship move money.
SAFETY: Mapping[str, Safety] = {"rate": Safety.READ, "track": Safety.READ, "token": Safety.READ, "void": Safety.KEYED}
MONEY = frozenset({"ship", "void"})
#: What UPS prints (LabelImageFormat code, LabelStockSize height x width in inches): GIF, and ZPL and
#: EPL2 for thermal printers, each on 4x6 stock (UPS scales a 4x8 request down to 4x6; SPL, Sato's
#: language, has no neutral name; Shipping.yaml lists no PDF or PNG).
LABEL_FORMATS: dict[tuple[LabelFormat, LabelSize], tuple[str, tuple[str, str]]] = {
    ("GIF", "4x6"): ("GIF", ("6", "4")),
    ("ZPL", "4x6"): ("ZPL", ("6", "4")),
    ("EPL", "4x6"): ("EPL", ("6", "4")),
}
#: ``choose``'s arguments for UPS, and what it gives for no spec (GIF, 4x6).
_CHOICE: tuple[Carrier, dict[tuple[LabelFormat, LabelSize], tuple[str, tuple[str, str]]], LabelFormat] = (
    Carrier.UPS,
    LABEL_FORMATS,
    "GIF",
)
_NO_SPEC = choose(None, *_CHOICE)
#: The ImageFormat codes of UPS's answers -> the label's format (PNG: UPS answers it when asked, karrio saw).
_IMAGE_FORMATS: dict[str, LabelFormat] = {"GIF": "GIF", "PNG": "PNG", "ZPL": "ZPL", "EPL": "EPL"}
#: Keys whose values never show in DEBUG logs: the label images.
REDACTED_KEYS = frozenset({"GraphicImage", "HTMLImage"})

SERVICE_NAMES: dict[str, str] = {
    "01": "UPS Next Day Air",
    "02": "UPS 2nd Day Air",
    "03": "UPS Ground",
    "07": "UPS Worldwide Express",
    "08": "UPS Worldwide Expedited",
    "11": "UPS Standard",
    "12": "UPS 3 Day Select",
    "13": "UPS Next Day Air Saver",
    "14": "UPS Next Day Air Early",
    "54": "UPS Worldwide Express Plus",
    "59": "UPS 2nd Day Air A.M.",
    "65": "UPS Saver",
    "17": "UPS Worldwide Economy DDU",
    "72": "UPS Worldwide Economy DDP",
    "74": "UPS Express 12:00",
    "96": "UPS Worldwide Express Freight",
}
#: ``isinstance(value, _MAPPING)`` is ``isinstance(value, Mapping)``, without the ABC's own check for a
#: dict (what the JSON decoder makes): a fifth of the time.
_MAPPING = (dict, Mapping)
# -- helpers -----------------------------------------------------------------------------------------


def _list(value: Any) -> list[Any]:
    """UPS's "object or list": always a list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _money(node: Any, field: str) -> Money:
    if not isinstance(node, _MAPPING):
        raise ProtocolError(f"UPS answer has no {field}")
    value = node.get("MonetaryValue")
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ProtocolError(f"UPS answer has an unreadable {field}")
    try:
        money = Money(Decimal(str(value).strip()), str(node.get("CurrencyCode") or "USD"))
    except (InvalidOperation, ValueError, ArithmeticError, OneBalanceError):
        raise ProtocolError(f"UPS answer has an unreadable {field}") from None
    if money.amount < 0:
        raise ProtocolError(f"UPS answer has a negative {field}")
    return money


@functools.lru_cache(maxsize=4096)
def _payment(account_number: str) -> CarrierAccountPayment:
    """``settings.payment`` (an immutable model), built once per account rather than per label."""
    return CarrierAccountPayment(Carrier.UPS, account_number)


def transaction_id(key: str) -> str:
    """UPS's ``transId`` header (at most 32 characters) for an idempotency key: a digest of it."""
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def headers(transaction_id: str) -> dict[str, str]:
    """The headers of every API call (beside the bearer token): who sends it and its ``transId``."""
    return {"transactionSrc": TRANSACTION_SRC, "transId": transaction_id}


# -- OAuth -------------------------------------------------------------------------------------------


def token_request(settings: UpsSettings) -> Request:
    """The token call: the credentials in the Basic ``Authorization`` header, the shipper number in
    ``x-merchant-id``, the grant type in the form."""
    return Request(
        "token",
        "POST",
        TOKEN_PATH,
        form={"grant_type": "client_credentials"},
        headers={"x-merchant-id": settings.account_number},
        auth=(settings.client_id, settings.client_secret.get_secret_value()),
    )


# -- Rating ------------------------------------------------------------------------------------------


def rate_request(shipment: ShipmentRequest, settings: UpsSettings, *, context: str | None = None) -> Request:
    """A ``Shop`` request (every service), billed to the settings' shipper number."""
    if shipment.service:
        international.check_service(shipment, shipment.service, SERVICE_NAMES)
    request: dict[str, Any] = {"RequestOption": "Shop"}
    if context:
        request["TransactionReference"] = {"CustomerContext": context}
    body = shipment_body(shipment, settings, payment="PaymentDetails", packaging="PackagingType")
    body["NumOfPieces"] = str(len(shipment.parcels))
    international.add_invoice_total(body, shipment)
    return Request("rate", "POST", RATE_PATH, {"RateRequest": {"Request": request, "Shipment": body}})


def parse_rates(body: Any, settings: UpsSettings, shipment: ShipmentRequest | None = None) -> list[Rate]:
    """Every rated service as a neutral :class:`Rate` paid by the merchant's UPS account.

    With ``shipment.service`` set, only that service's rate is kept.
    """
    root = body.get("RateResponse") if isinstance(body, _MAPPING) else None
    if not isinstance(root, _MAPPING):
        raise ProtocolError("UPS rate answer has no RateResponse", operation="rate")
    rates: list[Rate] = []
    for rated in _list(root.get("RatedShipment")):
        code = str((rated.get("Service") or {}).get("Code", ""))
        if not code or (shipment is not None and shipment.service and shipment.service != code):
            continue
        if shipment is not None and not international.serves(shipment, code):
            continue
        negotiated = (rated.get("NegotiatedRateCharges") or {}).get("TotalCharge")
        total = _money(negotiated or rated.get("TotalCharges"), "TotalCharges")
        base = rated.get("BaseServiceCharge")
        surcharges = [
            Charge(_charge_name(item), _money(item, "ItemizedCharges"))
            for item in _list(rated.get("ItemizedCharges"))
            if isinstance(item, _MAPPING)
        ]
        guaranteed = rated.get("GuaranteedDelivery") or {}
        days_text = str(guaranteed.get("BusinessDaysInTransit", "")).strip()
        rates.append(
            Rate(
                carrier=Carrier.UPS,
                service_code=code,
                service_name=SERVICE_NAMES.get(code, f"UPS service {code}"),
                total=total,
                base=_money(base, "BaseServiceCharge") if base else None,
                surcharges=tuple(surcharges),
                delivery_days=int(days_text) if days_text.isdigit() else None,
                guaranteed=bool(days_text),
                payment=_payment(settings.account_number),
                carrier_data=(("service_code", code), ("total", f"{total.amount:f}")),
            )
        )
    return rates


_CHARGE_NAMES = {"375": "Fuel surcharge", "270": "Residential surcharge", "120": "Delivery confirmation"}


def _charge_name(item: Mapping[str, Any]) -> str:
    code = str(item.get("Code", ""))
    return _CHARGE_NAMES.get(code, f"UPS charge {code}" if code else "UPS charge")


# -- Shipping ----------------------------------------------------------------------------------------


def ship_request(
    rate: Rate, shipment: ShipmentRequest, settings: UpsSettings, key: str, label_spec: LabelSpec | None = None
) -> Request:
    """A Ship request for ``rate``'s service, billed to the shipper's own account (BillShipper); the
    idempotency ``key`` is its transaction reference (``CustomerContext``); the label in ``label_spec``'s
    format and size (:data:`LABEL_FORMATS`; GIF 4x6 by default)."""
    # No spec (the usual case): what choose gives for none, without asking it.
    _, _, (code, (height, width)) = _NO_SPEC if label_spec is None else choose(label_spec, *_CHOICE)
    quoted = rate.__dict__  # the fields, each read as a dict's item (see _mapping_shipment._address)
    if quoted["carrier"] is not Carrier.UPS:
        raise ValidationError("rate: not a UPS rate", field="rate")
    account = settings.account_number
    if getattr(quoted["payment"], "account_number", None) != account:
        raise ValidationError("rate: the rate is billed to another UPS account than this client's", field="rate")
    service = dict(quoted["carrier_data"]).get("service_code", quoted["service_code"])
    # At home with a service sold at home (the usual case), the checks below have nothing to refuse.
    abroad = shipment.is_international
    if abroad or service not in international.DOMESTIC_SERVICES:
        international.check_service(shipment, service, SERVICE_NAMES, field="rate")
    if abroad:
        international.check_abroad(shipment)
    body = shipment_body(shipment, settings, payment="PaymentInformation", packaging="Packaging")
    body["Service"] = {"Code": service, "Description": SERVICE_NAMES.get(service, service)[:35]}
    fields = shipment.__dict__
    reference = fields["reference"]
    if reference:
        body["ReferenceNumber"] = [{"Value": reference}]
    if fields["is_return"]:
        mark_return(body, shipment)
    if abroad:
        international.add_customs(body, shipment, account, key)
    request = {
        "ShipmentRequest": {
            "Request": {"RequestOption": "nonvalidate", "TransactionReference": {"CustomerContext": key}},
            "Shipment": body,
            "LabelSpecification": {
                "LabelImageFormat": {"Code": code},
                "HTTPUserAgent": "Mozilla/4.5",
                "LabelStockSize": {"Height": height, "Width": width},
            },
        }
    }
    return Request("ship", "POST", SHIP_PATH, request)


def parse_label(
    body: Any, rate: Rate, settings: UpsSettings, now: datetime, label_spec: LabelSpec | None = None
) -> Label:
    """The bought :class:`Label`: every package's tracking number and image (base64 decoded), the
    first package's in the label's own fields, and the whole shipment's cost; its format is the one
    UPS says the image is (``ImageFormat``), its size the one asked (``label_spec``); ``quoted_cost`` is
    ``rate``'s amount."""
    root = body.get("ShipmentResponse") if isinstance(body, _MAPPING) else None
    results = root.get("ShipmentResults") if isinstance(root, _MAPPING) else None
    if not isinstance(results, _MAPPING):
        raise ProtocolError("UPS ship answer has no ShipmentResults", operation="ship")
    found = results.get("PackageResults")
    if type(found) is list and len(found) == 1:
        found = found[0]  # one package in a list: as UPS's lone object (anything else in it: as before)
    if isinstance(found, dict):  # one package (the usual case): Label.bought's fast way
        return _one_package_label(results, found, rate, settings, now, label_spec)
    results_list = [p for p in _list(found) if isinstance(p, _MAPPING)]
    if not results_list:
        raise ProtocolError("UPS ship answer has no PackageResults", operation="ship")
    packages = [_package_label(p) for p in results_list]
    cost = _cost(results)
    image_format = _image_format(results_list[0])
    size = _label_size(label_spec)
    first = packages[0]
    return Label(
        carrier=Carrier.UPS,
        tracking_number=first.tracking_number,
        service_code=rate.service_code,
        cost=cost,
        paid_by=_payment(settings.account_number),
        label_image=first.label_image,
        label_format=image_format,
        label_size=size,
        created_at=now,
        quoted_cost=rate.total,  # what buy sets (with_quote): set here, no copy made
        carrier_reference=str(results.get("ShipmentIdentificationNumber") or first.tracking_number),
        packages=tuple(packages),
        documents=international.parse_documents(results),
    )


def _one_package_label(
    results: Mapping[str, Any],
    package: Mapping[str, Any],
    rate: Rate,
    settings: UpsSettings,
    now: datetime,
    label_spec: LabelSpec | None,
) -> Label:
    """:func:`parse_label` of a one-package answer, read in the same order (the image, the tracking
    number, the cost, the format) with the same errors, the label made by :meth:`Label.bought`."""
    image = _image(package)
    number = tracking_number(str(package.get("TrackingNumber", "")))  # PackageLabel's cleaning and refusal
    cost = _cost(results)
    image_format = _image_format(package)
    return Label.bought(
        carrier=Carrier.UPS,
        tracking_number=number,
        service_code=rate.service_code,
        cost=cost,
        paid_by=_payment(settings.account_number),
        label_image=image,
        label_format=image_format,
        label_size=_label_size(label_spec),
        created_at=now,
        carrier_reference=str(results.get("ShipmentIdentificationNumber") or number),
        documents=international.parse_documents(results),
        quoted_cost=rate.total,  # what buy sets (with_quote): set here, no copy made
    )


def _label_size(label_spec: LabelSpec | None) -> LabelSize | None:
    """The size the label was asked in (``choose``'s; 4x6 for no spec, without asking it)."""
    return _NO_SPEC[1] if label_spec is None else choose(label_spec, *_CHOICE)[1]


def _cost(results: Mapping[str, Any]) -> Money:
    """The whole shipment's cost: the negotiated rate, else the published one."""
    charges = results.get("ShipmentCharges") or {}
    negotiated = (results.get("NegotiatedRateCharges") or {}).get("TotalCharge")
    return _money(negotiated or charges.get("TotalCharges"), "TotalCharges")


def _image_format(package: Mapping[str, Any]) -> LabelFormat:
    """The format UPS says the first package's image is in (GIF when it does not say)."""
    label = package.get("ShippingLabel") or {}
    image_format = _IMAGE_FORMATS.get(str((label.get("ImageFormat") or {}).get("Code", "GIF")).upper())
    if image_format is None:
        raise ProtocolError("UPS answered a label in a format the SDK did not ask for", operation="ship")
    return image_format


def _image(package: Mapping[str, Any]) -> bytes:
    label = package.get("ShippingLabel") or {}
    try:
        image = base64.b64decode(str(label.get("GraphicImage", "")), validate=True)
    except (binascii.Error, ValueError):
        raise ProtocolError("UPS label image is not base64", operation="ship") from None
    if not image:
        raise ProtocolError("UPS ship answer has no label image", operation="ship")
    return image


def _package_label(package: Mapping[str, Any]) -> PackageLabel:
    image = _image(package)
    return PackageLabel(tracking_number=str(package.get("TrackingNumber", "")), label_image=image)


# -- Void --------------------------------------------------------------------------------------------


def void_request(label: Label, settings: UpsSettings | None = None, package: str | None = None) -> Request:
    """The whole shipment's void (its identification number in the path), or with ``package`` (one
    of its tracking numbers) that package's only (``trackingnumber`` in the query)."""
    check_return_void(label, package)
    reference = label.carrier_reference or label.tracking_number
    if not reference:
        raise ValidationError("label: has no UPS shipment identification number", field="label")
    path = VOID_PATH + reference
    if package is not None:
        number = label.package_number(package)
        path += f"?trackingnumber={number}"
    return Request("void", "DELETE", path)


def parse_void(body: Any, label: Label, package: str | None = None) -> VoidResult:
    """Voided or not, with the packages UPS reports voided (status 1: voided or already voided).

    ``PackageLevelResults`` is the spec's spelling; older answers say ``PackageLevelResult``, a lone
    object or a list: both are read. An answer without package results covers what was asked.
    """
    root = body.get("VoidShipmentResponse") if isinstance(body, _MAPPING) else None
    if not isinstance(root, _MAPPING):
        raise ProtocolError("UPS void answer has no VoidShipmentResponse", operation="void")
    status = ((root.get("SummaryResult") or {}).get("Status") or {}).get("Code")
    results = [
        r for r in _list(root.get("PackageLevelResults", root.get("PackageLevelResult"))) if isinstance(r, _MAPPING)
    ]
    codes = {str(r.get("TrackingNumber")): str((r.get("Status") or {}).get("Code")) for r in results}
    refused = [number for number in asked(label, package) if codes.get(number) == "0"]
    return void_result(Carrier.UPS, label, package, voided=str(status) == "1" and not refused)


# -- errors ------------------------------------------------------------------------------------------

#: UPS error codes → the SDK's closest error.
_BY_CODE: dict[str, type[OneBalanceError]] = {
    "250002": AuthenticationFailed,
    "250003": AuthenticationFailed,
    "10400": AuthenticationFailed,
    "10401": AuthenticationFailed,
    "111580": PaymentMethodRefused,
    "120100": PermissionDenied,
    "190102": VoidRefused,
    "TV1002": ValidationError,
    "TW0001": LabelNotFound,
}


def parse_error(status: int, body: Any, operation: str, transaction_id: str | None = None) -> OneBalanceError:
    """UPS's error answer as a typed SDK error carrying the UPS code, the HTTP status and the operation."""
    errors = []
    if isinstance(body, _MAPPING):
        errors = [e for e in _list((body.get("response") or {}).get("errors")) if isinstance(e, _MAPPING)]
    first = errors[0] if errors else {}
    code = str(first.get("code")) if first.get("code") is not None else None
    message = str(first.get("message") or f"UPS answered HTTP {status}")[:300]
    cls: type[OneBalanceError]
    if code in _BY_CODE:
        cls = _BY_CODE[code]
    elif status == 401:
        cls = AuthenticationFailed
    elif status == 403:
        cls = PermissionDenied
    elif status == 404:
        cls = LabelNotFound
    elif status == 400 and code is not None:
        cls = SchemaViolation if code.startswith("1200") else UnknownFault
    elif status == 429 or code is not None:
        cls = UnknownFault if code is not None else ServiceError
    else:
        cls = ServiceError
    kwargs: dict[str, Any] = {
        "operation": operation,
        "code": code,
        "http_status": status,
        "transaction_id": transaction_id,
    }
    if cls is ValidationError:
        return ValidationError(message, field="tracking_number", **kwargs)
    if operation == "token" and status == 401 and code != "10400":  # 10400: no Basic auth header was sent
        return credentials_refused("UPS", message, **kwargs)
    return cls(message, **kwargs)
