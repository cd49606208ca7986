"""USPS labels: GetRates, CreateIndicium, CancelIndicium, TrackShipment, and the label images.

**GetRates** answers the price table of ``_rates`` (the services of the version's ServiceType:
US-GA on v135 only), each rate with the add-ons of ``_addons``; for a destination abroad, the
international services of ``_international`` (a service that does not go there: 002b090b). ServiceType/PackageType
``Unknown`` or omitted match everything; nothing matching is a success without rates, except when
both are given: fault 002b0906. A service USPS retired for the package (``US-FC`` for a parcel,
``US-RG``; see ``_rates``) is fault 002b0907, at GetRates and at CreateIndicium alike, on both
versions.

**CreateIndicium** repeats the stored result of an IntegratorTxID already seen by the account
(the same response, faults included; no second debit). Otherwise, in order: holds 00450190 /
00450191 / 00560201; CanPrintShipping false 80048011; AllowAllMailClasses false and a service
other than US-PM / US-XM 00450208 (an international service without CanPrintInternational, and any
label with BlockUSPSPrint, too);
the To address (``Rate.To``): with a CleanseHash it must be the sandbox's HMAC of that address
(00450163), without one its state and ZIP must be valid (00450140); abroad, its street, city and
country (00450140), a service that goes there (002b090b) and the ``Customs`` of ``_international``
(002b090a; the label then has its customs form at ``FormURL``); the rate is recomputed from the
table (002b0906 if there is none; the Amount sent is
ignored and the sandbox's is charged and returned, plus the account's label surcharge, set by
``Sandbox.set_label_surcharge``, to re-rate labels above their quote); Amount above Capabilities PerPrintLimit
002b0a01; the balance. When the balance is short and auto-buy is enabled, the service-side
auto-buy buys PurchaseAmount **before** the print if that covers it (else 80040414 Insufficient
Postage); after the print the usual auto-buy runs (``_ledger.auto_buy``). SampleOnly labels
cost nothing (no ledger entry, no balance check) and their tracking number starts with
``SAMPLE``. A label is a Print entry (IntegratorTxID, memo with the tracking number and
cost_code_id), a 22-digit tracking number (9400 First-Class / Parcel Select / Ground Advantage,
9405 Priority, 9470 Express), a StampsTxID and ``<site>/sandbox/labels/<StampsTxID>.<ext>`` (410
once voided): a real image in the ImageType asked for (``IMAGE_TYPES``: PNG by default, GIF, PDF,
ZPL, EPL2, JPEG, BMP; see ``_images``). With ReturnImageData the image comes as ImageData and the
URL is empty. A return label (``Rate.PrintLayout`` starting ``Return``) needs a service with
return service (US-XM, US-PM, US-GA, US-PS), a parcel and both addresses in the ZIP code system
(002b0909 otherwise, checked after the address); it is then printed, paid, tracked and voided as
any other label.

**CancelIndicium** names one label on v111 (StampsTxID | TrackingNumber) and any number on v135
(StampsTxIDs and TrackingNumbers arrays; none at all: 00450202). Each label named: unknown or
another account's 00450202; already voided 00450205; on a SCAN form and accepted (6 h after
printing, as tracking says) 002b0913 (``_manifests``);
older than 240 h 00450201. A batch is all or nothing: the first label refused faults the whole
call and nothing is voided (a label named twice counts once). Otherwise the labels are voided at
once and their refunds are pending (a sample label: voided, nothing to refund). A pending refund
is credited (a Refund entry) by ``Sandbox.approve_refunds``, or by itself on the account's first
authenticated call 24 h or more after the void. A refund that would take the balance over its maximum stays pending.

**TrackShipment** (unknown label: 00450202) reports, newest first: "Shipping Label Created" at
creation, "Accepted" 6 h later, "In Transit" at 24 h, "Out for Delivery" after the DeliverDays
upper bound in days, "Delivered" 4 h after that, each once the sandbox clock has passed it. A
voided label shows only its creation and "Label voided".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from onebalance.swsim import SwsimVersion

from .._shared import _images
from . import _addons, _international, _ledger, _rates
from . import _errors as faults
from ._account_models import IndiciumReplay, Label, LedgerEntry
from ._addresses import cleanse_hash, normalise, valid_place
from ._dispatch import Call, Reply
from ._errors import SandboxFault
from ._postage import _check_holds
from ._state import SandboxAccount, SandboxState
from ._urls import site

CANCEL_WINDOW = timedelta(hours=240)
#: When the carrier scans a label in ("Accepted" in its tracking): a label on a SCAN form can be
#: voided until then, as Stamps.com lets it be (the form then no longer stands for that parcel).
ACCEPTED_AFTER = timedelta(hours=6)
REFUND_DELAY = timedelta(hours=24)
TRACKING_PREFIX = {"US-PM": "9405", "US-XM": "9470"}
#: The services USPS sells as return service (Priority Mail Express, Priority Mail, Ground Advantage,
#: Parcel Select Ground), and the mail pieces it does not take back.
RETURN_SERVICES = ("US-XM", "US-PM", "US-GA", "US-PS")
NOT_RETURNABLE = ("Postcard", "Letter", "Large Envelope or Flat")
LABEL_PATH = re.compile(r"/sandbox/labels/([0-9a-fA-F-]{36})(-customs)?\.(png|gif|pdf|zpl|epl|jpg|bmp)")
#: CreateIndicium's ImageType -> (file extension, Content-Type, the image): each label is the format
#: it was asked in (``_images``); the monochrome and print-once variants are the plain format.
IMAGE_TYPES: dict[str, tuple[str, str, bytes]] = {
    **dict.fromkeys(("Auto", "Png", "PngMonochrome", "EncryptedPngUrl"), ("png", "image/png", _images.PNG)),
    **dict.fromkeys(("Gif", "GifMonochrome"), ("gif", "image/gif", _images.GIF)),
    **dict.fromkeys(("Pdf", "PrintOncePdf"), ("pdf", "application/pdf", _images.PDF)),
    **dict.fromkeys(("Zpl", "AZpl", "BZpl"), ("zpl", "application/x-zpl", _images.ZPL)),
    "Epl": ("epl", "application/x-epl", _images.EPL),
    **dict.fromkeys(("Jpg", "JpgMonochrome"), ("jpg", "image/jpeg", _images.JPEG)),
    **dict.fromkeys(("Bmp", "BmpMonochrome"), ("bmp", "image/bmp", _images.BMP)),
}


# -- GetRates --------------------------------------------------------------------------------------
def get_rates(call: Call) -> dict[str, Any]:
    request = call.request["Rate"]
    retired = _rates.retired(request.get("ServiceType"), request.get("PackageType"))
    if retired is not None:
        raise SandboxFault(faults.SERVICE_RETIRED, retired)
    to = request.get("To") or {}
    _international.check_service(request.get("ServiceType"), to)
    if _international.abroad(to):
        found = _international.rates(request, call.version.usps_services)
    else:
        found = _rates.rates(request, call.version.usps_services)
    insured = request.get("InsuredValue")
    for rate in found:
        if insured is not None:
            rate["InsuredValue"] = insured
        addons = _addons.offered(rate["ServiceType"], rate["PackageType"], insured, call.version)
        if addons is not None:
            rate["AddOns"] = addons
    specific = all(request.get(n) not in (None, "Unknown") for n in ("ServiceType", "PackageType"))
    if not found and specific:
        raise SandboxFault(faults.NO_SUCH_RATE)
    return {"Rates": {"Rate": found} if found else {}}


# -- CreateIndicium --------------------------------------------------------------------------------
def create_indicium(call: Call) -> dict[str, Any]:
    account, request, state = call.user, call.request, call.state
    tx_id: str = request["IntegratorTxID"]
    replay = account.indicium_replays.get(tx_id)
    if replay is not None:
        if replay.fault_code is not None:
            raise SandboxFault(replay.fault_code, replay.fault_message)
        label = _label(account, replay.stamps_tx_id)
        if label.service_type not in call.version.usps_services:
            raise SandboxFault(faults.NO_SUCH_RATE)  # a Ground Advantage label asked for again on v111
        return _indicium_response(label, call.version)
    try:
        label = _create(call)
    except SandboxFault as fault:
        _remember(account, tx_id, IndiciumReplay(fault_code=fault.code, fault_message=fault.message))
        state.touch(account)
        raise
    _remember(account, tx_id, IndiciumReplay(stamps_tx_id=label.stamps_tx_id))
    state.touch(account)
    return _indicium_response(label, call.version)


def _check_return(rate_in: dict[str, Any], to: dict[str, Any]) -> None:
    """A return label: a service with return service, a parcel, both addresses in the ZIP code system."""
    sender = normalise(rate_in.get("From") or {})
    domestic = all((place.get("Country") or "US") == "US" and place.get("ZIPCode") for place in (sender, to))
    piece = rate_in.get("PackageType") or "Package"
    if rate_in.get("ServiceType") not in RETURN_SERVICES or piece in NOT_RETURNABLE or not domestic:
        raise SandboxFault(faults.NO_RETURN_SERVICE)


def _remember(account: SandboxAccount, tx_id: str, replay: IndiciumReplay) -> None:
    account.indicium_replays[tx_id] = replay
    _ledger.keep_newest(account.indicium_replays, _ledger.REPLAYS_KEPT)


def _create(call: Call) -> Label:
    account, request, state = call.user, call.request, call.state
    rate_in: dict[str, Any] = request["Rate"]
    service = rate_in.get("ServiceType")
    _check_holds(account)
    if not account.capabilities.get("CanPrintShipping", False):
        raise SandboxFault(faults.PRINT_DISABLED)
    if account.capabilities.get("BlockUSPSPrint", False):
        raise SandboxFault(faults.MAIL_CLASS_NOT_ALLOWED, "USPS labels are blocked on this account (BlockUSPSPrint).")
    if not account.capabilities.get("AllowAllMailClasses", False) and service not in ("US-PM", "US-XM"):
        raise SandboxFault(faults.MAIL_CLASS_NOT_ALLOWED)
    if service in _international.SERVICES and not account.capabilities.get("CanPrintInternational", False):
        raise SandboxFault(faults.MAIL_CLASS_NOT_ALLOWED, "The account's plan does not allow international mail.")
    to = normalise(rate_in.get("To") or {})
    abroad = _international.abroad(to)
    given_hash = to.get("CleanseHash")
    if given_hash:
        if not hmac.compare_digest(str(given_hash).encode(), cleanse_hash(state, to).encode()):
            raise SandboxFault(faults.CLEANSE_HASH_MISMATCH)
    elif abroad:
        _international.check_destination(to)
    elif (to.get("Country") or "US") != "US" or not all(valid_place(to)):
        raise SandboxFault(faults.INVALID_DESTINATION)
    if service in (None, "Unknown"):
        raise SandboxFault(faults.NO_SUCH_RATE)
    if str(rate_in.get("PrintLayout") or "").startswith("Return"):
        _check_return(rate_in, to)
    _international.check_service(service, to)
    retired = _rates.retired(service, rate_in.get("PackageType") or "Package")
    if retired is not None:
        raise SandboxFault(faults.SERVICE_RETIRED, retired)
    if abroad:
        _international.check_customs(request.get("Customs"), rate_in)
    priced = _international.rates if abroad else _rates.rates
    found = priced({**rate_in, "PackageType": rate_in.get("PackageType") or "Package"}, call.version.usps_services)
    if not found:
        raise SandboxFault(faults.NO_SUCH_RATE)
    rate = found[0]
    addons = _addons.chosen(rate_in, rate, call.version)
    if account.label_surcharge and not request.get("SampleOnly"):  # re-rated at print: charged above the quote
        rate = {**rate, "Amount": rate["Amount"] + account.label_surcharge}
    if addons:
        rate["AddOns"] = {call.version.addon_item: addons}
    amount: Decimal = rate["Amount"] + sum((a["Amount"] for a in addons), Decimal(0))
    if amount > account.per_print_limit:
        raise SandboxFault(faults.PER_PRINT_LIMIT)
    sample = bool(request.get("SampleOnly"))
    if not sample and amount > account.available_postage:
        _auto_buy_first(state, account, amount)
        if amount > account.available_postage:
            raise SandboxFault(faults.INSUFFICIENT_POSTAGE)
    seq = state.next_id("label", 0)
    tracking = f"{TRACKING_PREFIX.get(service, '9400')}{seq:010d}{account.meter_number % 10**8:08d}"
    if abroad:
        tracking = _international.s10(_international.S10_PREFIX[str(service)], seq * 1000 + account.meter_number % 1000)
    if sample:
        tracking = "SAMPLE" + tracking
    stamps_tx_id = str(uuid.uuid4())
    cost_code = request.get("cost_code_id")
    if not sample:
        memo = f"label {tracking}" + (f", cost code {cost_code}" if cost_code is not None else "")
        entry = _ledger.post(
            state, account, "Print", cost=amount, integrator_tx_id=request["IntegratorTxID"], memo=memo
        )
        _ledger.auto_buy(state, account, entry)
    available, control_total = _ledger.balance(account)
    image_data = bool(request.get("ReturnImageData"))
    image_type = str(request.get("ImageType") or "Auto")
    extension = IMAGE_TYPES.get(image_type, IMAGE_TYPES["Auto"])[0]
    label = Label(
        id=seq,
        stamps_tx_id=stamps_tx_id,
        tracking_number=tracking,
        integrator_tx_id=request["IntegratorTxID"],
        amount=amount,
        service_type=str(service),
        package_type=rate["PackageType"],
        deliver_days=_international.deliver_days(str(service)) if abroad else _rates.deliver_days(str(service)),
        created_at=state.clock.now(),
        sample=sample,
        cost_code_id=cost_code,
        rate=rate,
        from_address=normalise(rate_in.get("From") or {}),
        to_address=to,
        url="" if image_data else f"{site(call.actor)}/sandbox/labels/{stamps_tx_id}.{extension}",
        form_url=f"{site(call.actor)}/sandbox/labels/{stamps_tx_id}-customs.pdf" if abroad else "",
        image_data=image_data,
        image_type=image_type,
        paper_size=str(request.get("PaperSize") or "Default"),
        available_after=available,
        control_total_after=control_total,
    )
    account.labels.append(label)
    return label


def _auto_buy_first(state: SandboxState, account: SandboxAccount, amount: Decimal) -> None:
    settings = account.auto_buy
    if settings is None or not settings.enabled:
        return
    if account.available_postage + settings.purchase_amount < amount:
        return
    if _ledger.purchase_obstacle(account, settings.purchase_amount, state.clock.now()) is not None:
        return
    _ledger.pay(
        state,
        account,
        settings.purchase_amount,
        transaction_id=_ledger.next_transaction_id(state),
        purchase_type="AutoBuy",
        memo="auto-buy: the balance was short for a label",
    )


def _mac(label: Label, what: str) -> str:
    return hashlib.sha256(f"{what}:{label.stamps_tx_id}".encode()).hexdigest()


def _indicium_response(label: Label, version: SwsimVersion) -> dict[str, Any]:
    rate = dict(label.rate)
    if rate.get("AddOns"):  # under the item name of the version that answers (a replay may come on the other)
        rate["AddOns"] = {version.addon_item: [item for group in rate["AddOns"].values() for item in group]}
    result: dict[str, Any] = {
        "IntegratorTxID": label.integrator_tx_id,
        "TrackingNumber": label.tracking_number,
        "Rate": rate,
        "StampsTxID": label.stamps_tx_id,
        "URL": label.url,
        "PostageBalance": {"AvailablePostage": label.available_after, "ControlTotal": label.control_total_after},
        "Mac": _mac(label, "mac"),
        "PostageHash": _mac(label, "postage"),
    }
    if label.image_data:
        result["ImageData"] = {"base64Binary": [_image(label)[2]]}
    if label.form_url:
        result["FormURL"] = label.form_url
    return result


def _label(account: SandboxAccount, stamps_tx_id: str | None) -> Label:
    found = next((lb for lb in account.labels if lb.stamps_tx_id == stamps_tx_id), None)
    if found is None:  # pragma: no cover - replays keep their label
        raise SandboxFault(faults.NO_SUCH_TRANSACTION)
    return found


def _find(account: SandboxAccount, request: dict[str, Any]) -> Label:
    tx_id, tracking = request.get("StampsTxID"), request.get("TrackingNumber")
    for label in account.labels:
        if (tx_id is not None and label.stamps_tx_id.lower() == str(tx_id).lower()) or (
            tracking is not None and label.tracking_number == str(tracking).strip()
        ):
            return label
    raise SandboxFault(faults.NO_SUCH_TRANSACTION)


# -- CancelIndicium and refunds --------------------------------------------------------------------
def cancel_indicium(call: Call) -> dict[str, Any]:
    account, state = call.user, call.state
    now = state.clock.now()
    labels: list[Label] = []
    for named in _named_labels(call.request):
        label = _find(account, named)
        if any(label is seen for seen in labels):
            continue
        if label.voided:
            raise SandboxFault(faults.REFUND_NOT_ALLOWED)
        if label.scan_form_id is not None and now >= label.created_at + ACCEPTED_AFTER:
            raise SandboxFault(faults.ON_SCAN_FORM)  # on a form and scanned in: the carrier has it
        if now - label.created_at > CANCEL_WINDOW:
            raise SandboxFault(faults.CANCEL_TOO_OLD)
        labels.append(label)
    if not labels:
        raise SandboxFault(faults.NO_SUCH_TRANSACTION)
    for label in labels:
        label.voided_at = now
        account.refund_pending(label, "none" if label.sample else "pending")
        if call.request.get("SendEmail") and not label.sample:
            state.send(
                "email",
                account,
                account.email,
                "Your label was voided",
                f"Label {label.tracking_number} was voided; its refund of ${label.amount:,.2f} is pending.",
            )
    state.touch(account)
    return {}


def _named_labels(request: dict[str, Any]) -> list[dict[str, Any]]:
    """Each label a CancelIndicium names, as ``_find`` takes it: v111's one, or v135's arrays."""
    named: list[dict[str, Any]] = []
    if request.get("StampsTxID") is not None or request.get("TrackingNumber") is not None:
        named.append(request)
    for group in request.get("TrackingNumbers") or []:
        named.extend({"TrackingNumber": number} for number in (group or {}).get("string") or [])
    for group in request.get("StampsTxIDs") or []:
        named.extend({"StampsTxID": tx_id} for tx_id in (group or {}).get("guid") or [])
    return named


def approve_refunds(state: SandboxState, account: SandboxAccount, *, due_only: bool = False) -> list[Label]:
    """Credit the pending refunds (only those 24 h past their void when ``due_only``)."""
    now = state.clock.now()
    approved: list[Label] = []
    for label in account.pending_refunds():
        if label.voided_at is None:
            continue
        if due_only and now - label.voided_at < REFUND_DELAY:
            continue
        if (
            account.available_postage + label.amount > account.max_postage_balance
            or label.amount > account.control_total
        ):
            continue
        entry: LedgerEntry = _ledger.post(
            state, account, "Refund", credit=label.amount, memo=f"refund of label {label.tracking_number}"
        )
        account.refund_pending(label, "approved")
        label.refunded_at = entry.date
        approved.append(label)
    if approved:
        state.touch(account)
    return approved


def credit_due_refunds(state: SandboxState, account: SandboxAccount) -> None:
    """Credit the account's refunds that came due (a hook of every authenticated call)."""
    if account.pending_refunds():
        approve_refunds(state, account, due_only=True)


