"""The FedEx sandbox's request handlers: one function from (method, path, headers, body) to a reply.

Requests are checked as FedEx checks them: the bearer token (valid, not expired), the JSON body's
required fields, ``accountNumber`` (9 digits, and the account of the token's project), and a
``shippingChargesPayment`` of type SENDER whose payor, if named, is that same account. Errors come
back in FedEx's shape with FedEx's HTTP statuses (CARRIERS.md §2.7).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from onebalance.core import loads as json_loads

from .._shared import _images
from . import _documents, _international, _rates, _returns, _tracking, _transit
from ._errors import FedexFault, error_reply
from ._state import FedexState, Project, Shipment, Token
from ._wire import FedexReply, json_reply, success

__all__ = ["handle"]

_ACCOUNT = re.compile(r"\d{9}")
_KG_TO_LB = Decimal("2.20462262185")
#: The most packages one shipment (its line items times their groupPackageCount) may have.
MAX_PACKAGES = 200
_PICKUP_TYPES = frozenset({"CONTACT_FEDEX_TO_SCHEDULE", "DROPOFF_AT_FEDEX_LOCATION", "USE_SCHEDULED_PICKUP"})
#: labelSpecification.imageType -> the label's image, real files of that format (``_images``).
_IMAGE_TYPES = {"PNG": _images.PNG, "PDF": _images.PDF, "ZPLII": _images.ZPL, "EPL2": _images.EPL}
#: FedEx prints its thermal formats on label stock (STOCK_ types) and its images on paper (PAPER_ types).
_THERMAL = frozenset({"ZPLII", "EPL2"})
#: The sheet stock types: a PDF on them is a letter page.
_SHEETS = frozenset({"PAPER_LETTER", "PAPER_85X11_TOP_HALF_LABEL", "PAPER_85X11_BOTTOM_HALF_LABEL"})

Handler = Callable[[FedexState, Project, dict[str, Any], str | None], dict[str, Any]]


def handle(state: FedexState, method: str, path: str, headers: Mapping[str, str], body: bytes) -> FedexReply:
    """Answer one request. Never raises: every problem is an error reply in FedEx's format."""
    lower = {k.lower(): v for k, v in headers.items()}
    customer_id = lower.get("x-customer-transaction-id") or None
    path = path.split("?", 1)[0].rstrip("/") or "/"
    try:
        if path == "/oauth/token":
            if method != "POST":
                raise FedexFault(405, "METHOD.NOT.ALLOWED", "The method is not allowed for this resource.")
            return json_reply(200, _token(state, body))
        route = _ROUTES.get((method, path))
        if route is None:
            raise FedexFault(404, "NOT.FOUND.ERROR", "The resource you requested is no longer available.")
        with state.lock:
            project = _authorize(state, lower.get("authorization", ""))
            payload = _json(body)
            state.requests.append((method, path))
            return json_reply(200, route(state, project, payload, customer_id))
    except FedexFault as fault:
        return error_reply(fault, customer_id)


# -- OAuth ----------------------------------------------------------------------------------------
def _token(state: FedexState, body: bytes) -> dict[str, Any]:
    form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
    if form.get("grant_type") != "client_credentials":
        raise FedexFault(400, "BAD.REQUEST.ERROR", "The grant_type must be client_credentials.")
    if not form.get("client_id") or not form.get("client_secret"):
        raise FedexFault(400, "BAD.REQUEST.ERROR", "client_id and client_secret are required.")
    with state.lock:
        project = state.projects.get(form["client_id"])
        if project is None or not secrets.compare_digest(project.client_secret, form["client_secret"]):
            raise FedexFault(
                401,
                "NOT.AUTHORIZED.ERROR",
                "The given client credentials were not valid. Please modify your request and try again.",
            )
        token = "fxs-" + secrets.token_urlsafe(24)
        state.tokens[token] = Token(project.client_id, state.clock.now() + timedelta(seconds=state.token_lifetime))
        return {"access_token": token, "token_type": "bearer", "expires_in": state.token_lifetime, "scope": "CXS"}


def _authorize(state: FedexState, authorization: str) -> Project:
    scheme, _, token = authorization.partition(" ")
    found = state.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
    if found is None or found.expires_at <= state.clock.now() or found.client_id not in state.projects:
        raise FedexFault(401, "NOT.AUTHORIZED.ERROR", "Access token expired. Please modify your request and try again.")
    return state.projects[found.client_id]


