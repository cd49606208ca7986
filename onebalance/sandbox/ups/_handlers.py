"""The UPS sandbox's handlers: one :class:`Handler` from (method, target, headers, body) to a reply.

``Handler._route`` is the table of the API: OAuth's token, Rating, Shipping, Void and Tracking,
each a method here. It checks requests the way UPS does (bearer token, required fields, codes,
the shipper number must be the app's, ``BillShipper.AccountNumber`` must equal
``Shipper.ShipperNumber``) and answers errors in UPS's shape (``_errors``).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

from onebalance.core import loads as json_loads

from .._shared import _images
from . import _international, _rates, _returns, _transit
from ._errors import UpsFault, error_body, missing
from ._state import TOKEN_LIFETIME, UpsShipment, UpsState, UpsToken
from ._wire import UpsReply, as_list, dig, json_reply, money_json, status_ok

API_VERSIONS = {"v2409", "v1", "v1601", "v1607", "1701", "1707", "v2108", "v2205", "v2403"}
RATE_OPTIONS = {"rate", "shop", "ratetimeintransit", "shoptimeintransit"}
VOID_WINDOW = timedelta(days=28)
#: At most this many packages are voided by one request (``trackingnumber`` lists up to 20).
VOID_MAX_PACKAGES = 20
_TRACKING = re.compile(r"1Z[A-Z0-9]{16}")
#: LabelImageFormat -> the label's image, real files of that format (``_images``). UPS also prints
#: SPL labels; the sandbox makes none and answers 120500 for SPL, as for an unknown format.
LABEL_IMAGES = {"GIF": _images.GIF, "PNG": _images.PNG, "ZPL": _images.ZPL, "EPL": _images.EPL}
#: The thermal printer formats, whose LabelStockSize UPS checks.
THERMAL = frozenset({"ZPL", "EPL"})


class Handler:
    """Answers UPS requests against one :class:`UpsState`."""

    def __init__(self, state: UpsState) -> None:
        self.state = state

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> UpsReply:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        lowered = {k.lower(): v for k, v in headers.items()}
        with self.state.lock:
            self.state.requests.append((method.upper(), path))
            try:
                return self._route(method.upper(), path, query, lowered, body)
            except UpsFault as fault:
                return json_reply(fault.status, error_body(fault.code, fault.message))

    # -- routing ---------------------------------------------------------------------------------
    def _route(
        self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes
    ) -> UpsReply:
        segments = [s for s in path.split("/") if s]
        if method == "POST" and segments == ["security", "v1", "oauth", "token"]:
            return self._token(headers, body)
        if segments[:1] != ["api"]:
            raise UpsFault(401, "250003", "Invalid Access License number")
        client_id = self._authorize(headers)
        rest = segments[1:]
        if method == "POST" and len(rest) == 3 and rest[0] == "rating":
            self._version(rest[1])
            if rest[2].lower() not in RATE_OPTIONS:
                raise UpsFault(400, "111100", "The requested service is invalid for the request option")
            return self._rate(client_id, rest[2].lower(), self._json(body), query.get("additionalinfo", []))
        if method == "POST" and len(rest) == 3 and rest[0] == "shipments" and rest[2] == "ship":
            self._version(rest[1])
            return self._ship(client_id, self._json(body))
        if method == "DELETE" and len(rest) == 5 and rest[0] == "shipments" and rest[2:4] == ["void", "cancel"]:
            self._version(rest[1])
            return self._void(client_id, rest[4], query.get("trackingnumber", []))
        if method == "GET" and len(rest) == 4 and rest[:3] == ["track", "v1", "details"]:
            if not headers.get("transid") or not headers.get("transactionsrc"):
                raise UpsFault(400, "TV1003", "Missing transId or transactionSrc header")
            return self._track(rest[3])
        raise UpsFault(404, "10404", "Resource not found")

    @staticmethod
    def _version(version: str) -> None:
        if version not in API_VERSIONS:
            raise UpsFault(400, "10001", "Invalid API version")

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return json_loads(body or b"")
        except ValueError:
            raise UpsFault(400, "10002", "The request is not valid JSON") from None

    # -- OAuth -----------------------------------------------------------------------------------
    def _token(self, headers: dict[str, str], body: bytes) -> UpsReply:
        auth = headers.get("authorization", "")
        if not auth.lower().startswith("basic "):
            raise UpsFault(401, "10400", "Invalid/Missing Authorization Header")
        try:
            client_id, _, secret = base64.b64decode(auth[6:].strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise UpsFault(401, "10400", "Invalid/Missing Authorization Header") from None
        form = parse_qs(body.decode(errors="replace"))
        if form.get("grant_type") != ["client_credentials"]:
            raise UpsFault(400, "10400", "Invalid or missing grant_type")
        account = self.state.accounts.get(client_id)
        if account is None or not secrets.compare_digest(account.client_secret, secret):
            raise UpsFault(401, "10401", "ClientId is Invalid")
        now = self.state.clock.now()
        token = secrets.token_urlsafe(32)
        self.state.tokens[token] = UpsToken(client_id, now, now + timedelta(seconds=TOKEN_LIFETIME))
        return json_reply(
            200,
            {
                "token_type": "Bearer",
                "issued_at": str(int(now.timestamp() * 1000)),
                "client_id": client_id,
                "access_token": token,
                "scope": "",
                "expires_in": str(TOKEN_LIFETIME),
                "refresh_count": "0",
                "status": "approved",
            },
        )

    def _authorize(self, headers: dict[str, str]) -> str:
        auth = headers.get("authorization", "")
        token = self.state.tokens.get(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if token is None or token.expires_at <= self.state.clock.now():
            raise UpsFault(401, "250002", "Invalid Authentication Information.")
        return token.client_id

    # -- shared checks ---------------------------------------------------------------------------
    def _shipper_and_payer(self, client_id: str, shipment: Any, payment_key: str) -> str:
        number = dig(shipment, "Shipper", "ShipperNumber")
        if not isinstance(number, str) or number not in self.state.accounts[client_id].shipper_numbers:
            raise UpsFault(400, "120100", "Missing or invalid shipper number")
        charges = as_list(dig(shipment, payment_key, "ShipmentCharge"))
        if payment_key == "PaymentInformation" and not charges:
            raise missing("PaymentInformation")
        transport = [c for c in charges if isinstance(c, Mapping) and c.get("Type") == "01"]
        if charges and len(transport) != 1:
            raise UpsFault(400, "120412", "A shipment charge of type 01 (transportation) is required")
        for charge in transport:
            payer = dig(charge, "BillShipper", "AccountNumber")
            if payer != number:
                raise UpsFault(400, "111580", "Missing or Invalid account number for Payment Details")
        return number

    @staticmethod
    def _address(party: Any, what: str, *, name: bool) -> dict[str, str]:
        address = dig(party, "Address")
        lines = as_list(dig(address, "AddressLine"))
        if not isinstance(address, Mapping) or not lines or not address.get("CountryCode"):
            raise missing(f"{what} address")
        if name and not dig(party, "Name"):
            raise missing(f"{what} name")
        out = {"countryCode": str(address["CountryCode"]), "city": str(address.get("City") or "")}
        if address.get("StateProvinceCode"):
            out["stateProvince"] = str(address["StateProvinceCode"])
        if address.get("PostalCode"):
            out["postalCode"] = str(address["PostalCode"])
        return out

    @staticmethod
    def _packages(shipment: Any, packaging_key: str) -> list[int]:
        packages = as_list(dig(shipment, "Package"))
        if not packages:
            raise missing("Package")
        pounds = []
        for package in packages:
            if dig(package, packaging_key, "Code") not in {"01", "02", "03", "04", "21", "2a", "2b", "2c"}:
                raise UpsFault(400, "120701", f"Missing or invalid {packaging_key} code")
            unit = dig(package, "PackageWeight", "UnitOfMeasurement", "Code")
            try:
                weight = Decimal(str(dig(package, "PackageWeight", "Weight")))
            except InvalidOperation:
                raise UpsFault(400, "120608", "Missing or invalid package weight") from None
            if unit not in ("LBS", "KGS", "OZS") or not weight.is_finite() or weight <= 0:
                raise UpsFault(400, "120608", "Missing or invalid package weight")
            dims = dig(package, "Dimensions")
            sides = None
            if dims is not None:
                try:
                    sides = (Decimal(dims["Length"]), Decimal(dims["Width"]), Decimal(dims["Height"]))
                except (InvalidOperation, KeyError, TypeError):
                    raise UpsFault(400, "120604", "Missing or invalid package dimensions") from None
            dim_unit = str(dig(dims, "UnitOfMeasurement", "Code") or "IN")
            pounds.append(_rates.billable_pounds(weight, str(unit), sides, dim_unit))
        return pounds

    def _quote(self, service: str, pounds: list[int], zone: int) -> tuple[Decimal, Decimal]:
        base = fuel = Decimal(0)
        for weight in pounds:
            b, f = _rates.price(service, weight, zone)
            base, fuel = base + b, fuel + f
        return base, fuel

    # -- Rating ----------------------------------------------------------------------------------
    def _rate(self, client_id: str, option: str, body: Any, additional_info: list[str]) -> UpsReply:
        request = dig(body, "RateRequest")
        shipment = dig(request, "Shipment")
        if not isinstance(dig(request, "Request"), Mapping) or not isinstance(shipment, Mapping):
            raise missing("RateRequest")
        origin = self._address(dig(shipment, "Shipper"), "Shipper", name=False)
        destination = self._address(dig(shipment, "ShipTo"), "ShipTo", name=False)
        if dig(shipment, "Shipper", "ShipperNumber") is not None or dig(shipment, "PaymentDetails") is not None:
            self._shipper_and_payer(client_id, shipment, "PaymentDetails")
        pounds = self._packages(shipment, "PackagingType")
        start = _international.ship_from(shipment, origin)
        zone = _international.zone(start, destination)
        available = _international.services(start, destination)
        if option.startswith("shop"):
            services = available
        else:
            code = dig(shipment, "Service", "Code")
            if code not in available:
                raise UpsFault(400, "111210", "The requested service is unavailable between the selected locations")
            services = [str(code)]
        transit = _transit.requested(option, additional_info, shipment)
        rated = []
        for code in services:
            base, fuel = self._quote(code, pounds, zone)
            total = base + fuel
            rated.append(
                {
                    "Service": {"Code": code, "Description": _rates.SERVICES[code][0]},
                    "BillingWeight": {
                        "UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"},
                        "Weight": str(sum(pounds)),
                    },
                    "BaseServiceCharge": money_json(base),
                    "ItemizedCharges": [{"Code": _rates.FUEL_CODE, **money_json(fuel)}],
                    "TransportationCharges": money_json(total),
                    "ServiceOptionsCharges": money_json(Decimal(0)),
                    "TotalCharges": money_json(total),
                    "GuaranteedDelivery": {"BusinessDaysInTransit": str(_rates.days(code, zone))},
                    "RatedPackage": [{"Weight": str(p)} for p in pounds],
                }
            )
            if transit:
                try:
                    rated[-1]["TimeInTransit"] = _transit.time_in_transit(
                        shipment, code, _rates.SERVICES[code][0], _rates.days(code, zone), self.state.clock.now().date()
                    )
                except _transit.BadPickup as bad:
                    raise missing(str(bad)) from None
        context = dig(request, "Request", "TransactionReference", "CustomerContext")
        response = status_ok(context)
        response["Alert"] = [
            {"Code": "110971", "Description": "Your invoice may vary from the displayed reference rates"}
        ]
        return json_reply(200, {"RateResponse": {"Response": response, "RatedShipment": rated}})

    # -- Shipping --------------------------------------------------------------------------------
    def _ship(self, client_id: str, body: Any) -> UpsReply:
        request = dig(body, "ShipmentRequest")
        shipment = dig(request, "Shipment")
        if not dig(request, "Request", "RequestOption") or not isinstance(shipment, Mapping):
            raise missing("ShipmentRequest")
        if not dig(shipment, "Shipper", "Name"):
            raise missing("Shipper name")
        origin = self._address(dig(shipment, "Shipper"), "Shipper", name=True)
        destination = self._address(dig(shipment, "ShipTo"), "ShipTo", name=True)
        shipper = self._shipper_and_payer(client_id, shipment, "PaymentInformation")
        service = dig(shipment, "Service", "Code")
        if service not in _rates.SERVICES:
            raise UpsFault(400, "120101", "Missing or invalid service code")
        start = _international.ship_from(shipment, origin)
        form = _international.check_ship(shipment, start, destination, str(service), shipper)
        label_format = str(dig(request, "LabelSpecification", "LabelImageFormat", "Code") or "GIF").upper()
        if label_format not in LABEL_IMAGES:
            raise UpsFault(400, "120500", "Missing or invalid label image format")
        stock = dig(request, "LabelSpecification", "LabelStockSize")
        if not isinstance(stock, Mapping) or (
            label_format in THERMAL and (stock.get("Height") not in ("6", "8") or stock.get("Width") != "4")
        ):  # required by Shipping.yaml; EPL2, ZPL and SPL stock is 4x6 or 4x8 in
            raise missing("label stock size")
        pounds = self._packages(shipment, "Packaging")
        _returns.check_return(shipment)
        context = dig(request, "Request", "TransactionReference", "CustomerContext")
        if isinstance(context, str) and context:
            existing = self.state.by_context.get((client_id, shipper, context))
            if existing is not None:
                return json_reply(200, self.state.shipments[existing].response)
        zone = _international.zone(start, destination)
        base, fuel = self._quote(str(service), pounds, zone)
        extra = self.state.surcharge  # billed above the rate, as UPS does for additional handling
        total = base + fuel + extra
        itemized = [{"Code": _rates.FUEL_CODE, **money_json(fuel)}]
        if extra:
            itemized.append({"Code": _rates.HANDLING_CODE, **money_json(extra)})
        numbers = []
        for _ in pounds:
            self.state.sequence += 1
            numbers.append(f"1Z{shipper}{service}{self.state.sequence:08d}")
        image = LABEL_IMAGES[label_format]
        packages = [
            {
                "TrackingNumber": number,
                "ShippingLabel": {
                    "ImageFormat": {"Code": label_format, "Description": label_format},
                    "GraphicImage": base64.b64encode(image).decode(),
                },
            }
            for number in numbers
        ]
        response = {
            "ShipmentResponse": {
                "Response": status_ok(context if isinstance(context, str) else None),
                "ShipmentResults": {
                    "ShipmentCharges": {
                        "BaseServiceCharge": money_json(base),
                        "TransportationCharges": money_json(total),
                        "ItemizedCharges": itemized,
                        "ServiceOptionsCharges": money_json(Decimal(0)),
                        "TotalCharges": money_json(total),
                    },
                    "BillingWeight": {
                        "UnitOfMeasurement": {"Code": "LBS", "Description": "Pounds"},
                        "Weight": f"{sum(pounds):08.1f}",  # the spec wants exactly 8 characters
                    },
                    "ShipmentIdentificationNumber": numbers[0],
                    "PackageResults": packages,
                },
            }
        }
        if form is not None:  # the commercial invoice of a shipment abroad
            response["ShipmentResponse"]["ShipmentResults"]["Form"] = form
        record = UpsShipment(
            identification_number=numbers[0],
            tracking_numbers=numbers,
            client_id=client_id,
            shipper_number=shipper,
            service_code=str(service),
            total=total,
            created_at=self.state.clock.now(),
            delivery_days=_rates.days(str(service), zone),
            destination=destination,
            origin=origin,
            label_format=label_format,
            context=context if isinstance(context, str) else None,
            response=response,
            is_return=_returns.is_return(shipment),
        )
        self.state.shipments[record.identification_number] = record
        for number in numbers:
            self.state.by_tracking[number] = record.identification_number
        if record.context:
            self.state.by_context[(client_id, shipper, record.context)] = record.identification_number
        return json_reply(200, response)

    # -- Void ------------------------------------------------------------------------------------
    def _void(self, client_id: str, identification: str, tracking: list[str]) -> UpsReply:
        """The whole shipment, or with ``trackingnumber`` (one number, or up to 20 as
        ``["1Z…","1Z…"]``) only those packages; the shipment is voided once every package is."""
        record = self.state.shipments.get(identification)
        now = self.state.clock.now()
        asked = re.findall(r"1Z[A-Z0-9]+", ",".join(tracking))
        if len(set(asked)) > VOID_MAX_PACKAGES:
            raise missing(f"trackingnumber (at most {VOID_MAX_PACKAGES})")
        if (
            (tracking and not asked)
            or record is None
            or record.shipper_number not in self.state.accounts[client_id].shipper_numbers
            or now - record.created_at > VOID_WINDOW
            or not set(asked) <= set(record.tracking_numbers)
        ):
            raise UpsFault(400, "190102", "No shipment found within the allowed void period")
        _returns.check_return_void(record.is_return, tracking)
        numbers = list(dict.fromkeys(asked)) if asked else list(record.tracking_numbers)
        for number in numbers:  # voiding again answers "Voided" as well ("Voided or Already Voided")
            record.voided_packages.setdefault(number, now)
        if record.voided_at is None and set(record.voided_packages) >= set(record.tracking_numbers):
            record.voided_at = now
        return json_reply(
            200,
            {
                "VoidShipmentResponse": {
                    "Response": status_ok(None),
                    "SummaryResult": {"Status": {"Code": "1", "Description": "Voided"}},
                    "PackageLevelResults": [
                        {"TrackingNumber": n, "Status": {"Code": "1", "Description": "Voided"}} for n in numbers
                    ],
                }
            },
        )

    # -- Tracking --------------------------------------------------------------------------------
    def _track(self, number: str) -> UpsReply:
        if not _TRACKING.fullmatch(number):
            raise UpsFault(400, "TV1002", "Invalid inquiry number")
        identification = self.state.by_tracking.get(number)
        record = self.state.shipments.get(identification) if identification else None
        if record is None:
            raise UpsFault(404, "TW0001", "Tracking Information Not Found")
        now = self.state.clock.now()
        arrival = record.created_at + timedelta(days=record.delivery_days)
        created = (
            record.created_at,
            "M",
            "MP",
            "Shipper created a label, UPS has not received the package yet.",
            record.origin,
        )
        schedule: list[tuple[datetime, str, str, str, dict[str, str]]] = [
            created,
            (record.created_at + timedelta(hours=6), "P", "PU", "Pickup Scan", record.origin),
            (record.created_at + timedelta(hours=12), "I", "DP", "Departed from Facility", record.origin),
            (arrival - timedelta(hours=6), "O", "OT", "Out For Delivery Today", record.destination),
            (arrival, "D", "FS", "DELIVERED", record.destination),
        ]
        voided_at = record.package_voided_at(number)
        if voided_at is not None:  # a voided package keeps its creation and shows the void (status type MV)
            schedule = [created, (voided_at, "MV", "MV", "Billing Information Voided", record.origin)]
        happened = [event for event in schedule if event[0] <= now]
        activity = [
            {
                "location": {"address": dict(place)},
                "status": {"type": kind, "code": code, "description": text, "statusCode": "000"},
                "date": when.strftime("%Y%m%d"),
                "time": when.strftime("%H%M%S"),
                "gmtDate": when.strftime("%Y%m%d"),
                "gmtOffset": "+00:00",
                "gmtTime": when.strftime("%H:%M:%S"),
            }
            for when, kind, code, text, place in reversed(happened)
        ]
        latest: Any = activity[0]["status"] if activity else None
        delivered = bool(happened) and happened[-1][1] == "D"
        package: dict[str, Any] = {
            "trackingNumber": number,
            "packageCount": len(record.tracking_numbers),
            "deliveryDate": []
            if voided_at is not None
            else [{"type": "DEL" if delivered else "SDD", "date": arrival.strftime("%Y%m%d")}],
            "activity": activity,
            "service": {"code": record.service_code, "description": _rates.SERVICES[record.service_code][0]},
        }
        if latest is not None:
            package["currentStatus"] = {
                "type": latest["type"],
                "code": latest["code"],
                "description": latest["description"],
                "simplifiedTextDescription": latest["description"],
                "statusCode": "000",
            }
        return json_reply(200, {"trackResponse": {"shipment": [{"inquiryNumber": number, "package": [package]}]}})