# -- TrackShipment ---------------------------------------------------------------------------------
def _event(when: datetime, text: str, kind: str, where: dict[str, Any]) -> dict[str, Any]:
    return {
        "Timestamp": when,
        "Event": text,
        "TrackingEventType": kind,
        "City": where.get("City") or "",
        "State": where.get("State") or "",
        "Zip": where.get("ZIPCode") or "",
        "Country": where.get("Country") or "US",
        "SignedBy": "",
        "AuthorizedAgent": False,
    }


def track_shipment(call: Call) -> dict[str, Any]:
    label = _find(call.user, call.request)
    now = call.state.clock.now()
    start = label.created_at
    out_for_delivery = start + timedelta(days=label.deliver_days)
    delivered = out_for_delivery + timedelta(hours=4)
    origin, destination = label.from_address, label.to_address
    events = [_event(start, "Shipping Label Created", "ShippingLabelCreated", origin)]
    if label.voided_at is not None:
        events.append(_event(label.voided_at, "Label voided", "None", origin))
    else:
        for when, text, kind, where in (
            (start + ACCEPTED_AFTER, "Accepted", "AcceptOrPickup", origin),
            (start + timedelta(hours=24), "In Transit", "Enroute", origin),
            (out_for_delivery, "Out for Delivery", "OutForDelivery", destination),
            (delivered, "Delivered", "Delivered", destination),
        ):
            if now >= when:
                events.append(_event(when, text, kind, where))
    events.reverse()
    return {
        "TrackingEvents": {"TrackingEvent": events},
        "GuaranteedDeliveryDate": delivered if label.service_type == "US-XM" and not label.voided else None,
        "ExpectedDeliveryDate": None if label.voided else delivered,
        "ServiceDescription": (
            _rates.SERVICES.get(label.service_type) or _international.SERVICES[label.service_type]
        ).description,
        "Carrier": "USPS",
        "DestinationInfo": {
            "DestinationCity": destination.get("City") or "",
            "DestinationState": destination.get("State") or "",
            "DestinationZip": destination.get("ZIPCode") or "",
            "DestinationCountry": destination.get("Country") or "US",
        },
    }


# -- the label images ------------------------------------------------------------------------------
def serve_label(state: SandboxState, path: str) -> Reply | None:
    """``/sandbox/labels/<StampsTxID>.<ext>``: the label's image in the format it was bought in (404
    unknown or another extension, 410 voided); None: not a label path."""
    m = LABEL_PATH.fullmatch(path)
    if m is None:
        return None
    wanted, form = m.group(1).lower(), bool(m.group(2))
    for account in state.accounts.values():
        for label in account.labels:
            if label.stamps_tx_id == wanted:
                extension, content_type, image = _international.form(label) if form else _image(label)
                if extension != m.group(3) or (form and not label.form_url):
                    break
                if label.voided:
                    return Reply(410, b"this label was voided", "text/plain")
                return Reply(200, image, content_type)
    return Reply(404, b"no such label", "text/plain")


def _image(label: Label) -> tuple[str, str, bytes]:
    found = IMAGE_TYPES.get(label.image_type, IMAGE_TYPES["Auto"])
    if found[0] == "pdf" and label.paper_size == "Letter85x11":
        return (*found[:2], _images.PDF_LETTER)
    return found
