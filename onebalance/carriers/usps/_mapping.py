"""USPS through SWSIM (v135 or v111): carrier-neutral models <-> SWSIM request and response dicts. No I/O.

One pair per operation, named as every carrier's mapping names them: ``rate_request`` /
``parse_rates``, ``ship_request`` / ``parse_label``, ``void_request`` / ``parse_void``,
``track_request`` / ``parse_tracking`` (in :mod:`._mapping_tracking`), and USPS's own
``cleanse_request`` / ``parse_cleanse``. The dicts are what the One Balance client's ``call`` sends
(but the Authenticator) and returns; the codes in them (services, packaging, add-ons) are in
:mod:`._codes`. On purpose:

* **One parcel per label**, **from the US**; a recipient abroad takes the international services and
  customs (:mod:`._mapping_customs`).
* **DeliverDays "n-m" → m**: a rate never promises more than USPS does ("2-3" → 3, "1" → 1).
* **Add-ons follow the shipment's options.** A rate is kept only when it offers an add-on for each
  requested option (``signature`` → US-A-SC, ...); its total is ``Amount`` plus those add-ons
  (its ``surcharges``). Every other add-on is dropped before buying, as SWSIM asks.
* **The rate travels in ``Rate.carrier_data``**: every field of the SWSIM rate but ``From``/``To``
  (rebuilt from the shipment, with the recipient's CleanseHash), as text; nested ones as JSON.
* **The wire version is a parameter** (``version``) of every request; what differs between v111 and
  v135 (Ground Advantage, array item names, batch voids) is in :mod:`onebalance.swsim._dialect`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from onebalance.core import ValidationError
from onebalance.shipments import (
    Carrier,
    Charge,
    Label,
    LabelFormat,
    LabelSize,
    LabelSpec,
    Money,
    OneBalancePayment,
    Rate,
    RefundStatus,
    ShipmentOption,
    ShipmentRequest,
    ShippingDocument,
    VoidResult,
    choose,
)
from onebalance.swsim import Reads, Version, _dialect

from . import _mapping_international as _international
from ._codes import ADDON_FOR_OPTION, GUARANTEED, IMAGE_FORMATS, LABEL_FORMATS, MAX_WEIGHT, PACKAGE_TYPES, SERVICES
from ._mapping_address import CLEANSE, address_from_wire, address_to_wire, cleanse_request, domestic, parse_cleanse
from ._mapping_returns import check_return, mark_return

__all__ = [
    "CLEANSE",
    "LABEL_READS",
    "RATE",
    "SHIP",
    "VOID",
    "address_from_wire",
    "address_to_wire",
    "balance_after",
    "check_voidable",
    "cleanse_request",
    "delivery_days",
    "image_data",
    "iso_date",
    "label_spec",
    "label_urls",
    "parse_cleanse",
    "parse_label",
    "parse_rates",
    "parse_void",
    "rate_request",
    "rate_to_wire",
    "ship_request",
    "void_request",
    "void_requests",
]

#: The SWSIM operation of each pair.
RATE, SHIP, VOID = "GetRates", "CreateIndicium", "CancelIndicium"
#: What a purchase reads of CreateIndicium's answer (``image_data``, ``label_urls``, ``parse_label``,
#: ``balance_after``, the customs form's ``FormURL``): of the rate it echoes (its addresses, weights,
#: dates...), only what the label costs and its service. The rest is passed over unread.
LABEL_READS = Reads(
    "TrackingNumber",
    "StampsTxID",
    "URL",
    "FormURL",
    "ImageData",
    "PostageBalance",
    Rate=Reads("Amount", "ServiceType", "AddOns"),
)

_ADDRESS_PARTS = ("From", "To")
_NESTED = ("AddOns", "Surcharges", "RequiresAllOf")
_DAYS = re.compile(r"\d+")
#: Who pays every USPS label: one instance for them all (a model cannot change).
_ONE_BALANCE = OneBalancePayment()


def _fail(field: str, text: str) -> ValidationError:
    return ValidationError(f"{field}: {text}", field=field)


def _text(value: Any) -> str:
    """A wire value as SWSIM writes it (``true``, ``9.45``), for ``carrier_data``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (Decimal, bool, date)):
        return _text(value)
    raise TypeError(type(value).__name__)