# -- request checks -------------------------------------------------------------------------------
def _json(body: bytes) -> dict[str, Any]:
    try:
        payload = json_loads(body or b"null")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise FedexFault(400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input: the body is not JSON.")
    return payload


def _get(data: Any, path: str, *, required: bool = True) -> Any:
    value = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if required and (value is None or value == "" or value == []):
        raise FedexFault(400, "INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {path} is required.")
    return value


def _account(project: Project, payload: dict[str, Any]) -> str:
    value = _get(payload, "accountNumber.value", required=False)
    if not isinstance(value, str) or not _ACCOUNT.fullmatch(value):
        raise FedexFault(
            400,
            "ACCOUNTNUMBER.REGISTRATION.REQUIRED",
            "Please enter a valid 9-digit FedEx account number or register for a new FedEx account number.",
        )
    if value != project.account_number:
        raise FedexFault(
            403,
            "SHIPMENT.ACCOUNTNUMBER.UNAUTHORIZED",
            "You are not authorized to use this account number with these credentials.",
        )
    return value


def _payment(requested: dict[str, Any], account: str, *, required: bool) -> None:
    payment = requested.get("shippingChargesPayment")
    if payment is None and not required:
        return
    kind = _get(requested, "shippingChargesPayment.paymentType")
    if kind != "SENDER":
        raise FedexFault(
            400,
            "PAYMENTTYPE.NOT.SUPPORTED",
            "This sandbox bills only the sender's account: paymentType must be SENDER.",
        )
    payor = _get(requested, "shippingChargesPayment.payor.responsibleParty.accountNumber.value", required=False)
    if payor is not None and payor != account:
        raise FedexFault(
            400,
            "ACCOUNT.NUMBER.MISMATCH",
            "When payment Type is SENDER, ShippingChargesPayment Payor AccountNumber should match the "
            "shipper account number.",
        )


def _address(party: Any, where: str, *, city: bool = True) -> dict[str, Any]:
    """The party's address; ``city`` is required to ship, not to rate (rate-api.json asks for the
    country and postal code only)."""
    if not isinstance(party, dict) or not isinstance(party.get("address"), dict):
        raise FedexFault(400, "INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {where}.address.")
    for name in ("city", "countryCode") if city else ("countryCode",):
        if not party["address"].get(name):
            raise FedexFault(
                400, "INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {where}.address.{name} is required."
            )
    lines = _get(party, "address.streetLines", required=False)
    if lines is not None and (not isinstance(lines, list) or len(lines) > 3):
        raise FedexFault(400, "INVALID.INPUT.EXCEPTION", f"Invalid field value in the input: {where}.streetLines.")
    address: dict[str, Any] = party["address"]
    return address


def _pounds(items: Any) -> list[Decimal]:
    if not isinstance(items, list) or not items:
        raise FedexFault(
            400, "INVALID.INPUT.EXCEPTION", "Invalid field value in the input: requestedPackageLineItems is required."
        )
    weights: list[Decimal] = []
    for item in items:
        units = _get(item, "weight.units")
        pounds = _number(_get(item, "weight.value"))
        if units not in ("LB", "KG") or pounds is None or pounds <= 0:
            raise FedexFault(400, "PACKAGE.WEIGHT.INVALID", "The package weight is missing or not valid.")
        count = _number(item.get("groupPackageCount", 1))
        if count is None or count != count.to_integral_value() or not 1 <= count <= MAX_PACKAGES:
            raise FedexFault(400, "PACKAGE.COUNT.INVALID", "groupPackageCount must be a whole number from 1.")
        weights += [pounds * _KG_TO_LB if units == "KG" else pounds] * int(count)
        if len(weights) > MAX_PACKAGES:
            raise FedexFault(400, "PACKAGE.COUNT.INVALID", f"At most {MAX_PACKAGES} packages per shipment.")
    return weights


def _number(value: Any) -> Decimal | None:
    """A JSON number, or a number written as text (FedEx reads ``"10"`` as 10); None otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _service(requested: dict[str, Any], *, required: bool) -> list[str]:
    service = _get(requested, "serviceType", required=required)
    if service is None:
        return list(_rates.SERVICES)
    if service not in _rates.SERVICES:
        raise FedexFault(400, "SERVICE.TYPE.INVALID", "The service type is not valid for this shipment.")
    return [service]


def _fits(service: str, weights: list[Decimal]) -> bool:
    return all(w <= _rates.SERVICES[service][5] for w in weights)


# -- rate -----------------------------------------------------------------------------------------
def _rate(state: FedexState, project: Project, payload: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    account = _account(project, payload)
    requested = _get(payload, "requestedShipment")
    origin = _address(_get(requested, "shipper"), "shipper", city=False)
    destination = _address(_get(requested, "recipient"), "recipient", city=False)
    _get(origin, "postalCode")
    _get(destination, "postalCode")
    transit_times = _transit.wanted(payload)
    if _get(requested, "pickupType") not in _PICKUP_TYPES:
        raise FedexFault(400, "PICKUPTYPE.INVALID", "The pickup type is not valid.")
    _payment(requested, account, required=False)
    weights = _pounds(requested.get("requestedPackageLineItems"))
    zone = _international.zone(origin, destination)
    ship_date = _date(requested.get("shipDateStamp"), state)
    packaging = str(requested.get("packagingType") or "YOUR_PACKAGING")
    asked = _service(requested, required=False)
    if len(asked) == 1:
        _international.check_service(asked[0], origin, destination)
    _international.check_rate(requested, origin, destination)
    details = []
    for service in asked:
        if not _fits(service, weights) or service not in _international.services(origin, destination):
            continue
        details.append(
            _rate_detail(service, packaging, weights, zone, ship_date)
            | _transit.rate_commitment(service, zone, ship_date.date(), str(destination["postalCode"]), transit_times)
        )
    if not details:
        raise FedexFault(400, "RATE.PACKAGE.WEIGHT.EXCEEDED", "The package weight exceeds the service's maximum.")
    return success({"rateReplyDetails": details, "quoteDate": ship_date.date().isoformat(), "alerts": []}, customer_id)


def _date(value: Any, state: FedexState) -> datetime:
    today = state.clock.now()
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value).replace(tzinfo=today.tzinfo, hour=12)
        except ValueError:
            raise FedexFault(400, "SHIPDATE.INVALID", "The ship date is not valid (YYYY-MM-DD).") from None
    return today


def _rate_detail(service: str, packaging: str, weights: list[Decimal], zone: int, ship: datetime) -> dict[str, Any]:
    base = fuel = total = Decimal(0)
    for weight in weights:
        b, f, t = _rates.price(service, weight, zone)
        base, fuel, total = base + b, fuel + f, total + t
    return {
        "serviceType": service,
        "serviceName": _rates.SERVICES[service][0],
        "packagingType": packaging,
        "ratedShipmentDetails": [
            {
                "rateType": "ACCOUNT",
                "ratedWeightMethod": "ACTUAL",
                "totalBaseCharge": float(base),
                "totalDiscounts": 0.0,
                "totalNetFedExCharge": float(total),
                "totalNetCharge": float(total),
                "currency": "USD",
                "shipmentRateDetail": {
                    "rateZone": str(zone),
                    "fuelSurchargePercent": float(_rates.FUEL_PERCENT * 100),
                    "totalSurcharges": float(fuel),
                    "surCharges": [{"type": "FUEL", "description": "Fuel Surcharge", "amount": float(fuel)}],
                    "currency": "USD",
                },
            }
        ],
    }


# -- ship -----------------------------------------------------------------------------------------
def _ship(state: FedexState, project: Project, payload: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    account = _account(project, payload)
    if customer_id and (account, customer_id) in state.idempotency:
        first = state.shipments[state.idempotency[(account, customer_id)]]
        return {**first.response, "transactionId": success({}, customer_id)["transactionId"]}
    options = _get(payload, "labelResponseOptions")
    if options not in ("LABEL", "URL_ONLY"):
        raise FedexFault(400, "LABELRESPONSEOPTIONS.INVALID", "labelResponseOptions must be LABEL or URL_ONLY.")
    requested = _get(payload, "requestedShipment")
    shipper = _get(requested, "shipper")
    recipients = _get(requested, "recipients")
    origin = _address(shipper, "shipper")
    destination = _address(recipients[0] if isinstance(recipients, list) else None, "recipients")
    for where, party in (("shipper", shipper), ("recipients", recipients[0])):
        phone = _get(party, "contact.phoneNumber", required=False)
        if not isinstance(phone, str) or not 10 <= len(phone) <= 15 or not phone.isdigit():
            raise FedexFault(400, "PHONENUMBER.INVALID", f"The {where} phone number must be 10 to 15 digits.")
    if _get(requested, "pickupType") not in _PICKUP_TYPES:
        raise FedexFault(400, "PICKUPTYPE.INVALID", "The pickup type is not valid.")
    _get(requested, "packagingType")
    _payment(requested, account, required=True)
    image_type = _get(requested, "labelSpecification.imageType")
    stock_type = str(_get(requested, "labelSpecification.labelStockType"))
    if image_type not in _IMAGE_TYPES:
        raise FedexFault(400, "LABEL.IMAGETYPE.INVALID", "The label image type is not valid.")
    if stock_type.startswith("STOCK_") != (image_type in _THERMAL):
        raise FedexFault(400, "LABEL.STOCKTYPE.INVALID", "The label stock type is not valid for the image type.")
    [service] = _service(requested, required=True)
    _international.check_service(service, origin, destination)
    weights = _pounds(requested.get("requestedPackageLineItems"))
    if not _fits(service, weights):
        raise FedexFault(400, "PACKAGE.WEIGHT.EXCEEDED", "The package weight exceeds the service's maximum.")
    returned = _returns.check_return(requested)
    _international.check_ship(requested, origin, destination, account)
    zone = _international.zone(origin, destination)
    ship_date = _date(requested.get("shipDatestamp"), state)
    detail = _rate_detail(service, str(requested["packagingType"]), weights, zone, ship_date)
    rated = detail["ratedShipmentDetails"][0]
    if state.surcharge:  # billed above the rate, as FedEx does for additional handling
        for name in ("totalNetCharge", "totalNetFedExCharge"):
            rated[name] = float(Decimal(str(rated[name])) + state.surcharge)
        surcharges = rated["shipmentRateDetail"]
        surcharges["totalSurcharges"] = float(Decimal(str(surcharges["totalSurcharges"])) + state.surcharge)
    numbers = [str(state.next_tracking + i) for i in range(len(weights))]
    state.next_tracking += len(weights)
    tracking = numbers[0]  # the master: the first package's number
    documents = _international.documents(requested, str(options), tracking)
    sheet = image_type == "PDF" and stock_type in _SHEETS
    image = base64.b64encode(_images.PDF_LETTER if sheet else _IMAGE_TYPES[image_type]).decode()
    pieces = []
    for sequence, (number, weight) in enumerate(zip(numbers, weights, strict=True), start=1):
        base, _fuel, total = _rates.price(service, weight, zone)
        if sequence == 1 and state.surcharge:  # the surcharge is billed once, with the master package
            total += state.surcharge
        document: dict[str, Any] = {"contentType": "LABEL", "docType": image_type, "trackingNumber": number}
        if options == "LABEL":
            document["encodedLabel"] = image
        else:
            document["url"] = f"https://fedex.sandbox.test/labels/{number}"
        pieces.append(
            {
                "trackingNumber": number,
                "masterTrackingNumber": tracking,
                "packageSequenceNumber": sequence,
                "netChargeAmount": float(total),
                "baseRateAmount": float(base),
                "packageDocuments": [document],
            }
        )
    output = {
        "transactionShipments": [
            {
                "masterTrackingNumber": tracking,
                "serviceType": service,
                "serviceName": detail["serviceName"],
                "shipDatestamp": ship_date.date().isoformat(),
                "pieceResponses": pieces,
                **({"shipmentDocuments": documents} if documents else {}),
                "completedShipmentDetail": {
                    "masterTrackingId": {"trackingIdType": "FEDEX", "trackingNumber": tracking},
                    "carrierCode": "FDXG" if service == "FEDEX_GROUND" else "FDXE",
                    "shipmentRating": {
                        "actualRateType": "PAYOR_ACCOUNT_SHIPMENT",
                        "shipmentRateDetails": [
                            {
                                "rateType": "PAYOR_ACCOUNT_SHIPMENT",
                                "totalBaseCharge": rated["totalBaseCharge"],
                                "totalSurcharges": rated["shipmentRateDetail"]["totalSurcharges"],
                                "totalNetFedExCharge": rated["totalNetFedExCharge"],
                                "totalNetCharge": rated["totalNetCharge"],
                                "currency": "USD",
                            }
                        ],
                    },
                    "completedPackageDetails": [
                        {"sequenceNumber": i, "trackingIds": [{"trackingIdType": "FEDEX", "trackingNumber": n}]}
                        for i, n in enumerate(numbers, start=1)
                    ],
                },
            }
        ],
        "alerts": [],
    }
    response = success(output, customer_id)
    state.shipments[tracking] = Shipment(
        tracking_number=tracking,
        account_number=account,
        service_type=service,
        packaging_type=str(requested["packagingType"]),
        created_at=state.clock.now(),
        ship_date=ship_date.date(),
        delivery_days=_rates.delivery_days(service, zone),
        total=Decimal(str(rated["totalNetCharge"])),
        shipper=origin,
        recipient=destination,
        customer_transaction_id=customer_id,
        response=response,
        package_numbers=numbers,
        is_return=returned,
    )
    for number in numbers:
        state.packages[number] = tracking
    if customer_id:
        state.idempotency[(account, customer_id)] = tracking
    return response


# -- cancel and track (``_tracking``) --------------------------------------------------------------
def _cancel(state: FedexState, project: Project, payload: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    return _tracking.cancel(state, _account(project, payload), payload, customer_id)


def _track(state: FedexState, project: Project, payload: dict[str, Any], customer_id: str | None) -> dict[str, Any]:
    return _tracking.track(state, payload, customer_id)


_ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", "/rate/v1/rates/quotes"): _rate,
    ("POST", "/ship/v1/shipments"): _ship,
    ("PUT", "/ship/v1/shipments/cancel"): _cancel,
    ("POST", "/track/v1/trackingnumbers"): _track,
    ("POST", "/track/v1/trackingdocuments"): _documents.tracking_documents,
}