# -- rates ----------------------------------------------------------------------------------------------
def _check_shipment(shipment: ShipmentRequest, version: Version) -> None:
    if len(shipment.parcels) != 1:
        raise _fail("parcels", "a USPS label carries one parcel: rate and buy each parcel as its own shipment")
    domestic(shipment.shipper, "shipper")
    parcel = shipment.parcels[0]
    if parcel.weight > MAX_WEIGHT:
        raise _fail("parcels.0.weight", f"USPS takes at most {MAX_WEIGHT} in one piece")
    if parcel.package_type not in PACKAGE_TYPES:
        raise _fail("parcels.0.package_type", f"USPS has no {parcel.package_type} packaging")
    service = shipment.service
    if service is not None:
        _dialect.check_usps_service(service, "service", version)
    check_return(shipment)
    if service is not None:  # (a shipment without one goes anywhere a rate's service goes)
        _international.check_destination(service, shipment.recipient, "service")
    _international.check_customs(shipment)


def rate_request(shipment: ShipmentRequest, *, version: Version) -> dict[str, Any]:
    """GetRates for ``shipment``: every USPS service for its packaging, or only ``shipment.service``."""
    _check_shipment(shipment, version)
    parcel = shipment.parcels[0]
    pounds, ounces = parcel.weight.as_lb_oz()
    rate: dict[str, Any] = {
        "From": address_to_wire(shipment.shipper),
        "To": address_to_wire(shipment.recipient),
        "WeightLb": pounds,
        "WeightOz": ounces,
        "PackageType": PACKAGE_TYPES[parcel.package_type],
        "ShipDate": shipment.ship_date,
    }
    if shipment.service is not None:
        rate["ServiceType"] = shipment.service
    if parcel.dimensions is not None:
        inches = parcel.dimensions.to("in")
        rate.update(Length=inches.length, Width=inches.width, Height=inches.height)
    if ShipmentOption.INSURANCE in shipment.options and parcel.declared_value is not None:
        rate["InsuredValue"] = parcel.declared_value.amount
    return {"Rate": rate, "Carrier": "USPS"}


def delivery_days(text: Any) -> int | None:
    """``DeliverDays`` as a number: the slower end of ``"n-m"`` (``"1-3"`` → 3), None if it has none."""
    numbers = [int(n) for n in _DAYS.findall(str(text or ""))]
    return min(max(numbers), 365) if numbers else None


def iso_date(value: Any) -> date | None:
    """A SWSIM date (or date-time) as a date; None for none, an unreadable one or SWSIM's year-1 placeholder."""
    if isinstance(value, datetime):
        return value.date() if value.year > 1 else None
    if isinstance(value, date):
        return value
    try:
        found = date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
    return found if found is None or found.year > 1 else None


def _chosen_addons(wire_rate: Mapping[str, Any], options: Iterable[ShipmentOption]) -> list[dict[str, Any]] | None:
    """The rate's add-ons that provide ``options`` (priced), or None when one is not offered."""
    offered = {item.get("AddOnType"): item for item in _dialect.items(wire_rate.get("AddOns"))}
    chosen: list[dict[str, Any]] = []
    for option in sorted(options, key=lambda o: o.value):
        codes = ADDON_FOR_OPTION.get(option, ())
        if not codes:
            continue
        found = next((offered[c] for c in codes if c in offered and offered[c].get("Amount") is not None), None)
        if found is None:
            return None
        if all(item["AddOnType"] != found["AddOnType"] for item in chosen):
            chosen.append({"AddOnType": found["AddOnType"], "Amount": found["Amount"]})
    return chosen


def _carrier_data(wire_rate: Mapping[str, Any], addons: list[dict[str, Any]]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for name, value in wire_rate.items():
        if name in _ADDRESS_PARTS or name == "AddOns" or value is None:
            continue
        if name in _NESTED:
            pairs.append((name, json.dumps(value, default=_json_default, sort_keys=True)))
        else:
            pairs.append((name, _text(value)))
    if addons:
        pairs.append(("AddOns", json.dumps({"AddOn": addons}, default=_json_default, sort_keys=True)))
    return pairs


def parse_rates(
    response: Mapping[str, Any],
    payment: OneBalancePayment,
    options: Iterable[ShipmentOption | str] = (),
) -> list[Rate]:
    """GetRates' rates as carriers :class:`Rate` objects, cheapest first.

    Rates that are not USPS's, carry no ``Amount`` or cannot provide every one of ``options`` are
    left out.
    """
    wanted = frozenset(ShipmentOption(option) for option in options)
    out: list[Rate] = []
    for wire_rate in (response.get("Rates") or {}).get("Rate", []):
        code = wire_rate.get("ServiceType")
        amount = wire_rate.get("Amount")
        if not isinstance(code, str) or not code.startswith("US-") or amount is None:
            continue
        addons = _chosen_addons(wire_rate, wanted)
        if addons is None:
            continue
        base = Money.rounded(amount)
        charges = [Charge(_addon_name(item["AddOnType"], wire_rate), Money.rounded(item["Amount"])) for item in addons]
        out.append(
            Rate(
                carrier=Carrier.USPS,
                service_code=code,
                service_name=SERVICES.get(code) or wire_rate.get("ServiceDescription") or code,
                total=Money.total([base, *(c.amount for c in charges)]),
                base=base,
                surcharges=tuple(charges),
                delivery_days=delivery_days(wire_rate.get("DeliverDays")),
                estimated_delivery=iso_date(wire_rate.get("DeliveryDate")),
                guaranteed=code in GUARANTEED,
                payment=payment,
                carrier_data=_carrier_data(wire_rate, addons),
            )
        )
    out.sort(key=lambda r: (r.total.amount, r.delivery_days is None, r.delivery_days or 0))
    return out


def _addon_name(code: str, wire_rate: Mapping[str, Any]) -> str:
    for item in _dialect.items(wire_rate.get("AddOns")):
        if item.get("AddOnType") == code and item.get("AddOnDescription"):
            return str(item["AddOnDescription"])[:100]
    return code


# -- labels ---------------------------------------------------------------------------------------------
def rate_to_wire(
    rate: Rate, shipment: ShipmentRequest, to_cleanse_hash: str | None = None, *, version: Version
) -> dict[str, Any]:
    """The SWSIM rate kept in ``rate.carrier_data``, addressed as ``shipment`` says, in ``version``'s names."""
    data = rate.data
    if rate.carrier is not Carrier.USPS or data.get("ServiceType") != rate.service_code:
        raise _fail("rate", "is not a USPS rate from UspsShipping.rates()")
    _dialect.check_usps_service(rate.service_code, "rate.service_code", version)
    _international.check_destination(rate.service_code, shipment.recipient, "rate.service_code")
    nested = False
    for name in _NESTED:  # ``data`` is a copy of its own: its nested parts read back in place, in their order
        if name in data:
            data[name] = json.loads(data[name])
            nested = True
    wire: dict[str, Any] = data
    wire["From"] = address_to_wire(shipment.shipper)
    wire["To"] = address_to_wire(shipment.recipient, to_cleanse_hash)
    # nest_rate names the nested arrays' items as the version does; a rate without any it would only copy.
    return _dialect.nest_rate(wire, version) if nested else wire


def ship_request(
    rate: Rate,
    shipment: ShipmentRequest,
    integrator_tx_id: str,
    to_cleanse_hash: str | None = None,
    sample: bool = False,
    cost_code_id: int | None = None,
    label_spec: LabelSpec | None = None,
    *,
    version: Version,
) -> dict[str, Any]:
    """CreateIndicium buying ``rate`` for ``shipment``, with the label image in the response, in
    ``label_spec``'s format and size (:data:`LABEL_FORMATS`; PNG 4x6 by default)."""
    _check_shipment(shipment, version)
    check_return(shipment, rate.service_code)
    _, _, (image_type, paper_size) = _DEFAULT_PRINT if label_spec is None else _print(label_spec)
    if not 1 <= len(integrator_tx_id) <= 128:
        raise _fail("integrator_tx_id", "must be 1 to 128 characters")
    request: dict[str, Any] = {
        "IntegratorTxID": integrator_tx_id,
        "Rate": mark_return(rate_to_wire(rate, shipment, to_cleanse_hash, version=version), shipment),
    }
    if shipment.customs is not None:  # checked by _check_shipment above (customs_request would check again)
        request.update(_international.customs_elements(shipment.customs, shipment.shipper))
    if sample:
        request["SampleOnly"] = True
    request["ImageType"] = image_type
    if shipment.reference:
        request["memo"] = shipment.reference
    if cost_code_id is not None:
        request["cost_code_id"] = cost_code_id
    request["ReturnImageData"] = True
    request["PaperSize"] = paper_size
    return request


def _print(spec: LabelSpec | None) -> tuple[LabelFormat, LabelSize, tuple[str, str]]:
    """The format and size ``spec`` asks for, and SWSIM's ImageType and PaperSize for them."""
    return choose(spec, Carrier.USPS, LABEL_FORMATS, "PNG")


#: What a label is printed as when no spec asks otherwise (the usual case: looked up once).
_DEFAULT_PRINT = _print(None)


def label_spec(image_type: str | None) -> LabelSpec | None:
    """The spec an SWSIM ``ImageType`` (``"Pdf"``, UspsShipping.buy's ``image_type``) names."""
    if image_type is None:
        return None
    if image_type not in IMAGE_FORMATS:
        raise _fail("image_type", f"must be one of {', '.join(IMAGE_FORMATS)}")
    return LabelSpec(format=IMAGE_FORMATS[image_type])


def image_data(response: Mapping[str, Any]) -> bytes | None:
    """The first page of the label image, when the response carries it (``ReturnImageData``)."""
    for page in (response.get("ImageData") or {}).get("base64Binary", []):
        if page:
            return page  # type: ignore[no-any-return]
    return None


def label_urls(response: Mapping[str, Any]) -> list[str]:
    """The label URLs (one per page; SWSIM separates them with spaces)."""
    return str(response.get("URL") or "").split()


def parse_label(
    response: Mapping[str, Any],
    rate: Rate,
    *,
    image: bytes | None = None,
    label_spec: LabelSpec | None = None,
    sample: bool = False,
    created_at: datetime | None = None,
    documents: tuple[ShippingDocument, ...] = (),
) -> tuple[Label, Decimal]:
    """The bought label and the postage balance after it.

    The cost is the response rate's ``Amount`` (the actual price) plus its add-ons. ``image`` is
    the label fetched from its URL when the response carried no image data. A ``sample`` label
    (SampleOnly) cost nothing. ``documents`` go with it (a label abroad: its customs form). The
    label is in the format and size ``label_spec`` asked for (SWSIM's answer does not repeat them).
    """
    label_format, label_size, _ = _DEFAULT_PRINT if label_spec is None else _print(label_spec)
    label_image = image_data(response) or image
    if not label_image:
        raise _fail("label_image", "the label has no image: neither ImageData nor a fetched URL")
    wire_rate = response.get("Rate") or {}
    amount = wire_rate.get("Amount")
    if sample:
        cost = Money.zero()
    elif amount is None:
        cost = rate.total
    else:
        cost = Money.rounded(amount)
        addons = wire_rate.get("AddOns")
        if addons or cost.amount.is_signed():  # the sum of one amount is that amount, but for -0.00 (0.00)
            amounts = [cost]
            for addon in _dialect.items(addons):
                if addon.get("Amount"):
                    amounts.append(Money.rounded(addon["Amount"]))
            cost = Money.total(amounts)
    label = Label.bought(
        carrier=Carrier.USPS,
        tracking_number=response.get("TrackingNumber") or None,
        service_code=wire_rate.get("ServiceType") or rate.service_code,
        cost=cost,
        paid_by=_ONE_BALANCE,
        label_image=label_image,
        label_format=label_format,
        label_size=label_size,
        created_at=created_at or datetime.now(timezone.utc),
        carrier_reference=response.get("StampsTxID"),
        documents=documents,
    )
    balance = Decimal(response["PostageBalance"]["AvailablePostage"])
    return label, balance


def balance_after(response: Mapping[str, Any]) -> tuple[Decimal, Decimal] | None:
    """The PostageBalance an answer carries (CreateIndicium's): (AvailablePostage, ControlTotal), or None."""
    balance = response.get("PostageBalance") or {}
    try:
        return Decimal(balance["AvailablePostage"]), Decimal(balance["ControlTotal"])
    except (KeyError, TypeError, ArithmeticError):
        return None


def check_voidable(label: Label) -> None:
    """Refuse a label CancelIndicium cannot name: not USPS's, or with neither StampsTxID nor tracking number."""
    if label.carrier is not Carrier.USPS:
        raise _fail("label", "is not a USPS label")
    if not label.carrier_reference and not label.tracking_number:
        raise _fail("label", "names neither a StampsTxID nor a tracking number")


def void_requests(labels: Sequence[Label], *, version: Version) -> list[tuple[list[int], dict[str, Any]]]:
    """CancelIndicium payloads for ``labels`` (each checked with :func:`check_voidable`), with the
    positions in ``labels`` each covers: one per label on v111, batches on v135. A label is named by its
    StampsTxID (SWSIM's advice) or else its tracking number."""
    for label in labels:
        check_voidable(label)
    refs = [(index, label.carrier_reference, label.tracking_number) for index, label in enumerate(labels)]
    return _dialect.cancel_requests(refs, version)


def void_request(label: Label, *, version: Version) -> dict[str, Any]:
    """CancelIndicium for one ``label``."""
    return void_requests([label], version=version)[0][1]


def parse_void(label: Label) -> VoidResult:
    """A void the service accepted (CancelIndicium answers nothing more): the refund is pending, as USPS
    batches refunds (days); a sample label, which cost nothing, has nothing to refund."""
    refund = label.cost if label.cost.amount > Decimal(0) else None
    return VoidResult(
        carrier=label.carrier,
        tracking_number=label.tracking_number,
        voided=True,
        refund=refund,
        refund_status=RefundStatus.PENDING if refund is not None else RefundStatus.NOT_APPLICABLE,
        carrier_reference=label.carrier_reference,
        packages=label.tracking_numbers,
    )
